"""Amazon Bedrock's Converse API, translated to and from OpenAI chat completions.

Requests: system/developer messages become `system` blocks; user/assistant turns keep their
order (consecutive turns of one role are merged: Converse wants alternation); text parts
become `text` blocks, data-URL images `image` blocks (Converse takes bytes, not URLs);
assistant `tool_calls` become `toolUse` blocks and `tool` messages `toolResult` blocks;
function tools become `toolConfig`; the output cap, `temperature`, `top_p` and `stop` go
into `inferenceConfig`. Answers come back as an OpenAI chat.completion with the stop
reason mapped and Converse's `usage` as reported: cache reads and writes are input tokens
too (Converse counts them apart from `inputTokens`). The parameters are the ones botocore
takes for `Converse`/`ConverseStream`; `bedrock_signing.py` serialises and signs them.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ..kernel.ids import new_id
from .decoding import message_text, reported_usage, short
from .errors import ProviderRejected
from .types import DEFAULT_MAX_OUTPUT_TOKENS, ChatResult, Target, Usage

STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
}
# The geographies of Bedrock's system-defined cross-region inference profiles (`us.anthropic...`).
PROFILE_PREFIXES = ("us", "eu", "apac", "us-gov", "global", "jp", "au", "ca")
IMAGE_FORMATS = {"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/gif": "gif",
                 "image/webp": "webp"}


def _bad(message: str, param: str | None = "messages") -> ProviderRejected:
    return ProviderRejected(message, param=param)


def model_id(target: Target) -> str:
    """The id Bedrock is called with: a bare foundation model id gets the provider's
    cross-region inference profile prefix (`us.` + `anthropic.claude...`); inference profile
    ids and ARNs go as they are."""
    model = target.upstream_model
    profile = target.bedrock.inference_profile if target.bedrock else None
    if not profile or model.startswith("arn:") or model.split(".", 1)[0] in (profile, *PROFILE_PREFIXES):
        return model
    return f"{profile}.{model}"


def stop_reason(reason: str | None) -> str | None:
    return STOP_REASONS.get(reason, "stop") if reason else None


def _image_block(part: dict[str, Any]) -> dict[str, Any]:
    spec = part.get("image_url")
    url = spec.get("url") if isinstance(spec, dict) else spec
    if not isinstance(url, str) or not url.startswith("data:"):
        raise _bad("Bedrock models take images as data URLs (data:image/png;base64,...), not links.")
    header, sep, data = url.partition(",")
    media_type = header[5:].split(";")[0].lower()
    if not sep or ";base64" not in header or media_type not in IMAGE_FORMATS:
        raise _bad(f"Image data URLs must be base64 {', '.join(sorted(set(IMAGE_FORMATS.values())))}.")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _bad("An image data URL is not valid base64.") from exc
    return {"image": {"format": IMAGE_FORMATS[media_type], "source": {"bytes": raw}}}


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"text": content}] if content else []
    if content is None:
        return []
    if not isinstance(content, list):
        raise _bad("Message content must be a string or a list of parts.")
    blocks: list[dict[str, Any]] = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            if part.get("text"):
                blocks.append({"text": str(part["text"])})
        elif kind == "image_url":
            blocks.append(_image_block(part))
        else:
            raise _bad(f"Content part type {kind!r} is not supported for this model.")
    return blocks


def _tool_use_blocks(tool_calls: Any) -> list[dict[str, Any]]:
    blocks = []
    for call in tool_calls or []:
        fn = call.get("function") or {}
        try:
            args = json.loads(fn.get("arguments") or "{}")
        except ValueError as exc:
            raise _bad("Tool call arguments must be a JSON object.") from exc
        blocks.append({"toolUse": {"toolUseId": call.get("id", ""), "name": fn.get("name", ""), "input": args}})
    return blocks


def _tool_result(msg: dict[str, Any]) -> dict[str, Any]:
    return {"toolResult": {"toolUseId": msg.get("tool_call_id", ""),
                           "content": [{"text": message_text(msg.get("content")) or " "}]}}


def translate_messages(messages: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """OpenAI `messages` -> (Converse `system`, Converse `messages`)."""
    if not isinstance(messages, list) or not messages:
        raise _bad("`messages` must be a non-empty list.")
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    for msg in messages:
        role = msg.get("role") if isinstance(msg, dict) else None
        if role in ("system", "developer"):
            text = message_text(msg.get("content"))
            if text:
                system.append({"text": text})
            continue
        if role == "user":
            blocks = _blocks(msg.get("content"))
        elif role == "assistant":
            blocks = _blocks(msg.get("content")) + _tool_use_blocks(msg.get("tool_calls"))
        elif role == "tool":
            role, blocks = "user", [_tool_result(msg)]
        else:
            raise _bad(f"Message role {role!r} is not supported.")
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    return system, turns


def _tools(tools: Any) -> list[dict[str, Any]]:
    out = []
    for tool in tools or []:
        fn = tool.get("function") if isinstance(tool, dict) and tool.get("type") == "function" else None
        if not isinstance(fn, dict) or not fn.get("name"):
            raise _bad("Only function tools are supported for this model.", "tools")
        spec: dict[str, Any] = {"name": fn["name"],
                                "inputSchema": {"json": fn.get("parameters") or {"type": "object", "properties": {}}}}
        if fn.get("description"):
            spec["description"] = fn["description"]
        out.append({"toolSpec": spec})
    return out


def _tool_choice(choice: Any) -> dict[str, Any] | None:
    """Converse has no "none": the tools stay declared (earlier turns may use them) and the
    model chooses, as with "auto"."""
    if choice in ("auto", "none", None):
        return None
    if choice == "required":
        return {"any": {}}
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        return {"tool": {"name": choice["function"].get("name", "")}}
    raise _bad("tool_choice is not valid.", "tool_choice")


def translate_request(target: Target, body: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI chat request -> botocore's `Converse` parameters."""
    if (body.get("n") or 1) != 1:
        raise _bad("Only n=1 is supported for this model.", "n")
    system, messages = translate_messages(body.get("messages"))
    max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
    config: dict[str, Any] = {"maxTokens": max_tokens or target.max_output_tokens or DEFAULT_MAX_OUTPUT_TOKENS}
    if body.get("temperature") is not None:
        config["temperature"] = body["temperature"]
    if body.get("top_p") is not None:
        config["topP"] = body["top_p"]
    stop = body.get("stop")
    if stop:
        config["stopSequences"] = [stop] if isinstance(stop, str) else list(stop)
    params: dict[str, Any] = {"modelId": model_id(target), "messages": messages, "inferenceConfig": config}
    if system:
        params["system"] = system
    if body.get("tools"):
        tool_config: dict[str, Any] = {"tools": _tools(body["tools"])}
        choice = _tool_choice(body.get("tool_choice"))
        if choice is not None:
            tool_config["toolChoice"] = choice
        params["toolConfig"] = tool_config
    return params


