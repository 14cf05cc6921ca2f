"""Chat chunks -> the Responses event stream, in OpenAI's documented order.

`opening()`: `response.created`, `response.in_progress`. Then per chunk: text opens a
message item (`response.output_item.added`, `response.content_part.added`) and goes out as
`response.output_text.delta`; a tool call closes that message and opens a `function_call`
item whose arguments go out as `response.function_call_arguments.delta`. `finish()` closes
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
from .response import as_dict, finished, function_call_item, item_id, message_item, text_part, usage_object


@dataclass
class _Item:
    output_index: int
    id: str
    kind: str  # "message" | "function_call"
    text: str = ""  # the message's text, or the call's arguments
    call_id: str = ""
    name: str = ""
    done: dict[str, Any] | None = field(default=None, repr=False)  # the item as closed


class ResponseEvents:
    """The event stream of one Response, fed the chat chunks as they arrive."""

    def __init__(self, response: dict[str, Any], request_id: str) -> None:
        self.response = response  # the skeleton: id, model and the request's settings
        self.request_id = request_id
        self.sequence = 0
        self.items: list[_Item] = []
        self.message: _Item | None = None  # the message item taking text now
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
            text = delta.get("content")
            if isinstance(text, str) and text:
                out.append(self._text(text))
            for call in delta.get("tool_calls") or ():
                if isinstance(call, dict):
                    out.append(self._call(call))
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
        return "".join(out)

    def _text(self, text: str) -> str:
        out = ""
        if self.message is None:
            item = self._open("message", item_id("msg", self.request_id, len(self.items)))
            self.message = item
            out += self._event("response.output_item.added", output_index=item.output_index,
                               item=message_item(item.id, [], "in_progress"))
            out += self._event("response.content_part.added", item_id=item.id, output_index=item.output_index,
                               content_index=0, part=text_part(""))
        self.message.text += text
        return out + self._event("response.output_text.delta", item_id=self.message.id,
                                 output_index=self.message.output_index, content_index=0, delta=text, logprobs=[])

    def _call(self, call: dict[str, Any]) -> str:
        out = ""
        function = as_dict(call.get("function"))
        index = call.get("index", 0)
        item = self.calls.get(index)
        if item is None:
            if self.message is not None:  # the text before a call is done
                out += self._close(self.message)
                self.message = None
            item = self.calls[index] = self._open("function_call", item_id("fc", self.request_id, len(self.items)))
            item.call_id = str(call.get("id") or item_id("call", self.request_id, item.output_index))
            item.name = str(function.get("name") or "")
            out += self._event("response.output_item.added", output_index=item.output_index,
                               item=function_call_item(item.id, item.call_id, item.name, "", "in_progress"))
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
        if item.kind == "message":
            part = text_part(item.text)
            item.done = message_item(item.id, [part], status)
            out = self._event("response.output_text.done", **where, content_index=0, text=item.text, logprobs=[])
            out += self._event("response.content_part.done", **where, content_index=0, part=part)
        else:
            item.done = function_call_item(item.id, item.call_id, item.name, item.text, status)
            out = self._event("response.function_call_arguments.done", **where, arguments=item.text)
        return out + self._event("response.output_item.done", output_index=item.output_index, item=item.done)

    def finish(self, usage: TokenUsage, cost: str | None, error: str | None) -> str:
        """The closing events: every open item done, then the Response's final state."""
        figures = usage_object(usage, cost)
        if error is not None:
            output = [i.done or self._partial(i) for i in self.items]
            failed = {**self.response, "status": "failed", "output": output, "usage": figures,
                      "error": {"code": "server_error", "message": error}}
            return (self._event("error", code="stream_broken", message=error, param=None)
                    + self._event("response.failed", response=failed))
        status = "incomplete" if self.finish_reason in ("length", "content_filter") else "completed"
        out = "".join(self._close(i, status) for i in self.items if i.done is None)
        final = {**finished(self.response, self.finish_reason, figures), "output": [i.done for i in self.items]}
        return out + self._event(f"response.{final['status']}", response=final)

    def _partial(self, item: _Item) -> dict[str, Any]:
        if item.kind == "message":
            return message_item(item.id, [text_part(item.text)], "incomplete")
        return function_call_item(item.id, item.call_id, item.name, item.text, "incomplete")
