"""A fake upstream that calls a function tool, as OpenAI and Anthropic do on the wire.

`ToolCallingUpstream(kind, name, arguments)` answers a request that offers tools and holds
no tool result yet with one call of `name` (plain and streamed: OpenAI `tool_calls` deltas,
Anthropic `tool_use` with `input_json_delta` events); once a tool result is in the
conversation it answers text like `FakeUpstream`. Usage figures are the fake's fixed ones.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from . import wire
from .upstream_servers import FakeUpstream, Fault

CALL_ID = {"openai": "call_fake1", "anthropic": "toolu_fake1"}


def openai_tool_completion(model: str, name: str, arguments: str, usage: tuple[int, int]) -> dict[str, Any]:
    body = wire.openai_completion(model, "", usage, finish="tool_calls")
    body["choices"][0]["message"].update(content=None, tool_calls=[
        {"id": CALL_ID["openai"], "type": "function", "function": {"name": name, "arguments": arguments}}])
    return body


def openai_tool_chunks(model: str, name: str, arguments: str, usage: tuple[int, int]) -> list[dict[str, Any]]:
    chunks = wire.openai_chunks(model, "x", usage, finish="tool_calls")
    role, content, finish, last = chunks[0], chunks[1], chunks[-2], chunks[-1]
    pieces = [arguments[: len(arguments) // 2], arguments[len(arguments) // 2:]]
    calls = [{"index": 0, "id": CALL_ID["openai"], "type": "function", "function": {"name": name, "arguments": ""}}]
    calls += [{"index": 0, "function": {"arguments": p}} for p in pieces]
    deltas = [{**content, "choices": [{**content["choices"][0], "delta": {"tool_calls": [c]}}]} for c in calls]
    return [role, *deltas, finish, last]


def anthropic_tool_message(model: str, name: str, arguments: str, usage: tuple[int, int]) -> dict[str, Any]:
    body = wire.anthropic_message(model, "", usage, stop="tool_use")
    body["content"] = [{"type": "tool_use", "id": CALL_ID["anthropic"], "name": name, "input": json.loads(arguments)}]
    return body


def anthropic_tool_events(model: str, name: str, arguments: str, usage: tuple[int, int]) -> list[dict[str, Any]]:
    events = wire.anthropic_events(model, "x", usage, stop="tool_use")
    start, end = events[0], events[-3:]
    block = {"type": "tool_use", "id": CALL_ID["anthropic"], "name": name, "input": {}}
    pieces = [arguments[: len(arguments) // 2], arguments[len(arguments) // 2:]]
    middle = [{"type": "content_block_start", "index": 0, "content_block": block}]
    middle += [{"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": p}}
               for p in pieces]
    return [start, *middle, *end]


def _answered(body: dict[str, Any]) -> bool:
    """The conversation already holds a tool's result (OpenAI `tool` message, Anthropic `tool_result`)."""
    for message in body.get("messages") or []:
        if message.get("role") == "tool":
            return True
        content = message.get("content")
        if isinstance(content, list) and any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content):
            return True
    return False


class ToolCallingUpstream(FakeUpstream):
    def __init__(self, kind: Literal["openai", "anthropic"], name: str, arguments: dict[str, Any]) -> None:
        super().__init__(kind)
        self.tool_name, self.arguments = name, json.dumps(arguments)

    def _calls_tool(self, body: dict[str, Any]) -> bool:
        return bool(body.get("tools")) and not _answered(body)

    def _openai_post_v1_chat_completions(self, h: Any, body: dict[str, Any], fault: Fault) -> None:
        if not self._calls_tool(body):
            return super()._openai_post_v1_chat_completions(h, body, fault)
        model, args = body.get("model", ""), (self.tool_name, self.arguments, self.usage)
        if not body.get("stream"):
            return h.send_json(200, openai_tool_completion(model, *args))
        events: list[tuple[str | None, Any]] = [(None, c) for c in openai_tool_chunks(model, *args)]
        self._stream(h, [*events, (None, "[DONE]")], fault, cut_at=2, usage_cut_at=len(events))

    def _anthropic_post_v1_messages(self, h: Any, body: dict[str, Any], fault: Fault) -> None:
        if not self._calls_tool(body):
            return super()._anthropic_post_v1_messages(h, body, fault)
        model, args = body.get("model", ""), (self.tool_name, self.arguments, self.usage)
        if not body.get("stream"):
            return h.send_json(200, anthropic_tool_message(model, *args))
        events: list[tuple[str | None, Any]] = [(e["type"], e) for e in anthropic_tool_events(model, *args)]
        self._stream(h, events, fault, cut_at=2, usage_cut_at=len(events) - 1)
