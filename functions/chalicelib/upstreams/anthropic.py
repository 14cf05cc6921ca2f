"""Anthropic Messages API, translated to and from OpenAI chat completions.

Requests: system/developer messages become `system`; user/assistant turns keep their
order (consecutive turns of one role are merged, as Anthropic wants alternation);
content parts map text -> text and image_url -> image (data URLs as base64 blocks);
`max_tokens` is required upstream, so it defaults to the model's cap; `temperature`,
`top_p` and `top_k` (which /v1/messages callers send) go through; `stop` becomes
`stop_sequences`; simple function tools become Anthropic tools and tool results go
back as `tool_result` blocks. Responses come back as an OpenAI chat.completion with
Anthropic's stop reason mapped and its usage as reported. Streaming is in
`anthropic_stream.py`. `base_url` is the host root (`https://api.anthropic.com`);
a trailing `/v1` is tolerated.
"""

from __future__ import annotations

import json
from typing import Any

from .decoding import as_int, message_text, reported_usage, short
from .errors import ProviderRejected
from .types import DEFAULT_MAX_OUTPUT_TOKENS, ChatResult, HttpCall, Target, Usage

API_VERSION = "2023-06-01"
STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "pause_turn": "stop",
    "refusal": "content_filter",
}
# OpenAI fields with no Anthropic meaning that are safe to drop rather than refuse.
_IGNORED = {"model", "messages", "stream", "stream_options", "n", "user", "seed", "logprobs",
            "presence_penalty", "frequency_penalty", "logit_bias", "parallel_tool_calls",
            "response_format", "store", "metadata", "service_tier", "top_logprobs"}


def base(target: Target) -> str:
    url = target.base_url.rstrip("/")
    return url[:-3] if url.endswith("/v1") else url


def headers(target: Target) -> dict[str, str]:
    return {
        "x-api-key": target.api_key,
        "anthropic-version": API_VERSION,
        "Content-Type": "application/json",
        "Accept": "application/json",
    }


def stop_reason(reason: str | None) -> str | None:
    return STOP_REASONS.get(reason, "stop") if reason else None


def _bad(message: str, param: str | None = None) -> ProviderRejected:
    return ProviderRejected(message, param=param)


def _image_block(part: dict[str, Any]) -> dict[str, Any]:
    spec = part.get("image_url")
    url = spec.get("url") if isinstance(spec, dict) else spec
    if not isinstance(url, str) or not url:
        raise _bad("An image_url part needs a url.", "messages")
    if url.startswith("data:"):
        header, sep, data = url.partition(",")
        media_type = header[5:].split(";")[0]
        if not sep or ";base64" not in header or not media_type.startswith("image/"):
            raise _bad("Image data URLs must look like data:image/png;base64,....", "messages")
        return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}
    return {"type": "image", "source": {"type": "url", "url": url}}


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    if content is None:
        return []
    if not isinstance(content, list):
        raise _bad("Message content must be a string or a list of parts.", "messages")
    blocks: list[dict[str, Any]] = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            blocks.append({"type": "text", "text": str(part.get("text", ""))})
        elif kind == "image_url":
            blocks.append(_image_block(part))
        else:
            raise _bad(f"Content part type {kind!r} is not supported for this model.", "messages")
    return blocks


def _tool_use_blocks(tool_calls: Any) -> list[dict[str, Any]]:
    blocks = []
    for call in tool_calls or []:
        fn = call.get("function") or {}
        try:
            args = json.loads(fn.get("arguments") or "{}")
        except ValueError as exc:
            raise _bad("Tool call arguments must be a JSON object.", "messages") from exc
        blocks.append({"type": "tool_use", "id": call.get("id", ""), "name": fn.get("name", ""), "input": args})
    return blocks


def translate_messages(messages: Any) -> tuple[str | None, list[dict[str, Any]]]:
    """OpenAI `messages` -> (Anthropic `system`, Anthropic `messages`)."""
    if not isinstance(messages, list) or not messages:
        raise _bad("`messages` must be a non-empty list.", "messages")
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    for msg in messages:
        role = msg.get("role") if isinstance(msg, dict) else None
        if role in ("system", "developer"):
            system.append(message_text(msg.get("content")))
            continue
        if role == "user":
            blocks = _blocks(msg.get("content"))
        elif role == "assistant":
            blocks = _blocks(msg.get("content")) + _tool_use_blocks(msg.get("tool_calls"))
        elif role == "tool":
            role = "user"
            blocks = [{"type": "tool_result", "tool_use_id": msg.get("tool_call_id", ""),
                       "content": message_text(msg.get("content"))}]
        else:
            raise _bad(f"Message role {role!r} is not supported.", "messages")
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    return ("\n\n".join(s for s in system if s) or None), turns


def _tools(tools: Any) -> list[dict[str, Any]]:
    out = []
    for tool in tools or []:
        fn = tool.get("function") if isinstance(tool, dict) and tool.get("type") == "function" else None
        if not isinstance(fn, dict) or not fn.get("name"):
            raise _bad("Only function tools are supported for this model.", "tools")
        entry = {"name": fn["name"], "input_schema": fn.get("parameters") or {"type": "object", "properties": {}}}
        if fn.get("description"):
            entry["description"] = fn["description"]
        out.append(entry)
    return out


