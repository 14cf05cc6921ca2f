"""A relayed stream written as Anthropic's Messages streaming events.

The relay hands over OpenAI chat chunks as they arrive; this writes them in Anthropic's
grammar: `message_start`, then per content block `content_block_start`, its deltas
(`text_delta`, or `input_json_delta` for a tool call's arguments) and `content_block_stop`,
then, once the request is settled, `message_delta` with the stop reason and the charged
usage, and `message_stop`. A stream that broke ends with an `error` event instead.
`message_start` carries zero usage: the figures are known only at the end, and Anthropic's
clients take `message_delta`'s cumulative counts. A stream from an Anthropic provider that got
the caller's own request arrives with each event's text (`NATIVE_EVENT`): that text is sent
as it is, and only a broken stream gets an ending of ours (the `error` event).
"""

from __future__ import annotations

import json
from typing import Any

from ..metering.types import Settlement
from ..upstreams.anthropic_native import NATIVE_EVENT
from ..upstreams.types import Usage
from .anthropic_wire import stop_reason, usage_body
from .wire import ChunkWire


def event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps({'type': name, **data}, separators=(',', ':'), ensure_ascii=False)}\n\n"


class MessageEvents(ChunkWire):
    """One stream's writer (`proxy.relay.StreamWire`): it remembers the open block."""

    def __init__(self, request_id: str, model: str) -> None:
        self.request_id, self.model = request_id, model
        self.started = False
        self.index = -1  # the open block's index; -1: none open
        self.open_kind: str | None = None  # "text", or "tool:<call index>"
        self.finish: Any = None
        self.native = False  # an Anthropic provider's own events are being passed on

    def chunk(self, chunk: dict[str, Any]) -> str:
        if NATIVE_EVENT in chunk:
            self.native = True
            return str(chunk[NATIVE_EVENT])
        out = [] if self.started else [self._start()]
        self.started = True
        choice = (chunk.get("choices") or [{}])[0]
        delta = choice.get("delta") or {}
        if isinstance(delta.get("content"), str) and delta["content"]:
            out += self._open("text", {"type": "text", "text": ""})
            out.append(event("content_block_delta", {"index": self.index,
                                                     "delta": {"type": "text_delta", "text": delta["content"]}}))
        for call in delta.get("tool_calls") or []:
            out += self._tool_delta(call)
        if choice.get("finish_reason"):
            self.finish = choice["finish_reason"]
        return "".join(out)

    def tail(self, charged: tuple[Usage, Settlement] | None, error: str | None) -> str:
        if self.native:  # the provider's message_delta and message_stop went out as it sent them
            return "" if error is None else event("error", {"error": {"type": "api_error", "message": error}})
        out = [] if self.started else [self._start()]
        self.started = True
        if error is not None:
            return "".join(out) + event("error", {"error": {"type": "api_error", "message": error}})
        out += self._close()
        usage = charged[0] if charged is not None else Usage()
        out.append(event("message_delta", {"delta": {"stop_reason": stop_reason(self.finish), "stop_sequence": None},
                                           "usage": usage_body(usage)}))
        out.append(event("message_stop", {}))
        return "".join(out)

    def _start(self) -> str:
        return event("message_start", {"message": {
            "id": f"msg_{self.request_id}", "type": "message", "role": "assistant", "model": self.model,
            "content": [], "stop_reason": None, "stop_sequence": None, "usage": usage_body(Usage())}})

    def _tool_delta(self, call: dict[str, Any]) -> list[str]:
        out: list[str] = []
        kind = f"tool:{call.get('index', 0)}"
        function = call.get("function") or {}
        if kind != self.open_kind:
            out += self._open(kind, {"type": "tool_use", "id": call.get("id") or f"toolu_{self.request_id}_{kind[5:]}",
                                     "name": function.get("name") or "", "input": {}})
        if function.get("arguments"):
            out.append(event("content_block_delta", {"index": self.index, "delta": {
                "type": "input_json_delta", "partial_json": function["arguments"]}}))
        return out

    def _open(self, kind: str, block: dict[str, Any]) -> list[str]:
        if kind == self.open_kind:
            return []
        out = self._close()
        self.index += 1
        self.open_kind = kind
        return [*out, event("content_block_start", {"index": self.index, "content_block": block})]

    def _close(self) -> list[str]:
        if self.open_kind is None:
            return []
        self.open_kind = None
        return [event("content_block_stop", {"index": self.index})]
