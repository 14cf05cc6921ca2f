"""Streamed chat calls over httpx (async): each upstream event is decoded as it arrives.

Retries happen only before the upstream has started generating: connection refused or
reset, a connect timeout, 429 and 5xx, with jittered backoff (a `Retry-After` up to
`retry_after_cap` is honoured). A read timeout is never retried (the provider may be
generating, and a retry pays for a second generation), nor is anything once a 2xx arrived.
Closing an `UpstreamStream` closes its connection: that is how a client's disconnect stops
the provider generating.
"""

from __future__ import annotations

import random
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from functools import partial
from typing import Any

import anyio
import anyio.to_thread
import httpx

from ..kernel.errors import AppError
from . import anthropic_native, failures
from .adapters import ADAPTERS, Adapter, StreamFraming, adapter_for
from .address_policy import ForbiddenAddress
from .decoding import StreamDecoder, chunks_from_completion
from .errors import ProviderError, ProviderTimeout
from .guarded_transport import guarded_async_transport
from .sse import Event, EventParser
from .types import ChatResult, HttpCall, Target, Usage

_ERROR_BODY_LIMIT = 64 * 1024  # an upstream's error answer is read this far, no further


class UpstreamStream:
    """One upstream answer to a streamed chat: iterate `chunks()`; `usage`, `complete` and
    `error` say how it ended. Either a live event stream or a whole JSON answer (some
    servers ignore `stream: true`), which is handed on as the chunks it would have been."""

    def __init__(self, target: Target, response: httpx.Response | None, decoder: StreamDecoder | None,
                 whole: ChatResult | None = None, framing: StreamFraming | None = None) -> None:
        self.target = target
        self._framing = framing or EventParser()
        self._response = response
        self._decoder = decoder
        self._whole = whole
        self.error: str | None = None

    @property
    def provider_id(self) -> str:
        return self.target.provider_id

    @property
    def usage(self) -> Usage | None:
        if self._whole is not None:
            return self._whole.usage
        return self._decoder.usage if self._decoder else None

    @property
    def whole(self) -> ChatResult | None:
        """The upstream's whole answer, when it ignored `stream: true` and answered JSON."""
        return self._whole

    @property
    def complete(self) -> bool:
        if self._whole is not None:
            return True
        return bool(self._decoder and self._decoder.complete and self.error is None)

    async def chunks(self) -> AsyncIterator[dict[str, Any]]:
        """OpenAI chunks in arrival order. A transport failure or a malformed event ends the
        iteration with `error` set; an upstream error event too."""
        if self._whole is not None:
            for chunk in chunks_from_completion(self._whole):
                yield chunk
            return
        assert self._response is not None and self._decoder is not None
        decoder, seen = self._decoder, 0
        try:
            async for event in _events(self._response.aiter_bytes(), self._framing):
                decoder.feed(event)
                while seen < len(decoder.chunks):
                    seen += 1
                    yield decoder.chunks[seen - 1]
                if decoder.complete or decoder.error:
                    break
        except httpx.HTTPError as exc:
            self.error = f"The stream from the provider broke ({type(exc).__name__})."
        except (ValueError, KeyError, TypeError, AttributeError):
            self.error = "The provider sent a malformed stream event."
        if decoder.error:
            self.error = f"The provider reported an error mid-stream: {failures.scrub(decoder.error, self.target)}"
        elif not decoder.complete and self.error is None:
            self.error = "The stream ended before the provider's end marker."

    async def aclose(self) -> None:
        if self._response is not None:
            await self._response.aclose()


