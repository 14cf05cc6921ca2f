"""The /v1 proxy as an ASGI application (Starlette): what the proxy function serves.

Every check (key, IP, membership, model, RPM, quota, balance) runs before the first byte,
so a refusal is a proper HTTP status in the OpenAI envelope (Anthropic's on the Messages
routes, `format_routes.py`, which serve the other inbound formats). A stream is then relayed
chunk by chunk (`relay.py`); a plain answer is served whole. Unknown /v1 paths answer 404
`unknown_route`, a known path with another method 405, never repeating the credentials.
The synchronous services (DynamoDB through PynamoDB) run in worker threads.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Awaitable, Callable

import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..kernel.context import RequestMeta
from ..kernel.errors import AppError, NotFound
from ..kernel.ids import new_id
from . import anthropic_wire, format_routes
from .http_io import ProxyParts, api_key_of, json_response, read_body
from .schemas import ChatIn, EmbeddingsIn, parse_body

log = logging.getLogger("keyledger.proxy.http")
_EXPOSED = "x-request-id,x-keyledger-cost,x-ratelimit-remaining-requests,x-ratelimit-limit-requests,Retry-After"


class MethodRefused(AppError):
    """405: a /v1 path that exists, with a method it does not take."""

    status, code, openai_type = 405, "unknown_route", "invalid_request_error"


Handler = Callable[[Request, ProxyParts, RequestMeta], Awaitable[Response]]
ErrorAnswer = Callable[[AppError, str, dict[str, str]], Response]


def create_app(parts: Callable[[], ProxyParts]) -> Starlette:
    """The app; `parts` is called per request (the root builds it once per container)."""

    def route(path: str, handler: Handler, method: str, errors: ErrorAnswer | None = None) -> Route:
        async def endpoint(request: Request) -> Response:
            return await _serve(request, parts, handler, errors or _error)

        return Route(path, endpoint, methods=[method, "OPTIONS"], include_in_schema=False)

    async def refused(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        err: AppError = (MethodRefused(f"{request.method} is not allowed on {request.url.path}.") if status == 405
                         else NotFound("No such route under /v1.", code="unknown_route"))
        answer = _anthropic_error if request.url.path.startswith("/v1/messages") else _error
        return answer(err, new_id(), _cors(request, parts))

    return Starlette(routes=[
        route("/v1/chat/completions", chat_completions, "POST"),
        route("/v1/completions", format_routes.completions, "POST"),
        route("/v1/messages", format_routes.messages, "POST", _anthropic_error),
        route("/v1/messages/count_tokens", format_routes.count_tokens, "POST", _anthropic_error),
        route("/v1/embeddings", embeddings, "POST"),
        route("/v1/responses", format_routes.responses, "POST"),
        route("/v1/models", models, "GET"),
        route("/v1/models/{model:path}", model, "GET"),
        route("/v1/usage", usage, "GET"),
    ], exception_handlers={HTTPException: refused})


# --- the routes: parse, call one service, answer ---


async def chat_completions(request: Request, parts: ProxyParts, meta: RequestMeta) -> Response:
    started = time.monotonic()
    limit = parts.settings.proxy_max_body_bytes
    body = parse_body(await read_body(request, limit), request.headers.get("content-type", ""), ChatIn, limit)
    key = api_key_of(request)
    service = parts.proxy
    if body.get("stream") is not True:
        answer = await anyio.to_thread.run_sync(service.chat, key, body, meta)
        return json_response(answer.body, headers=answer.headers)
    admitted = await anyio.to_thread.run_sync(service.admit_chat, key, body, meta)
    stream = await parts.proxy_relay.open(admitted)
    headers = await anyio.to_thread.run_sync(service.rate_headers, admitted.key, admitted.hold)
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    return parts.proxy_relay.response(admitted, stream, include_usage, headers, started)  # type: ignore[return-value]


async def embeddings(request: Request, parts: ProxyParts, meta: RequestMeta) -> Response:
    limit = parts.settings.proxy_max_body_bytes
    body = parse_body(await read_body(request, limit), request.headers.get("content-type", ""), EmbeddingsIn, limit)
    answer = await anyio.to_thread.run_sync(parts.proxy.embeddings, api_key_of(request), body, meta)
    return json_response(answer.body, headers=answer.headers)


async def models(request: Request, parts: ProxyParts, meta: RequestMeta) -> Response:
    return json_response(await anyio.to_thread.run_sync(parts.proxy.models, api_key_of(request), meta))


async def model(request: Request, parts: ProxyParts, meta: RequestMeta) -> Response:
    listed = await anyio.to_thread.run_sync(parts.proxy.models, api_key_of(request), meta)
    name = request.path_params["model"]
    for entry in listed["data"]:
        if entry["id"] == name:
            return json_response(entry)
    raise NotFound(f"The model {name!r} does not exist or this key may not use it.", code="model_not_found",
                   param="model")


async def usage(request: Request, parts: ProxyParts, meta: RequestMeta) -> Response:
    return json_response(await anyio.to_thread.run_sync(parts.proxy.usage, api_key_of(request), meta))


# --- the edge: request id, client address, CORS, error mapping ---


async def _serve(request: Request, parts: Callable[[], ProxyParts], handler: Handler,
                 errors: ErrorAnswer) -> Response:
    meta = RequestMeta(request_id=new_id(), ip=_client_ip(request), user_agent=request.headers.get("user-agent",
                                                                                                    "")[:256])
    extra = {"x-request-id": meta.request_id}
    try:
        built = parts()
        extra.update(_cors(request, parts))
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=extra)
        response = await handler(request, built, meta)
    except AppError as err:
        if err.status >= 500:
            log.warning("request %s failed: %s %s", meta.request_id, err.code, err.message)
        return errors(err, meta.request_id, extra)
    except Exception:
        log.exception("request %s crashed on %s %s", meta.request_id, request.method, request.url.path)
        return errors(AppError(), meta.request_id, extra)
    if isinstance(response, Response):
        response.headers.update({"cache-control": "no-store", **extra})
    else:  # a RelayResponse: its headers go out with its first message
        response.headers.update(extra)
    return response


def _client_ip(request: Request) -> str:
    """The caller's address: API Gateway's `sourceIp` under Lambda Web Adapter (the request
    context it passes on), else the socket's peer (the local stack)."""
    context = request.headers.get("x-amzn-request-context")
    if context and os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        try:
            return str(json.loads(context)["identity"]["sourceIp"])
        except (ValueError, KeyError, TypeError):
            pass
    client = request.scope.get("client")
    return str(client[0]) if client else "0.0.0.0"  # noqa: S104 - "address unknown", nothing binds to it