def _tool_choice(choice: Any) -> dict[str, Any]:
    if choice in ("auto", None):
        return {"type": "auto"}
    if choice == "required":
        return {"type": "any"}
    if choice == "none":
        return {"type": "none"}
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        return {"type": "tool", "name": choice["function"].get("name", "")}
    raise _bad("tool_choice is not valid.", "tool_choice")


def translate_request(target: Target, body: dict[str, Any], *, stream: bool) -> dict[str, Any]:
    """An OpenAI chat request -> an Anthropic Messages request."""
    if (body.get("n") or 1) != 1:
        raise _bad("Only n=1 is supported for this model.", "n")
    system, messages = translate_messages(body.get("messages"))
    max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
    payload: dict[str, Any] = {
        "model": target.upstream_model,
        "messages": messages,
        "max_tokens": max_tokens or target.max_output_tokens or DEFAULT_MAX_OUTPUT_TOKENS,
    }
    if system:
        payload["system"] = system
    for name in ("temperature", "top_p", "top_k"):
        if body.get(name) is not None:
            payload[name] = body[name]
    stop = body.get("stop")
    if stop:
        payload["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    if body.get("tools"):
        payload["tools"] = _tools(body["tools"])
        payload["tool_choice"] = _tool_choice(body.get("tool_choice"))
    if stream:
        payload["stream"] = True
    return payload


def chat_call(target: Target, body: dict[str, Any], *, stream: bool) -> HttpCall:
    h = headers(target)
    if stream:
        h["Accept"] = "text/event-stream"
    return HttpCall("POST", base(target) + "/v1/messages", h, translate_request(target, body, stream=stream))


def count_tokens_call(target: Target, body: dict[str, Any]) -> HttpCall:
    """Anthropic's own count of a chat request's prompt (`POST /v1/messages/count_tokens`),
    which takes only the prompt's fields."""
    payload = translate_request(target, body, stream=False)
    fields = ("model", "messages", "system", "tools", "tool_choice")
    counted: dict[str, Any] = {k: payload[k] for k in fields if k in payload}
    return HttpCall("POST", base(target) + "/v1/messages/count_tokens", headers(target), counted)


def count_tokens_result(data: Any) -> int:
    """`{"input_tokens": N}` -> N (ValueError when it is not a token count)."""
    return as_int(data.get("input_tokens") if isinstance(data, dict) else None)


def usage_of(usage: dict[str, Any]) -> Usage | None:
    """Anthropic's figures (None when they are not token counts). Cached prompt tokens are
    reported apart from `input_tokens`; they are still input."""
    parts = [usage.get(k) or 0 for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")]
    if not all(isinstance(p, int) and not isinstance(p, bool) and p >= 0 for p in parts):
        return None
    return reported_usage(sum(parts), usage.get("output_tokens") or 0)


def tool_call(block: dict[str, Any], index: int | None = None) -> dict[str, Any]:
    call = {"id": block.get("id", ""), "type": "function",
            "function": {"name": block.get("name", ""), "arguments": json.dumps(block.get("input") or {})}}
    return call if index is None else {"index": index, **call}


def chat_result(data: Any, public_model: str, created: int) -> ChatResult:
    """An Anthropic message -> an OpenAI chat.completion (usage as Anthropic reported)."""
    if not isinstance(data, dict) or data.get("type") != "message" or not isinstance(data.get("content"), list):
        raise ValueError("not an Anthropic message")
    text = "".join(b.get("text", "") for b in data["content"] if b.get("type") == "text")
    calls = [tool_call(b) for b in data["content"] if b.get("type") == "tool_use"]
    message: dict[str, Any] = {"role": "assistant", "content": text if text or not calls else None}
    if calls:
        message["tool_calls"] = calls
    usage = usage_of(data["usage"]) if isinstance(data.get("usage"), dict) and data["usage"] else None
    body = {
        "id": "chatcmpl-" + str(data.get("id", "")),
        "object": "chat.completion",
        "created": created,
        "model": public_model,
        "choices": [{"index": 0, "message": message, "logprobs": None,
                     "finish_reason": stop_reason(data.get("stop_reason")) or "stop"}],
    }
    if usage is not None:
        body["usage"] = usage.as_openai()
    return ChatResult(body=body, usage=usage)


def models_call(target: Target) -> HttpCall:
    h = headers(target)
    h.pop("Content-Type")
    return HttpCall("GET", base(target) + "/v1/models?limit=1000", h)


def models_result(data: Any) -> list[str]:
    from .openai_compat import models_result as ids_of  # same `{"data": [{"id"}]}` shape

    return ids_of(data)


def error_message(data: Any) -> str | None:
    """`{"type": "error", "error": {"type", "message"}}` -> the message."""
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return short(data["error"].get("message") or data["error"].get("type") or "")
    return None
