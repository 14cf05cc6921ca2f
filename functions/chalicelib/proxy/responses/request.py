"""A Responses request -> the internal chat completions request every upstream adapter reads.

`instructions` becomes the first (system) message; `input` as a string is one user message;
input items map one to one: `message` items keep their role (text and image parts),
`function_call` items become an assistant turn's `tool_calls` (consecutive calls, and the
text just before them, share one turn, as chat wants), `function_call_output` items become
`tool` messages; `reasoning` items are dropped (nothing here produces them and no upstream
could read another's). Function tools, `tool_choice`, `max_output_tokens` (-> `max_tokens`,
which the proxy then caps to what the hold covers), `temperature`, `top_p`, `text.format`
(-> `response_format`), `reasoning.effort` and `user` carry over. Whatever needs state
(`previous_response_id`, `store: true`, `conversation`, item references, stored files) or a
hosted tool is refused with a 400 that says so, before anything is held or sent. What needs no
state and no upstream reads (`include`, `truncation`, `metadata`, `prompt_cache_key`,
`safety_identifier`, `service_tier`, `store: false`, ...) is accepted and not forwarded, so
clients that send it by default (the openai-agents SDK, Codex-style agents) work unchanged.
"""

from __future__ import annotations

from typing import Any

from ...kernel.errors import BadRequest

_STATEFUL = {
    "previous_response_id": "previous_response_id is not supported: KeyLedger stores no responses. "
                            "Send the whole conversation in `input` instead.",
    "conversation": "conversation is not supported: KeyLedger stores no conversations. "
                    "Send the whole conversation in `input` instead.",
    "prompt": "Stored prompt templates are not supported; send `instructions` and `input`.",
}


def _bad(message: str, param: str, code: str = "unsupported_parameter") -> BadRequest:
    return BadRequest(message, code=code, param=param)


def _refuse_state(body: dict[str, Any]) -> None:
    for name, message in _STATEFUL.items():
        if body.get(name) is not None:
            raise _bad(message, name)
    if body.get("store") is True:
        raise _bad("store: true is not supported: KeyLedger stores no responses. Leave `store` out or send false.",
                   "store")
    if body.get("background") is True:
        raise _bad("background: true is not supported: responses are answered while you wait.", "background")


def _image_part(part: dict[str, Any]) -> dict[str, Any]:
    url = part.get("image_url")
    if not isinstance(url, str) or not url:
        raise _bad("An input_image needs an image_url (a URL or a data URL); stored file ids are not supported.",
                   "input")
    image: dict[str, Any] = {"url": url}
    if part.get("detail") in ("low", "high", "auto"):
        image["detail"] = part["detail"]
    return {"type": "image_url", "image_url": image}


def _parts(content: Any, param: str = "input") -> list[dict[str, Any]]:
    """Responses content parts -> chat content parts (text and images)."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if not isinstance(content, list):
        raise _bad("Message content must be a string or a list of content parts.", param)
    parts = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in ("input_text", "output_text", "text"):
            parts.append({"type": "text", "text": str(part.get("text", ""))})
        elif kind == "refusal":
            parts.append({"type": "text", "text": str(part.get("refusal", ""))})
        elif kind == "input_image":
            parts.append(_image_part(part))
        else:
            raise _bad(f"Content part type {kind!r} is not supported.", param)
    return parts


def _text(parts: list[dict[str, Any]]) -> str:
    return "\n".join(p["text"] for p in parts if p["type"] == "text")


def _content(role: str, content: Any) -> Any:
    """Text stays a string (what every upstream reads); a user's images keep their parts."""
    if isinstance(content, str):
        return content
    parts = _parts(content)
    if len(parts) == 1 and parts[0]["type"] == "text" or role != "user":
        if any(p["type"] != "text" for p in parts):
            raise _bad(f"Only a user message may hold images, not a {role} message.", "input")
        return _text(parts)
    return parts


def _tool_output(output: Any) -> str:
    if isinstance(output, str):
        return output
    parts = _parts(output)
    if any(p["type"] != "text" for p in parts):
        raise _bad("A function_call_output may only hold text here.", "input")
    return _text(parts)


