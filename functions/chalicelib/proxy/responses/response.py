"""Response objects (`object: "response"`): built from a chat completion, or step by step by a stream.

Ids derive from the request id, so a Response, its items and the usage record name one
request: `resp_<request id>`, then `msg_`, `fc_` or `rs_` + `<request id>_<output index>`.
`usage` holds the figures the request was charged for (the upstream's, or the estimate of
what was delivered when it reported none) and, as an extension, `cost` in USD.
"""

from __future__ import annotations

import time
from typing import Any

from ...metering.types import TokenUsage

# Chat finish reasons that leave a Response incomplete, and the reason Responses gives.
INCOMPLETE = {"length": "max_output_tokens", "content_filter": "content_filter"}


def as_dict(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one (fields a client or upstream may omit)."""
    return value if isinstance(value, dict) else {}


def skeleton(body: dict[str, Any], request_id: str, created_at: int) -> dict[str, Any]:
    """A Response in progress with nothing in it yet: the request's own settings echoed."""
    text, reasoning = as_dict(body.get("text")), as_dict(body.get("reasoning"))
    return {
        "id": "resp_" + request_id, "object": "response", "created_at": created_at, "status": "in_progress",
        "background": False, "error": None, "incomplete_details": None,
        "instructions": body.get("instructions"), "max_output_tokens": body.get("max_output_tokens"),
        "model": body["model"], "output": [], "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": None,
        "reasoning": {"effort": reasoning.get("effort"), "summary": reasoning.get("summary")},
        "store": False, "temperature": body.get("temperature"),
        "text": {**text, "format": text.get("format") or {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"), "tools": body.get("tools") or [],
        "top_p": body.get("top_p"), "truncation": "disabled", "usage": None, "user": body.get("user"),
        "metadata": body.get("metadata") or {},
    }


def item_id(prefix: str, request_id: str, output_index: int) -> str:
    return f"{prefix}_{request_id}_{output_index}"


def text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def refusal_part(text: str) -> dict[str, Any]:
    return {"type": "refusal", "refusal": text}


def reasoning_part(text: str) -> dict[str, Any]:
    return {"type": "reasoning_text", "text": text}


def message_item(item_id_: str, parts: list[dict[str, Any]], status: str) -> dict[str, Any]:
    return {"id": item_id_, "type": "message", "status": status, "role": "assistant", "content": parts}


def reasoning_item(item_id_: str, parts: list[dict[str, Any]], status: str) -> dict[str, Any]:
    """The model's visible reasoning (chat's `reasoning_content`, as DeepSeek-style servers send it)."""
    return {"id": item_id_, "type": "reasoning", "status": status, "summary": [], "content": parts}


def function_call_item(item_id_: str, call_id: str, name: str, arguments: str, status: str) -> dict[str, Any]:
    return {"id": item_id_, "type": "function_call", "status": status, "call_id": call_id, "name": name,
            "arguments": arguments}


def usage_object(usage: TokenUsage, cost: str | None = None, cached: int = 0, reasoning: int = 0) -> dict[str, Any]:
    out: dict[str, Any] = {
        "input_tokens": usage.input_tokens, "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": 0},
        "output_tokens": usage.output_tokens, "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": usage.input_tokens + usage.output_tokens,
    }
    if cost is not None:
        out["cost"] = cost
    return out


def finished(response: dict[str, Any], finish_reason: str | None, usage: dict[str, Any]) -> dict[str, Any]:
    """The response with its final status, incomplete reason and usage."""
    reason = INCOMPLETE.get(finish_reason or "")
    return {**response, "status": "incomplete" if reason else "completed",
            "incomplete_details": {"reason": reason} if reason else None,
            "completed_at": None if reason else int(time.time()), "usage": usage}


def _detail(usage: Any, group: str, name: str) -> int:
    details = usage.get(group) if isinstance(usage, dict) else None
    value = details.get(name) if isinstance(details, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _text_of(content: Any) -> str:
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return content if isinstance(content, str) else ""


def from_completion(chat: dict[str, Any], body: dict[str, Any], request_id: str, usage: TokenUsage,
                    cost: str | None) -> dict[str, Any]:
    """The Response for a chat.completion answer (its first choice)."""
    choices = chat.get("choices") or [{}]
    choice = as_dict(choices[0])
    message = as_dict(choice.get("message"))
    finish = choice.get("finish_reason")
    status = "incomplete" if finish in INCOMPLETE else "completed"
    output: list[dict[str, Any]] = []
    reasoning = message.get("reasoning_content")
    if isinstance(reasoning, str) and reasoning:
        output.append(reasoning_item(item_id("rs", request_id, 0), [reasoning_part(reasoning)], status))
    text, refusal, calls = _text_of(message.get("content")), message.get("refusal"), message.get("tool_calls") or []
    if text or refusal or not calls:
        part = refusal_part(refusal) if refusal and not text else text_part(text)
        output.append(message_item(item_id("msg", request_id, len(output)), [part], status))
    for call in map(as_dict, calls):
        function = as_dict(call.get("function"))
        output.append(function_call_item(item_id("fc", request_id, len(output)),
                                         str(call.get("id") or item_id("call", request_id, len(output))),
                                         str(function.get("name", "")), str(function.get("arguments") or ""),
                                         "completed"))
    reported = chat.get("usage")
    figures = usage_object(usage, cost, cached=_detail(reported, "prompt_tokens_details", "cached_tokens"),
                           reasoning=_detail(reported, "completion_tokens_details", "reasoning_tokens"))
    created = chat["created"] if isinstance(chat.get("created"), int) else int(time.time())
    return {**finished(skeleton(body, request_id, created), finish, figures), "output": output}
