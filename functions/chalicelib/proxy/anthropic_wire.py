"""The Anthropic Messages wire format, inbound: its request types, and its translation to and
from the proxy's internal form (an OpenAI chat completions request and answer).

Translating to chat form is what lets `/v1/messages` use every upstream type: the upstream
adapters turn a chat request into an OpenAI-compatible or any other call. Anthropic
providers get the caller's own body instead (`NativeRequest`, through
`upstreams.anthropic_native`), so nothing is lost there; for the others, what a chat request
cannot carry is dropped, not refused: `cache_control` marks, `thinking` settings and the
thinking blocks of earlier turns. Server tools (web search, code execution...) and
document blocks are refused with a 400: the gateway cannot run them on every upstream.
Errors are answered in Anthropic's envelope (`error_body`), with Anthropic's type per status.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..kernel.errors import AppError, BadRequest
from ..upstreams.types import Usage
from ..web.fields import JsonBool, NoCoercion

STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use",
                "function_call": "tool_use", "content_filter": "refusal"}
ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 402: "billing_error",
               403: "permission_error", 404: "not_found_error", 405: "invalid_request_error",
               409: "invalid_request_error", 413: "request_too_large", 429: "rate_limit_error",
               504: "timeout_error", 529: "overloaded_error"}
MIN_THINKING_BUDGET = 1024  # Anthropic's smallest budget_tokens
_SATURATED = {429, 503, 529}  # an upstream that says it is busy: Anthropic's "overloaded"


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["user", "assistant"]
    content: str | list[dict[str, Any]]


class MessagesIn(BaseModel):
    """An Anthropic Messages request (`POST /v1/messages`); other fields are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1, max_length=200)
    messages: list[MessageIn] = Field(min_length=1)
    max_tokens: Annotated[int, Field(ge=1), NoCoercion]
    system: str | list[dict[str, Any]] | None = None
    stop_sequences: list[str] | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: Annotated[int, Field(ge=0), NoCoercion] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    stream: JsonBool | None = None


