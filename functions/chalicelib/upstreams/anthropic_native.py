"""Anthropic Messages requests passed through to Anthropic providers as the caller wrote them.

`/v1/messages` sends its body to an Anthropic provider unchanged but for `model` (the
provider's name for it) and `max_tokens` (the proxy's cap), with the caller's
`anthropic-beta` header: what a round trip through chat form would lose (`cache_control`,
`thinking` and its signed blocks, `top_k`, citations, stop sequences) is kept. The answer
comes back as the provider wrote it, with the public model name. A stream is decoded as
any Anthropic stream (usage, delivered text, the end marker) and each event also keeps its
own text (`NATIVE_EVENT` on a chunk), which is what the client is sent; an `error` event is
not passed on (the relay ends the stream with its own, scrubbed, error event).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .anthropic import base, headers, usage_of
from .anthropic_stream import AnthropicStreamDecoder
from .sse import Event
from .types import HttpCall, Target, Usage

NATIVE_EVENT = "anthropic_event"  # the chunk key holding the upstream event's own text


@dataclass(frozen=True)
class NativeMessage:
    body: dict[str, Any]  # an Anthropic message, `model` = the public name
    usage: Usage | None  # None: the provider reported none (or nonsense); the proxy estimates


def messages_call(target: Target, body: dict[str, Any], *, stream: bool, beta: str | None) -> HttpCall:
    payload = {**body, "model": target.upstream_model}
    if stream:
        payload["stream"] = True
    else:
        payload.pop("stream", None)
    h = headers(target)
    if stream:
        h["Accept"] = "text/event-stream"
    if beta:
        h["anthropic-beta"] = beta
    return HttpCall("POST", base(target) + "/v1/messages", h, payload)


def message_result(data: Any, public_model: str) -> NativeMessage:
    if not isinstance(data, dict) or data.get("type") != "message" or not isinstance(data.get("content"), list):
        raise ValueError("not an Anthropic message")
    usage = usage_of(data["usage"]) if isinstance(data.get("usage"), dict) and data["usage"] else None
    return NativeMessage({**data, "model": public_model}, usage)


class NativeEventsDecoder(AnthropicStreamDecoder):
    """Every event becomes at least one chunk carrying its text under NATIVE_EVENT (the
    first chunk it made; a carrier chunk when it made none, so the relay passes it on);
    thinking arrives as `reasoning_content`, so a stream without usage is charged for it."""

    def feed(self, event: Event) -> None:
        made = len(self.chunks)
        super().feed(event)
        data = event.json()
        if data.get("type") == "error":
            return  # never relayed as the provider wrote it: the relay ends with a scrubbed error
        if data.get("type") == "message_start" and isinstance(data.get("message"), dict):
            data["message"]["model"] = self.public_model
        own = f"event: {event.event}\ndata: {json.dumps(data, separators=(',', ':'), ensure_ascii=False)}\n\n"
        delta = data.get("delta") if isinstance(data.get("delta"), dict) else {}
        fresh = [c for c in self.chunks[made:] if c.get("choices")]
        self.chunks[made:] = fresh  # the usage-only chunk: the relay never sends it
        if not fresh:
            thinking = delta.get("thinking") if delta.get("type") == "thinking_delta" else None
            self._chunk({"reasoning_content": thinking} if isinstance(thinking, str) else {})
            fresh = self.chunks[made:]
        for position, chunk in enumerate(fresh):
            chunk[NATIVE_EVENT] = own if position == 0 else ""


def native_decoder(public_model: str, created: int) -> NativeEventsDecoder:
    return NativeEventsDecoder(public_model, created)
