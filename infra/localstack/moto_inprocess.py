"""DynamoDB calls from the local stack's own process answered by moto in the calling thread.

On `make run` the app and moto live in one process, yet every DynamoDB call went through a
loopback HTTP round trip: urllib3 and http.client on the way out, then http.server, a WSGI
environ, moto's Flask/Werkzeug dispatcher and a thread switch on the way in, for each of the
three calls of a proxied chat. This hands the request botocore has already built (serialised,
signed, with the same headers) to moto's `DynamoHandler.dispatch` directly, as moto's own
`mock_aws` does, and gives botocore back moto's status, headers and body to parse. So the
app's code path is the deployed one (botocore calls, retries, error parsing), moto answers
exactly as it does over HTTP (the same handler, with infra/moto_atomic.py's locks and the
journal), and only the socket hop is gone.

It is a botocore `before-send` handler on every new session (PynamoDB makes its own), and
touches only requests to the emulator's URL with a DynamoDB (not Streams) target; anything
else, and every other process, still uses the HTTP server, which keeps running.
"""

from __future__ import annotations

import threading
from typing import Any

TARGET_PREFIX = "DynamoDB_20120810."

_lock = threading.Lock()
_origins: set[str] = set()
_installed = False


def _header(headers: Any, name: str) -> str:
    value = headers.get(name, "")
    return value.decode() if isinstance(value, bytes) else str(value)


def _answer(request: Any, **kwargs: Any) -> Any:
    """botocore `before-send`: moto's answer for a DynamoDB request to a served origin, else None."""
    origin = request.url.split("/", 3)[:3]
    if "/".join(origin) not in _origins or not _header(request.headers, "X-Amz-Target").startswith(TARGET_PREFIX):
        return None
    from botocore.awsrequest import AWSResponse
    from moto.core.botocore_stubber import MockRawResponse
    from moto.core.exceptions import HTTPException
    from moto.core.request import normalize_request
    from moto.dynamodb.responses import DynamoHandler

    normalized = normalize_request(request)
    try:
        status, headers, body = DynamoHandler.dispatch(normalized, normalized.raw_url, normalized.headers)
    except HTTPException as exc:  # moto's own errors, as its server would render them
        status, headers, body = exc.code, exc.get_headers(), exc.get_body()
    return AWSResponse(request.url, status, headers, MockRawResponse(body))


def serve_in_process(url: str) -> None:
    """From now on, botocore sessions created in this process send DynamoDB requests for `url`
    (`http://127.0.0.1:<port>`) straight to moto. Call before the app creates its clients."""
    global _installed
    with _lock:
        _origins.add(url.rstrip("/"))
        if not _installed:
            from botocore.handlers import BUILTIN_HANDLERS

            BUILTIN_HANDLERS.append(("before-send.dynamodb", _answer))
            _installed = True


def stop_serving(url: str) -> None:
    """Requests for `url` go over HTTP again (the server is stopping)."""
    with _lock:
        _origins.discard(url.rstrip("/"))