class CountTokensIn(BaseModel):
    """`POST /v1/messages/count_tokens`: a Messages request without `max_tokens`."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1, max_length=200)
    messages: list[MessageIn] = Field(min_length=1)
    system: str | list[dict[str, Any]] | None = None
    tools: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class NativeRequest:
    """The caller's Messages request as an Anthropic provider gets it (passed through), with
    the `anthropic-beta` header and the prompt tokens chat form leaves out (thinking blocks)."""

    body: dict[str, Any]
    beta: str | None
    extra_prompt_tokens: int

    def capped(self, cap: int) -> NativeRequest:
        """The request with `max_tokens` = `cap` (the hold's), a thinking budget kept below it."""
        body = {**self.body, "max_tokens": cap}
        thinking = body.get("thinking")
        if isinstance(thinking, dict) and thinking.get("type") == "enabled":
            budget = thinking.get("budget_tokens")
            if isinstance(budget, int) and budget >= cap:
                if cap - 1 >= MIN_THINKING_BUDGET:
                    body["thinking"] = {**thinking, "budget_tokens": cap - 1}
                else:
                    body.pop("thinking")
        return NativeRequest(body, self.beta, self.extra_prompt_tokens)


def native_request(body: dict[str, Any], beta: str | None) -> NativeRequest:
    """What an Anthropic provider is sent for `body`; earlier thinking blocks are prompt
    tokens the chat form drops, counted by their JSON bytes (a bound, as token_estimate's)."""
    extra = sum(len(json.dumps(block, ensure_ascii=False).encode("utf-8"))
                for turn in body["messages"] if isinstance(turn.get("content"), list)
                for block in turn["content"] if block.get("type") in ("thinking", "redacted_thinking"))
    return NativeRequest({k: v for k, v in body.items() if k != "stream"}, beta, extra)


def _bad(message: str, param: str = "messages") -> BadRequest:
    return BadRequest(message, code="invalid_request", param=param)


def _text(blocks: Any, where: str) -> str:
    """The text of a string or of a list of text blocks."""
    if isinstance(blocks, str):
        return blocks
    texts = []
    for block in blocks or []:
        if not isinstance(block, dict) or block.get("type") != "text":
            raise _bad(f"Only text blocks are supported in {where}.", where)
        texts.append(str(block.get("text", "")))
    return "\n".join(texts)


def _image_part(block: dict[str, Any]) -> dict[str, Any]:
    source = block.get("source")
    if not isinstance(source, dict):
        source = {}
    if source.get("type") == "base64" and source.get("media_type") and source.get("data"):
        url = f"data:{source['media_type']};base64,{source['data']}"
    elif source.get("type") == "url" and source.get("url"):
        url = str(source["url"])
    else:
        raise _bad("An image block needs a base64 or url source.")
    return {"type": "image_url", "image_url": {"url": url}}


def _tool_result(block: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A tool result -> a `tool` message with its text, and its images (a tool message
    cannot carry them: they follow in the user message)."""
    content = block.get("content")
    blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content or []
    if not isinstance(blocks, list):
        raise _bad("A tool_result's content must be a string or a list of blocks.")
    images = [_image_part(b) for b in blocks if isinstance(b, dict) and b.get("type") == "image"]
    text = _text([b for b in blocks if not (isinstance(b, dict) and b.get("type") == "image")], "tool_result content")
    if block.get("is_error"):
        text = f"(the tool failed) {text}"
    return {"role": "tool", "tool_call_id": str(block.get("tool_use_id", "")), "content": text}, images


def _user_turn(content: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A user turn: tool results first (each a `tool` message, as chat form wants them right
    after the assistant's calls), then the text and images as one user message."""
    results, parts = [], []
    for block in content:
        kind = block.get("type")
        if kind == "tool_result":
            result, images = _tool_result(block)
            results.append(result)
            parts.extend(images)
        elif kind == "text":
            parts.append({"type": "text", "text": str(block.get("text", ""))})
        elif kind == "image":
            parts.append(_image_part(block))
        else:
            raise _bad(f"Content block type {kind!r} is not supported in a user turn.")
    return results + ([{"role": "user", "content": parts}] if parts else [])


def _assistant_turn(content: list[dict[str, Any]]) -> dict[str, Any]:
    texts, calls = [], []
    for block in content:
        kind = block.get("type")
        if kind == "text":
            texts.append(str(block.get("text", "")))
        elif kind == "tool_use":
            calls.append({"id": str(block.get("id", "")), "type": "function",
                          "function": {"name": str(block.get("name", "")),
                                       "arguments": json.dumps(block.get("input") or {})}})
        elif kind not in ("thinking", "redacted_thinking"):  # earlier reasoning: not carried over
            raise _bad(f"Content block type {kind!r} is not supported in an assistant turn.")
    message: dict[str, Any] = {"role": "assistant", "content": "".join(texts) or None}
    if calls:
        message["tool_calls"] = calls
    return message


def _tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for tool in tools:
        if tool.get("type") not in (None, "custom") or not tool.get("name"):
            raise _bad(f"Tool {tool.get('name')!r}: only client tools (name, input_schema) are supported.", "tools")
        function = {"name": tool["name"], "parameters": tool.get("input_schema") or {"type": "object"}}
        if tool.get("description"):
            function["description"] = tool["description"]
        out.append({"type": "function", "function": function})
    return out


def _tool_choice(choice: dict[str, Any]) -> Any:
    kind = choice.get("type")
    if kind == "tool" and choice.get("name"):
        return {"type": "function", "function": {"name": choice["name"]}}
    mapped = {"auto": "auto", "any": "required", "none": "none"}.get(str(kind))
    if mapped is None:
        raise _bad("tool_choice type must be auto, any, tool or none.", "tool_choice")
    return mapped


def messages_to_chat(body: dict[str, Any]) -> dict[str, Any]:
    """An Anthropic Messages request -> the internal chat request (same model and limits)."""
    chat: dict[str, Any] = {"model": body["model"], "messages": []}
    if body.get("system"):
        chat["messages"].append({"role": "system", "content": _text(body["system"], "system")})
    for turn in body["messages"]:
        content = turn["content"]
        if isinstance(content, str):
            chat["messages"].append({"role": turn["role"], "content": content})
        elif turn["role"] == "user":
            chat["messages"].extend(_user_turn(content))
        else:
            chat["messages"].append(_assistant_turn(content))
    if body.get("max_tokens") is not None:
        chat["max_tokens"] = body["max_tokens"]
    for name in ("temperature", "top_p", "top_k"):
        if body.get(name) is not None:
            chat[name] = body[name]
    if body.get("stop_sequences"):
        chat["stop"] = list(body["stop_sequences"])
    if body.get("tools"):
        chat["tools"] = _tools(body["tools"])
    choice = body.get("tool_choice")
    if choice:
        chat["tool_choice"] = _tool_choice(choice)
        if choice.get("disable_parallel_tool_use") and chat.get("tools"):
            chat["parallel_tool_calls"] = False
    user = (body.get("metadata") or {}).get("user_id")
    if isinstance(user, str) and user:
        chat["user"] = user
    return chat


def stop_reason(finish_reason: Any) -> str:
    return STOP_REASONS.get(str(finish_reason), "end_turn")


def tool_input(arguments: Any) -> Any:
    """A tool call's arguments as the `input` object Anthropic's clients expect."""
    try:
        value = json.loads(arguments or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def usage_body(usage: Usage) -> dict[str, int]:
    return {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens}


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def message_from_chat(completion: dict[str, Any], usage: Usage, model: str, request_id: str) -> dict[str, Any]:
    """A chat.completion -> an Anthropic message; `usage` is what the request was charged for.
    Read defensively: an OpenAI-compatible provider's answer is passed on as it sent it."""
    choices = completion.get("choices")
    choice = _obj(choices[0] if isinstance(choices, list) and choices else None)
    message = _obj(choice.get("message"))
    content: list[dict[str, Any]] = []
    text = message.get("content")
    if isinstance(text, list):
        text = "".join(str(_obj(p).get("text", "")) for p in text)
    if isinstance(text, str) and text:
        content.append({"type": "text", "text": text})
    calls = message.get("tool_calls")
    for call in calls if isinstance(calls, list) else []:
        function = _obj(_obj(call).get("function"))
        content.append({"type": "tool_use", "id": str(_obj(call).get("id") or f"toolu_{request_id}_{len(content)}"),
                        "name": str(function.get("name", "")), "input": tool_input(function.get("arguments"))})
    return {"id": f"msg_{request_id}", "type": "message", "role": "assistant", "model": model, "content": content,
            "stop_reason": stop_reason(choice.get("finish_reason")), "stop_sequence": None,
            "usage": usage_body(usage)}


def error_status(err: AppError) -> int:
    """The status an Anthropic client sees: an upstream that is saturated (rate limited or
    overloaded even after our retries) is Anthropic's 529 overloaded_error."""
    if err.status == 502 and getattr(err, "upstream_status", None) in _SATURATED:
        return 529
    return err.status


def error_body(err: AppError) -> dict[str, Any]:
    """Anthropic's error envelope for one of our errors."""
    status = error_status(err)
    kind = ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    return {"type": "error", "error": {"type": kind, "message": err.message}}
