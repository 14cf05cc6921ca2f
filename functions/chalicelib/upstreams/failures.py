"""Turn transport failures and upstream error answers into typed, safe errors.

Details are written for a human (the admin's connection test shows them as is) and
never carry the provider key: upstream messages are cut short and scrubbed, and for
401/403 the upstream's text is dropped entirely (OpenAI echoes part of the key there).
"""

from __future__ import annotations

import math
import socket
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NameResolutionError

from .address_policy import ForbiddenAddress
from .errors import ProviderAccessDenied, ProviderError, ProviderRejected, ProviderThrottled, ProviderTimeout
from .redact import redact_secrets
from .types import Target

Failure = ProviderError | ProviderTimeout | ProviderRejected
_CALLER_FAULT = {400, 413, 422}  # the request itself is bad: it would fail anywhere


def scrub(text: str, target: Target) -> str:
    if target.api_key and len(target.api_key) >= 4:
        text = text.replace(target.api_key, "***")
    return redact_secrets(text)


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """`Retry-After` as seconds (delta-seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None


def status_error(target: Target, status: int, upstream_message: str | None, retry_after: float | None) -> Failure:
    """The error for an upstream answer with a non-2xx status."""
    said = f": {scrub(upstream_message, target)}" if upstream_message else "."
    pid = target.provider_id
    if status in (401, 403):
        return ProviderError(f"The provider refused the API key (HTTP {status}).", upstream_status=status,
                             provider_id=pid)
    if status in _CALLER_FAULT:
        return ProviderRejected(f"The provider refused the request (HTTP {status}){said}", upstream_status=status,
                                provider_id=pid)
    if status == 429:
        return ProviderError(f"The provider is rate limiting us (HTTP 429){said}", upstream_status=status,
                             retryable=True, provider_id=pid, retry_after=retry_after)
    if status == 404:
        return ProviderError(f"The provider does not know this model or endpoint (HTTP 404){said}",
                             upstream_status=status, provider_id=pid)
    retryable = status >= 500 or status == 408
    return ProviderError(f"The provider answered HTTP {status}{said}", upstream_status=status,
                         retryable=retryable, provider_id=pid, retry_after=retry_after if retryable else None)


def bedrock_status_error(target: Target, status: int, upstream_message: str | None,
                         retry_after: float | None) -> Failure:
    """Bedrock's error statuses: ThrottlingException (429) stays a 429 after the retries;
    AccessDeniedException (403, also for a model not enabled in the account) a 403 that tells
    the admin what to do; ValidationException (400) a 400; anything else as for every provider."""
    said = f" Bedrock said: {scrub(upstream_message, target)}" if upstream_message else ""
    pid = target.provider_id
    if status == 429:
        return ProviderThrottled(f"Amazon Bedrock is throttling this model (HTTP 429).{said}", upstream_status=status,
                                 retryable=True, provider_id=pid, retry_after=retry_after,
                                 headers={"Retry-After": str(max(1, math.ceil(retry_after or 1)))})
    if status == 403:
        region = f" in {target.bedrock.region}" if target.bedrock else ""
        return ProviderAccessDenied(
            f"Amazon Bedrock refused access to {target.upstream_model!r}{region}: an admin must enable the model "
            "for this account and region (Bedrock console, Model access) and grant the proxy's role "
            f"bedrock:InvokeModel and bedrock:InvokeModelWithResponseStream on it.{said}",
            upstream_status=status, provider_id=pid)
    if status in _CALLER_FAULT:
        return ProviderRejected(f"Amazon Bedrock refused the request (HTTP {status}).{said}", upstream_status=status,
                                provider_id=pid)
    return status_error(target, status, upstream_message, retry_after)


def chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its causes, contexts, `.reason`s and exception args (bounded walk)."""
    seen: set[int] = set()
    todo: list[Any] = [exc]
    while todo and len(seen) < 32:
        cur = todo.pop(0)
        if not isinstance(cur, BaseException) or id(cur) in seen:
            continue
        seen.add(id(cur))
        yield cur
        todo.extend([getattr(cur, "reason", None), cur.__cause__, cur.__context__, *cur.args])


def where(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return host, f"{host}:{port}"


def transport_error(target: Target, url: str, exc: requests.RequestException, timeouts: tuple[float, float]) -> Failure:
    """The error for a request that got no HTTP answer at all."""
    host, hostport = where(url)
    pid = target.provider_id
    if isinstance(exc, requests.ConnectTimeout):
        return ProviderTimeout(f"Could not connect to {hostport} within {timeouts[0]:g} s.", provider_id=pid)
    if isinstance(exc, requests.Timeout):  # the request went out: the provider may be generating
        return ProviderTimeout(f"No answer from {hostport} within {timeouts[1]:g} s.", provider_id=pid,
                               retryable=False)
    for cause in chain(exc):
        if isinstance(cause, ForbiddenAddress):
            return ProviderError(f"Refused: {host} resolves to a non-public address ({cause.address}); "
                                 "provider URLs must reach public addresses.", provider_id=pid)
        if isinstance(cause, NameResolutionError | socket.gaierror):
            return ProviderError(f"Cannot resolve the host {host!r} (DNS failure).", retryable=True, provider_id=pid)
        if isinstance(cause, ConnectionRefusedError):
            return ProviderError(f"Connection refused by {hostport}: nothing is listening there.",
                                 retryable=True, provider_id=pid)
        if isinstance(cause, ConnectionResetError):
            return ProviderError(f"{hostport} reset the connection before answering.", retryable=True,
                                 provider_id=pid)
        if isinstance(cause, socket.timeout | TimeoutError):
            return ProviderTimeout(f"No answer from {hostport} within {timeouts[1]:g} s.", provider_id=pid,
                                   retryable=False)
    if isinstance(exc, requests.exceptions.SSLError):
        return ProviderError(f"TLS handshake with {hostport} failed.", retryable=True, provider_id=pid)
    if isinstance(exc, requests.ConnectionError):
        return ProviderError(f"{hostport} closed the connection before answering.", retryable=True, provider_id=pid)
    return ProviderError(f"The request to {hostport} failed ({type(exc).__name__}).", provider_id=pid)


def malformed(target: Target, what: str, status: int) -> ProviderError:
    return ProviderError(f"The provider answered with {what} (HTTP {status}).", upstream_status=status,
                         provider_id=target.provider_id)