def _messages(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    for item in items:
        kind = item.get("type", "message")
        if kind == "message":
            role = item.get("role")
            if role not in ("user", "assistant", "system", "developer"):
                raise _bad(f"Message role {role!r} is not supported.", "input")
            messages.append({"role": role, "content": _content(role, item.get("content"))})
        elif kind == "function_call":
            call = {"id": str(item.get("call_id") or item.get("id") or ""), "type": "function",
                    "function": {"name": str(item.get("name", "")), "arguments": str(item.get("arguments") or "{}")}}
            last = messages[-1] if messages else None
            if last is not None and last["role"] == "assistant" and isinstance(last.get("content"), str | None):
                last.setdefault("tool_calls", []).append(call)
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            messages.append({"role": "tool", "tool_call_id": str(item.get("call_id", "")),
                             "content": _tool_output(item.get("output"))})
        elif kind == "reasoning":
            continue
        elif kind == "item_reference":
            raise _bad("item_reference is not supported: KeyLedger stores no items. Send the item itself.", "input")
        else:
            raise _bad(f"Input item type {kind!r} is not supported.", "input")
    return messages


def _tools(tools: list[Any]) -> list[dict[str, Any]]:
    out = []
    for tool in tools:
        if not isinstance(tool, dict) or tool.get("type") != "function" or not tool.get("name"):
            kind = tool.get("type") if isinstance(tool, dict) else None
            raise _bad(f"Only function tools are supported, not {kind!r} (hosted tools need OpenAI itself).",
                       "tools", code="unsupported_tool")
        function = {k: tool[k] for k in ("name", "description", "parameters", "strict") if tool.get(k) is not None}
        out.append({"type": "function", "function": function})
    return out


def _tool_choice(choice: Any) -> Any:
    if choice in ("auto", "none", "required"):
        return choice
    if isinstance(choice, dict) and choice.get("type") == "function" and choice.get("name"):
        return {"type": "function", "function": {"name": choice["name"]}}
    raise _bad("tool_choice must be auto, none, required or {\"type\": \"function\", \"name\": ...}.",
               "tool_choice")


def _response_format(text: dict[str, Any]) -> dict[str, Any] | None:
    fmt = text.get("format")
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if fmt is None or kind == "text":
        return None
    if kind == "json_object":
        return {"type": "json_object"}
    if kind == "json_schema" and isinstance(fmt, dict) and fmt.get("name") and isinstance(fmt.get("schema"), dict):
        schema = {k: fmt[k] for k in ("name", "description", "schema", "strict") if fmt.get(k) is not None}
        return {"type": "json_schema", "json_schema": schema}
    raise _bad("text.format must be text, json_object, or json_schema with a name and a schema.", "text.format")


def to_chat(body: dict[str, Any]) -> dict[str, Any]:
    """The chat completions request for a Responses request (validated by `ResponsesIn`)."""
    _refuse_state(body)
    given = body["input"]
    items = [{"type": "message", "role": "user", "content": given}] if isinstance(given, str) else given
    messages = _messages(items)
    if not messages:
        raise _bad("`input` holds nothing to answer.", "input")
    if isinstance(body.get("instructions"), str) and body["instructions"]:
        messages.insert(0, {"role": "system", "content": body["instructions"]})
    chat: dict[str, Any] = {"model": body["model"], "messages": messages}
    for name in ("stream", "temperature", "top_p", "parallel_tool_calls", "user"):
        if body.get(name) is not None:
            chat[name] = body[name]
    if body.get("max_output_tokens") is not None:
        chat["max_tokens"] = body["max_output_tokens"]
    if body.get("tools"):  # chat refuses a tool_choice without tools
        chat["tools"] = _tools(body["tools"])
        if body.get("tool_choice") is not None:
            chat["tool_choice"] = _tool_choice(body["tool_choice"])
    if isinstance(body.get("text"), dict) and (response_format := _response_format(body["text"])):
        chat["response_format"] = response_format
    reasoning = body.get("reasoning")
    if isinstance(reasoning, dict) and reasoning.get("effort"):
        chat["reasoning_effort"] = reasoning["effort"]
    return chat
