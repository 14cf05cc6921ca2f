"""A fake OpenAI-compatible upstream that serves the Responses API itself (`POST /v1/responses`).

Plain: one Response. Streamed: OpenAI's event sequence (`response.created` ...
`response.output_text.delta` x3 ... `response.completed` carrying `usage`). When tools are
offered and the input holds no `function_call_output` yet, the output is one `function_call`
of `tool_name` instead of text. Usage is the fake's fixed figures; `STREAM_CUT` drops the
connection after the first delta; `IGNORE_STREAM` answers a stream request with the JSON
Response. Chat completions are still served, as `FakeUpstream` does.
"""

from __future__ import annotations

import json
from typing import Any

from .upstream_servers import FakeUpstream, Fault

CALL_ID = "call_resp1"


class ResponsesUpstream(FakeUpstream):
    def __init__(self, tool_name: str = "get_weather", arguments: dict[str, Any] | None = None) -> None:
        super().__init__("openai")
        self.tool_name, self.arguments = tool_name, json.dumps(arguments or {"city": "Paris"})

    def _item(self, body: dict[str, Any]) -> dict[str, Any]:
        given = body.get("input")
        answered = isinstance(given, list) and any(
            isinstance(i, dict) and i.get("type") == "function_call_output" for i in given)
        if body.get("tools") and not answered:
            return {"id": "fc_up_0", "type": "function_call", "status": "completed", "call_id": CALL_ID,
                    "name": self.tool_name, "arguments": self.arguments}
        return {"id": "msg_up_0", "type": "message", "status": "completed", "role": "assistant",
                "content": [{"type": "output_text", "text": self.reply, "annotations": [], "logprobs": []}]}

    def _response(self, body: dict[str, Any], status: str, output: list[dict[str, Any]],
                  usage: bool) -> dict[str, Any]:
        figures = {"input_tokens": self.usage[0], "input_tokens_details": {"cached_tokens": 0},
                   "output_tokens": self.usage[1], "output_tokens_details": {"reasoning_tokens": 0},
                   "total_tokens": sum(self.usage)}
        return {"id": "resp_upstream1", "object": "response", "created_at": 1700000000, "status": status,
                "model": body.get("model", ""), "output": output, "error": None, "incomplete_details": None,
                "instructions": body.get("instructions"), "max_output_tokens": body.get("max_output_tokens"),
                "parallel_tool_calls": True, "tool_choice": "auto", "tools": body.get("tools") or [],
                "text": {"format": {"type": "text"}}, "store": body.get("store", True),
                "usage": figures if usage else None}

    def _openai_post_v1_responses(self, h: Any, body: dict[str, Any], fault: Fault) -> None:
        item = self._item(body)
        if not body.get("stream") or fault == Fault.IGNORE_STREAM:
            return h.send_json(200, self._response(body, "completed", [item], True))
        events = self._events(body, item)
        named: list[tuple[str | None, Any]] = [(e["type"], {**e, "sequence_number": n}) for n, e in enumerate(events)]
        self._stream(h, named, fault, cut_at=5, usage_cut_at=len(named) - 1)

    def _events(self, body: dict[str, Any], item: dict[str, Any]) -> list[dict[str, Any]]:
        opened = self._response(body, "in_progress", [], False)
        where = {"output_index": 0, "item_id": item["id"]}
        out: list[dict[str, Any]] = [{"type": "response.created", "response": opened},
                                     {"type": "response.in_progress", "response": opened}]
        if item["type"] == "function_call":
            out.append({"type": "response.output_item.added", "output_index": 0, "item": {**item, "arguments": ""}})
            out += [{"type": "response.function_call_arguments.delta", **where, "delta": item["arguments"]},
                    {"type": "response.function_call_arguments.done", **where, "arguments": item["arguments"]}]
        else:
            part = item["content"][0]
            out.append({"type": "response.output_item.added", "output_index": 0, "item": {**item, "content": []}})
            out.append({"type": "response.content_part.added", **where, "content_index": 0, "part": {**part,
                                                                                                     "text": ""}})
            third = len(self.reply) // 3
            pieces = [self.reply[:third], self.reply[third:2 * third], self.reply[2 * third:]]
            out += [{"type": "response.output_text.delta", **where, "content_index": 0, "delta": p, "logprobs": []}
                    for p in pieces]
            out += [{"type": "response.output_text.done", **where, "content_index": 0, "text": self.reply,
                     "logprobs": []},
                    {"type": "response.content_part.done", **where, "content_index": 0, "part": part}]
        out.append({"type": "response.output_item.done", "output_index": 0, "item": item})
        out.append({"type": "response.completed", "response": self._response(body, "completed", [item], True)})
        return out