class StreamingClient:
    """The async client for streamed chats; one per event loop (httpx pools per loop)."""

    def __init__(self, *, connect_timeout: float = 5.0, read_timeout: float = 25.0, max_retries: int = 2,
                 backoff_base: float = 0.25, backoff_cap: float = 4.0, retry_after_cap: float = 5.0,
                 allow_private: bool = False, jitter: Callable[[], float] = random.random,
                 sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
                 adapters: Mapping[str, Adapter] = ADAPTERS) -> None:
        self.timeout = httpx.Timeout(connect=connect_timeout, read=read_timeout, write=read_timeout, pool=None)
        self.max_retries = max_retries
        self.backoff_base, self.backoff_cap, self.retry_after_cap = backoff_base, backoff_cap, retry_after_cap
        self._jitter, self._sleep = jitter, sleep
        self.allow_private = allow_private  # loopback/private peers (UPSTREAM_ALLOW_PRIVATE); link-local never
        self._clients: dict[int, httpx.AsyncClient] = {}
        self.adapters = adapters

    @classmethod
    def from_settings(cls, settings: Any, adapters: Mapping[str, Adapter] = ADAPTERS) -> StreamingClient:
        return cls(connect_timeout=settings.upstream_connect_timeout, read_timeout=settings.upstream_read_timeout,
                   max_retries=settings.upstream_max_retries, allow_private=settings.upstream_allow_private,
                   adapters=adapters)

    def _client(self) -> httpx.AsyncClient:
        import asyncio

        loop = id(asyncio.get_running_loop())
        client = self._clients.get(loop)
        if client is None:
            # trust_env=False: proxies and CA bundles are the deployment's, not each request's scan.
            # Every new connection's peer passes the SSRF guard, as on the buffered client.
            client = self._clients[loop] = httpx.AsyncClient(
                timeout=self.timeout, follow_redirects=False, trust_env=False,
                transport=guarded_async_transport(allow_private=self.allow_private))
        return client

    async def open_chat(self, target: Target, body: dict[str, Any], public_model: str) -> UpstreamStream:
        """Send the streamed chat and wait for the upstream's status; raises ProviderError (502),
        ProviderTimeout (504) or ProviderRejected (400) when it never started."""
        adapter = adapter_for(target, self.adapters)
        try:
            # Off the event loop: building a call may do I/O (Bedrock: a botocore client's first
            # build, an assumed role's credentials fetched or refreshed through STS).
            call = await anyio.to_thread.run_sync(partial(adapter.chat_call, target, body, stream=True))
        except AppError as exc:
            if hasattr(exc, "provider_id") and not exc.provider_id:
                exc.provider_id = target.provider_id
            raise
        return await self._open(target, call, public_model, adapter.stream_decoder)

    async def open_messages(self, target: Target, body: dict[str, Any], public_model: str,
                            beta: str | None) -> UpstreamStream:
        """An Anthropic Messages request streamed from an Anthropic provider as it wrote it
        (each chunk keeps its event's text, `anthropic_native.NATIVE_EVENT`); errors as `open_chat`."""
        call = anthropic_native.messages_call(target, body, stream=True, beta=beta)
        return await self._open(target, call, public_model, anthropic_native.native_decoder)

    async def _open(self, target: Target, call: HttpCall, public_model: str,
                    decoder: Callable[[str, int], StreamDecoder]) -> UpstreamStream:
        adapter = adapter_for(target, self.adapters)
        response = await self._send(target, call)
        created = int(time.time())
        if response.headers.get("content-type", "").startswith("application/json"):
            data = await _read_json(target, response)
            try:
                whole = adapter.chat_result(data, public_model, created)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise failures.malformed(target, "an answer in an unknown format", response.status_code) from exc
            return UpstreamStream(target, None, None, whole)
        return UpstreamStream(target, response, decoder(public_model, created), framing=adapter.stream_framing())

    async def _send(self, target: Target, call: HttpCall) -> httpx.Response:
        client = self._client()
        for attempt in range(self.max_retries + 1):
            request = client.build_request(call.method, call.url, headers=call.headers, json=call.json,
                                           content=call.content)
            try:
                response = await client.send(request, stream=True)
            except httpx.HTTPError as exc:
                error = transport_error(target, call.url, exc, self.timeout)
            else:
                if 200 <= response.status_code < 300:
                    return response
                error = await self._status_error(target, response)
            delay = self._delay(attempt, error.retry_after)
            if not error.retryable or attempt >= self.max_retries or delay is None:
                raise error
            await self._sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def _delay(self, attempt: int, retry_after: float | None) -> float | None:
        backoff = min(self.backoff_cap, self.backoff_base * 2**attempt) * (0.5 + self._jitter() / 2)
        if retry_after is None:
            return backoff
        return None if retry_after > self.retry_after_cap else max(backoff, retry_after)

    async def _status_error(self, target: Target, response: httpx.Response) -> failures.Failure:
        message = None
        try:
            raw = b""
            async for part in response.aiter_bytes():
                raw += part
                if len(raw) > _ERROR_BODY_LIMIT:
                    break
            import json

            message = adapter_for(target, self.adapters).error_message(json.loads(raw))
        except (ValueError, httpx.HTTPError):
            message = None
        finally:
            await response.aclose()
        retry_after = failures.retry_after_seconds(response.headers.get("retry-after"), time.time())
        return adapter_for(target, self.adapters).status_error(target, response.status_code, message, retry_after)

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()


async def _read_json(target: Target, response: httpx.Response) -> Any:
    try:
        await response.aread()
        return response.json()
    except (ValueError, httpx.HTTPError) as exc:
        raise failures.malformed(target, "malformed JSON", response.status_code) from exc
    finally:
        await response.aclose()


def transport_error(target: Target, url: str, exc: httpx.HTTPError, timeout: httpx.Timeout) -> failures.Failure:
    """The error for a call that got no HTTP answer. Only a failure to connect is retried:
    once the request went out, the provider may be generating."""
    host, hostport = failures.where(url)
    pid = target.provider_id
    if isinstance(exc, httpx.ConnectTimeout):
        return ProviderTimeout(f"Could not connect to {hostport} within {timeout.connect:g} s.", provider_id=pid)
    if isinstance(exc, httpx.TimeoutException):
        return ProviderTimeout(f"No answer from {hostport} within {timeout.read:g} s.", provider_id=pid,
                               retryable=False)
    if isinstance(exc, httpx.ConnectError):
        for cause in failures.chain(exc):
            if isinstance(cause, ForbiddenAddress):
                return ProviderError(f"Refused: {host} resolves to a non-public address ({cause.address}); "
                                     "provider URLs must reach public addresses.", provider_id=pid)
            if isinstance(cause, socket.gaierror):
                return ProviderError(f"Cannot resolve the host {host!r} (DNS failure).", retryable=True,
                                     provider_id=pid)
            if isinstance(cause, ConnectionRefusedError):
                return ProviderError(f"Connection refused by {hostport}: nothing is listening there.",
                                     retryable=True, provider_id=pid)
        return ProviderError(f"Could not connect to {hostport}.", retryable=True, provider_id=pid)
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return ProviderError(f"{hostport} closed the connection before answering.", retryable=True, provider_id=pid)
    return ProviderError(f"The request to {hostport} failed ({type(exc).__name__}).", provider_id=pid)


async def _events(parts: AsyncIterator[bytes], parser: StreamFraming) -> AsyncIterator[Event]:
    """The events of a byte stream (server-sent events, or the adapter's framing), each as soon
    as it is complete."""
    async for part in parts:
        for event in parser.feed(part):
            yield event
    for event in parser.end():
        yield event