def _cors(request: Request, parts: Callable[[], ProxyParts]) -> dict[str, str]:
    origin = request.headers.get("origin")
    try:
        allowed = parts().settings.cors_origins
    except Exception:  # misconfigured settings are reported by the handler itself
        return {}
    if not origin or not ("*" in allowed or origin in allowed):
        return {}
    headers = {"Access-Control-Allow-Origin": origin, "Vary": "Origin", "Access-Control-Expose-Headers": _EXPOSED}
    if request.method == "OPTIONS":
        headers.update({"Access-Control-Allow-Methods": "GET,POST,OPTIONS",
                        "Access-Control-Allow-Headers": "Authorization,Content-Type,x-api-key,x-request-id,"
                                                        "anthropic-version,anthropic-beta",
                        "Access-Control-Max-Age": "600"})
    return headers


def _error(err: AppError, request_id: str, headers: dict[str, str]) -> Response:
    body = {"error": {"message": err.message, "type": err.openai_type, "code": err.code, "param": err.param}}
    return json_response(body, status_code=err.status,
                         headers={"cache-control": "no-store", **headers, **err.headers, "x-request-id": request_id})


def _anthropic_error(err: AppError, request_id: str, headers: dict[str, str]) -> Response:
    """An error in Anthropic's envelope, for the Messages routes."""
    return json_response(anthropic_wire.error_body(err), status_code=anthropic_wire.error_status(err),
                         headers={"cache-control": "no-store", **headers, **err.headers, "x-request-id": request_id})