def usage_of(usage: Any) -> Usage | None:
    """Converse's figures (None when they are not token counts); cache reads and writes are input."""
    if not isinstance(usage, dict) or not usage:
        return None
    parts = [usage.get(k) or 0 for k in ("inputTokens", "cacheReadInputTokens", "cacheWriteInputTokens")]
    if not all(isinstance(p, int) and not isinstance(p, bool) and p >= 0 for p in parts):
        return None
    return reported_usage(sum(parts), usage.get("outputTokens") or 0)


def tool_call(use: dict[str, Any], arguments: str, index: int | None = None) -> dict[str, Any]:
    call = {"id": use.get("toolUseId", ""), "type": "function",
            "function": {"name": use.get("name", ""), "arguments": arguments}}
    return call if index is None else {"index": index, **call}


def chat_result(data: Any, public_model: str, created: int) -> ChatResult:
    """A Converse answer -> an OpenAI chat.completion (usage as Bedrock reported)."""
    content = data["output"]["message"]["content"]
    if not isinstance(content, list):
        raise ValueError("not a Converse answer")
    text = "".join(b["text"] for b in content if isinstance(b, dict) and isinstance(b.get("text"), str))
    calls = [tool_call(b["toolUse"], json.dumps(b["toolUse"].get("input") or {}))
             for b in content if isinstance(b, dict) and isinstance(b.get("toolUse"), dict)]
    message: dict[str, Any] = {"role": "assistant", "content": text if text or not calls else None}
    if calls:
        message["tool_calls"] = calls
    usage = usage_of(data.get("usage"))
    body: dict[str, Any] = {
        "id": "chatcmpl-" + new_id(), "object": "chat.completion", "created": created, "model": public_model,
        "choices": [{"index": 0, "message": message, "logprobs": None,
                     "finish_reason": stop_reason(data.get("stopReason")) or "stop"}],
    }
    if usage is not None:
        body["usage"] = usage.as_openai()
    return ChatResult(body=body, usage=usage)


def error_message(data: Any) -> str | None:
    """`{"message": ...}` (Bedrock's error body) -> the message."""
    if isinstance(data, dict):
        text = data.get("message") or data.get("Message")
        if isinstance(text, str) and text:
            return short(text)
    return None
