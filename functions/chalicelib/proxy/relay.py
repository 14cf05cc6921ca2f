"""Relaying a streamed chat: each upstream chunk reaches the client as it arrives, and the
request is settled once, for what happened.

`StreamRelay.open` finds a provider that starts streaming (another one is tried only for
a provider's own failure before its first byte); until then a failure is a proper HTTP
error and the hold goes back. `RelayResponse` is the ASGI response that pumps the chunks.
It listens for the client's disconnect while it waits on the upstream, so a client that
hangs up ends the upstream request at once (not at the next chunk); the stream also ends
at PROXY_MAX_SECONDS. Whatever ended it, the upstream connection is closed and the request
settled (shielded from cancellation), for the upstream's usage or else what was delivered.

In the chat wire format (`ChatChunks`) the client sees OpenAI chunks that each carry a
non-empty `choices`; the one usage chunk (`choices: []`, the charged figures and `cost`)
comes last, only when the client asked `stream_options.include_usage`; then `data: [DONE]`,
or an error event when it broke. Other inbound formats hand in their own `StreamWire`,
which writes the same chunks in their grammar.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.to_thread

from ..kernel.errors import AppError, UpstreamError
from ..kernel.money import fmt
from ..metering.types import Settlement
from ..proxy.service import ProxyService
from ..upstreams.sse import DONE, render_chunk, render_error
from ..upstreams.streaming import StreamingClient, UpstreamStream
from ..upstreams.types import Usage
from .charging import Delivered
from .types import Admitted, StreamOutcome
from .wire import ChunkWire, StreamWire

log = logging.getLogger("keyledger.proxy.relay")
Message = dict[str, Any]
CLIENT_GONE = "The client disconnected."


class StreamRelay:
    def __init__(self, service: ProxyService, client: StreamingClient, max_seconds: float) -> None:
        self.service = service
        self.client = client
        self.max_seconds = max_seconds

    async def open(self, admitted: Admitted) -> UpstreamStream:
        """The first provider that starts streaming; on failure the hold is released and the
        error raised (502/504, or 400 when the provider refused the caller's request)."""
        started = time.monotonic()
        last: AppError | None = None
        try:
            for target in self.service.targets(admitted.route):
                native = admitted.native if target.provider_type == "anthropic" else None
                try:
                    if native is not None:
                        stream = await self.client.open_messages(target, native.body, admitted.route.name,
                                                                 native.beta)
                    else:
                        stream = await self.client.open_chat(target, admitted.forwarded, admitted.route.name)
                except AppError as err:
                    await anyio.to_thread.run_sync(self.service.record_provider_result, target.provider_id, err)
                    if not getattr(err, "fallback", isinstance(err, UpstreamError)):
                        raise
                    last = err
                    continue
                # The health record is written (off the event loop) only when it changes.
                await anyio.to_thread.run_sync(self.service.record_provider_result, target.provider_id, None)
                return stream
            raise last or UpstreamError("No provider serves this model now.")
        except BaseException as exc:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self.service.release_failed, admitted.hold, exc,
                                               _ms_since(started), True, admitted.endpoint)
            raise

    def response(self, admitted: Admitted, stream: UpstreamStream, include_usage: bool,
                 headers: dict[str, str], started: float, wire: StreamWire | None = None) -> RelayResponse:
        """The streamed answer, in the OpenAI chat wire format unless another `wire` is given."""
        return RelayResponse(self, admitted, stream, wire or ChatChunks(admitted, include_usage), headers, started)


class ChatChunks(ChunkWire):
    """The OpenAI chat wire: the chunks as they are, the usage chunk if asked, `[DONE]`."""

    def __init__(self, admitted: Admitted, include_usage: bool) -> None:
        self.admitted, self.include_usage = admitted, include_usage

    def chunk(self, chunk: dict[str, Any]) -> str:
        return render_chunk(chunk)

    def tail(self, charged: tuple[Usage, Settlement] | None, error: str | None) -> str:
        parts: list[str] = []
        if self.include_usage and charged is not None:
            usage, settled = charged
            parts.append(render_chunk({
                "id": "chatcmpl-" + self.admitted.hold.request_id, "object": "chat.completion.chunk",
                "created": int(time.time()), "model": self.admitted.route.name, "choices": [],
                "usage": {**usage.as_openai(), "cost": fmt(settled.charged)},
            }))
        parts.append(render_error(error, code="stream_broken") if error is not None else f"data: {DONE}\n\n")
        return "".join(parts)


@dataclass
class _State:
    delivered: Delivered = field(default_factory=Delivered)
    error: str | None = None
    settled: bool = False
    charged: tuple[Usage, Settlement] | None = None


class RelayResponse:
    """An ASGI response streaming `text/event-stream` from an opened upstream stream."""

    def __init__(self, relay: StreamRelay, admitted: Admitted, stream: UpstreamStream, wire: StreamWire,
                 headers: dict[str, str], started: float) -> None:
        self.relay, self.admitted, self.stream = relay, admitted, stream
        self.wire = wire
        self.headers = headers
        self.started = started

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        state = _State()
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._watch_disconnect, receive, group.cancel_scope, state)
                await self._pump(send, state)
                await self._settle(state)
                await self._tail(send, state)
                group.cancel_scope.cancel()
        except OSError:  # the client went away while we wrote to it
            state.error = state.error or CLIENT_GONE
        finally:
            if not state.settled:
                await self._settle(state)

    async def _watch_disconnect(self, receive: Any, scope: anyio.CancelScope, state: _State) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        if not state.settled:
            state.error = state.error or CLIENT_GONE
            scope.cancel()

    async def _pump(self, send: Any, state: _State) -> None:
        raw_headers = [(b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-store"),
                       (b"x-accel-buffering", b"no")]
        raw_headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items()]
        await send({"type": "http.response.start", "status": 200, "headers": raw_headers})
        if opening := self.wire.opening():
            await send({"type": "http.response.body", "body": opening.encode(), "more_body": True})
        remaining = self.relay.max_seconds - (time.monotonic() - self.started)
        with anyio.move_on_after(max(remaining, 0.0)) as deadline:
            async for chunk in self.stream.chunks():
                if not self.wire.take(chunk, state.delivered):
                    continue
                if text := self.wire.chunk(chunk):
                    await send({"type": "http.response.body", "body": text.encode(), "more_body": True})
            state.error = self.stream.error
        if deadline.cancelled_caught:
            state.error = f"The stream went past the {self.relay.max_seconds:g} s this gateway allows."

    async def _settle(self, state: _State) -> None:
        """Close the upstream and charge, whatever cancelled us (shielded); once."""
        with anyio.CancelScope(shield=True):
            state.settled = True
            await self.stream.aclose()
            outcome = StreamOutcome(self.stream.provider_id, self.stream.usage, state.delivered,
                                    _ms_since(self.started), state.error)
            try:
                state.charged = await anyio.to_thread.run_sync(self.relay.service.settle_stream, self.admitted,
                                                               outcome)
            except AppError as err:
                log.warning("request %s: not settled now (%s); the expiry job releases its hold",
                            self.admitted.hold.request_id, err.code)

    async def _tail(self, send: Any, state: _State) -> None:
        body = self.wire.tail(state.charged, state.error).encode()
        await send({"type": "http.response.body", "body": body, "more_body": False})


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
