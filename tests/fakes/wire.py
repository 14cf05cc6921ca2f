"""Real OpenAI and Anthropic wire bodies, as the fake upstreams send them.

Shapes follow the providers' API references (chat.completion, chat.completion.chunk,
embeddings list, model list; Anthropic message, streaming events, error envelope).
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from typing import Any

CREATED = 1_763_000_000


def split_reply(text: str, parts: int = 3) -> list[str]:
    words = text.split(" ")
    size = max(1, -(-len(words) // parts))
    pieces = [" ".join(words[i : i + size]) for i in range(0, len(words), size)]
    return [p + (" " if i < len(pieces) - 1 else "") for i, p in enumerate(pieces)]


# --- OpenAI ---


def openai_error(status: int, message: str) -> dict[str, Any]:
    kinds = {401: "invalid_request_error", 429: "rate_limit_error", 400: "invalid_request_error"}
    kind = kinds.get(status, "server_error")
    code = {401: "invalid_api_key", 429: "rate_limit_exceeded"}.get(status)
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def openai_completion(model: str, reply: str, usage: tuple[int, int], finish: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake1", "object": "chat.completion", "created": CREATED, "model": model,
        "system_fingerprint": "fp_fake", "service_tier": "default",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": reply, "refusal": None},
                     "logprobs": None, "finish_reason": finish}],
        "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)},
    }


def openai_tool_completion(model: str, name: str, arguments: str, usage: tuple[int, int]) -> dict[str, Any]:
    """The assistant calls the function `name` with `arguments` (a JSON text)."""
    body = openai_completion(model, "", usage, finish="tool_calls")
    body["choices"][0]["message"].update(content=None, tool_calls=[
        {"id": "call_fake1", "type": "function", "function": {"name": name, "arguments": arguments}}])
    return body


def openai_chunks(model: str, reply: str, usage: tuple[int, int] | None, finish: str = "stop") -> list[dict[str, Any]]:
    """Role chunk, content chunks, finish chunk, and (when asked) the usage-only chunk."""
    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        c: dict[str, Any] = {"id": "chatcmpl-fake1", "object": "chat.completion.chunk", "created": CREATED,
                             "model": model, "system_fingerprint": "fp_fake",
                             "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                          "finish_reason": finish_reason}]}
        if usage is not None:
            c["usage"] = None  # OpenAI sends usage: null on every chunk but the last
        return c

    chunks = [chunk({"role": "assistant", "content": "", "refusal": None})]
    chunks += [chunk({"content": piece}) for piece in split_reply(reply)]
    chunks.append(chunk({}, finish))
    if usage is not None:
        last = chunk({})
        last["choices"] = []
        last["usage"] = {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)}
        chunks.append(last)
    return chunks


def openai_tool_chunks(model: str, name: str, arguments: str, usage: tuple[int, int]) -> list[dict[str, Any]]:
    """A streamed call of the function `name`: its id and name first, then the arguments in two pieces."""
    chunks = openai_chunks(model, "", usage, finish="tool_calls")
    half = len(arguments) // 2
    calls = [[{"index": 0, "id": "call_fake1", "type": "function", "function": {"name": name, "arguments": ""}}],
             [{"index": 0, "function": {"arguments": arguments[:half]}}],
             [{"index": 0, "function": {"arguments": arguments[half:]}}]]
    pieces = [{**chunks[1], "choices": [{**chunks[1]["choices"][0], "delta": {"tool_calls": c}}]} for c in calls]
    return [chunks[0], *pieces, *chunks[2:]]


def vector(text: str, dims: int = 4) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    return [round((b - 127.5) / 127.5, 6) for b in digest[:dims]]


def openai_embeddings(model: str, inputs: list[str], prompt_tokens: int, encoding: str | None,
                      dims: int = 4) -> dict[str, Any]:
    data = []
    for i, text in enumerate(inputs):
        vec = vector(text, dims)
        emb: Any = base64.b64encode(struct.pack(f"<{len(vec)}f", *vec)).decode() if encoding == "base64" else vec
        data.append({"object": "embedding", "index": i, "embedding": emb})
    return {"object": "list", "data": data, "model": model,
            "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens}}


def openai_models(ids: list[str], owned_by: str) -> dict[str, Any]:
    return {"object": "list", "data": [{"id": i, "object": "model", "created": CREATED, "owned_by": owned_by}
                                       for i in ids]}


# --- Anthropic ---


def anthropic_error(status: int, message: str) -> dict[str, Any]:
    kind = {400: "invalid_request_error", 401: "authentication_error", 429: "rate_limit_error",
            529: "overloaded_error"}.get(status, "api_error")
    return {"type": "error", "error": {"type": kind, "message": message}}


def anthropic_message(model: str, reply: str, usage: tuple[int, int], stop: str = "end_turn") -> dict[str, Any]:
    return {"id": "msg_fake1", "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": reply}], "stop_reason": stop, "stop_sequence": None,
            "usage": {"input_tokens": usage[0], "output_tokens": usage[1]}}


def anthropic_tool_message(model: str, name: str, tool_input: dict[str, Any],
                           usage: tuple[int, int]) -> dict[str, Any]:
    """The assistant calls the tool `name` with `tool_input`."""
    body = anthropic_message(model, "", usage, stop="tool_use")
    body["content"] = [{"type": "tool_use", "id": "toolu_fake1", "name": name, "input": tool_input}]
    return body


def anthropic_events(model: str, reply: str, usage: tuple[int, int], stop: str = "end_turn") -> list[dict[str, Any]]:
    start = anthropic_message(model, "", (usage[0], 1), stop)
    start.update(content=[], stop_reason=None)
    events: list[dict[str, Any]] = [
        {"type": "message_start", "message": start},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "ping"},
    ]
    events += [{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}}
               for piece in split_reply(reply)]
    events += [
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
         "usage": {"output_tokens": usage[1]}},
        {"type": "message_stop"},
    ]
    return events


def anthropic_tool_events(model: str, name: str, tool_input: dict[str, Any],
                          usage: tuple[int, int]) -> list[dict[str, Any]]:
    """A streamed tool call: a tool_use block whose input arrives as two input_json_delta pieces."""
    events = anthropic_events(model, "", usage, stop="tool_use")
    arguments = json.dumps(tool_input)
    half = len(arguments) // 2
    block = {"type": "tool_use", "id": "toolu_fake1", "name": name, "input": {}}
    return [events[0], {"type": "content_block_start", "index": 0, "content_block": block},
            *[{"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": p}}
              for p in (arguments[:half], arguments[half:])],
            *[e for e in events if e["type"] in ("content_block_stop", "message_delta", "message_stop")]]


def anthropic_models(ids: list[str]) -> dict[str, Any]:
    data = [{"type": "model", "id": i, "display_name": i, "created_at": "2025-05-14T00:00:00Z"} for i in ids]
    return {"data": data, "has_more": False, "first_id": ids[0] if ids else None,
            "last_id": ids[-1] if ids else None}
