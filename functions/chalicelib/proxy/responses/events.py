"""Chat chunks -> the Responses event stream, in OpenAI's documented order.

`opening()`: `response.created`, `response.in_progress`. Then per chunk: text opens a
message item (`response.output_item.added`, `response.content_part.added`) and goes out as
`response.output_text.delta`; reasoning text (chat's `reasoning_content`) likewise opens a
`reasoning` item streamed as `response.reasoning_text.delta`, and a refusal a message item
with a refusal part (`response.refusal.delta`); a tool call closes the text
before it and opens a `function_call` item whose arguments go out as
`response.function_call_arguments.delta`. `finish()` closes
what is open (`response.output_text.done`, `response.content_part.done`,
`response.function_call_arguments.done`, `response.output_item.done`) and ends with
`response.completed` carrying the charged usage (`response.incomplete` when the output cap
or a filter cut it), or, when the stream broke, an `error` event and `response.failed`.
Every event carries its `sequence_number`, counting from 0.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ...metering.types import TokenUsage
from .response import (
    as_dict,
    finished,
    function_call_item,
    item_id,
    message_item,
    reasoning_item,
    reasoning_part,
    refusal_part,
    text_part,
    usage_object,
)

# The items that stream text, by the chat delta field that carries it: (id prefix, item builder,
# part builder, delta/done event prefix, the done event's text field).
_TEXT_KINDS = {
    "reasoning_content": ("rs", reasoning_item, reasoning_part, "response.reasoning_text", "text"),
    "content": ("msg", message_item, text_part, "response.output_text", "text"),
    "refusal": ("msg", message_item, refusal_part, "response.refusal", "refusal"),
}


@dataclass
class _Item:
    output_index: int
    id: str
    kind: str  # a chat delta field of _TEXT_KINDS, or "function_call"
    text: str = ""  # the text, or the call's arguments
    call_id: str = ""
    name: str = ""
    done: dict[str, Any] | None = field(default=None, repr=False)  # the item as closed

    def built(self, status: str) -> dict[str, Any]:
        if self.kind == "function_call":
            return function_call_item(self.id, self.call_id, self.name, self.text, status)
        _, item, part, _, _ = _TEXT_KINDS[self.kind]
        return item(self.id, [part(self.text)], status)


class ResponseEvents:
    """The event stream of one Response, fed the chat chunks as they arrive."""

    def __init__(self, response: dict[str, Any], request_id: str) -> None:
        self.response = response  # the skeleton: id, model and the request's settings
        self.request_id = request_id
        self.sequence = 0
        self.items: list[_Item] = []
        self.writing: _Item | None = None  # the message or reasoning item taking text now
        self.calls: dict[int, _Item] = {}  # chat tool_calls index -> item
        self.finish_reason: str | None = None

    def _event(self, kind: str, **fields: Any) -> str:
        data = {"type": kind, "sequence_number": self.sequence, **fields}
        self.sequence += 1
        return f"event: {kind}\ndata: {json.dumps(data, separators=(',', ':'), ensure_ascii=False)}\n\n"

    def opening(self) -> str:
        return (self._event("response.created", response=self.response)
                + self._event("response.in_progress", response=self.response))

    def feed(self, chunk: dict[str, Any]) -> str:
        """The events for one chat chunk (its first choice); "" when it carries nothing new."""
        out: list[str] = []
        for choice in chunk.get("choices") or ():
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = as_dict(choice.get("delta"))
            for kind in _TEXT_KINDS:
                text = delta.get(kind)
                if isinstance(text, str) and text:
                    out.append(self._text(kind, text))
            for call in delta.get("tool_calls") or ():
                if isinstance(call, dict):
                    out.append(self._call(call))
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
        return "".join(out)

    def _stop_writing(self) -> str:
        out = self._close(self.writing) if self.writing is not None else ""
        self.writing = None
        return out

    def _text(self, kind: str, text: str) -> str:
        out = ""
        if self.writing is not None and self.writing.kind != kind:  # reasoning ends where the answer starts
            out += self._stop_writing()
        prefix, item_of, part_of, events, _ = _TEXT_KINDS[kind]
        if self.writing is None:
            item = self.writing = self._open(kind, item_id(prefix, self.request_id, len(self.items)))
            out += self._event("response.output_item.added", output_index=item.output_index,
                               item=item_of(item.id, [], "in_progress"))
            out += self._event("response.content_part.added", item_id=item.id, output_index=item.output_index,
                               content_index=0, part=part_of(""))
        item = self.writing
        item.text += text
        extra: dict[str, Any] = {"logprobs": []} if kind == "content" else {}
        return out + self._event(f"{events}.delta", item_id=item.id, output_index=item.output_index,
                                 content_index=0, delta=text, **extra)

    def _call(self, call: dict[str, Any]) -> str:
        out = ""
        function = as_dict(call.get("function"))
        index = call.get("index", 0)
        item = self.calls.get(index)
        if item is None:
            out += self._stop_writing()  # the text before a call is done
            item = self.calls[index] = self._open("function_call", item_id("fc", self.request_id, len(self.items)))
            item.call_id = str(call.get("id") or item_id("call", self.request_id, item.output_index))
            item.name = str(function.get("name") or "")
            out += self._event("response.output_item.added", output_index=item.output_index,
                               item=item.built("in_progress") | {"arguments": ""})
        arguments = function.get("arguments")
        if isinstance(arguments, str) and arguments and item.done is None:
            item.text += arguments
            out += self._event("response.function_call_arguments.delta", item_id=item.id,
                               output_index=item.output_index, delta=arguments)
        return out

    def _open(self, kind: str, id_: str) -> _Item:
        item = _Item(len(self.items), id_, kind)
        self.items.append(item)
        return item

    def _close(self, item: _Item, status: str = "completed") -> str:
        where = {"item_id": item.id, "output_index": item.output_index}
        item.done = item.built(status)
        if item.kind == "function_call":
            out = self._event("response.function_call_arguments.done", **where, arguments=item.text)
        else:
            _, _, part_of, events, field_name = _TEXT_KINDS[item.kind]
            extra: dict[str, Any] = {"logprobs": []} if item.kind == "content" else {}
            out = self._event(f"{events}.done", **where, content_index=0, **{field_name: item.text}, **extra)
            out += self._event("response.content_part.done", **where, content_index=0, part=part_of(item.text))
        return out + self._event("response.output_item.done", output_index=item.output_index, item=item.done)

    def finish(self, usage: TokenUsage, cost: str | None, error: str | None) -> str:
        """The closing events: every open item done, then the Response's final state."""
        figures = usage_object(usage, cost)
        if error is not None:
            output = [i.done or i.built("incomplete") for i in self.items]
            failed = {**self.response, "status": "failed", "output": output, "usage": figures,
                      "error": {"code": "server_error", "message": error}}
            return (self._event("error", code="stream_broken", message=error, param=None)
                    + self._event("response.failed", response=failed))
        status = "incomplete" if self.finish_reason in ("length", "content_filter") else "completed"
        out = "".join(self._close(i, status) for i in self.items if i.done is None)
        final = {**finished(self.response, self.finish_reason, figures), "output": [i.done for i in self.items]}
        return out + self._event(f"response.{final['status']}", response=final)
