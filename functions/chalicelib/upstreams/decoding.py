"""What every adapter's stream decoder shares: the state a stream leaves behind."""

from __future__ import annotations

from typing import Any

from .sse import Event
from .types import ChatResult, Usage


class StreamDecoder:
    """Fed one upstream event at a time; collects OpenAI chunks and the reported usage.

    `complete` turns True only on the upstream's own end marker; a stream that stops
    without it was cut. `error` is the upstream's in-stream error, if it sent one.
    """

    def __init__(self, public_model: str, created: int) -> None:
        self.public_model = public_model
        self.created = created
        self.chunks: list[dict[str, Any]] = []
        self.usage: Usage | None = None
        self.complete = False
        self.error: str | None = None

    def feed(self, event: Event) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


def as_int(value: Any) -> int:
    """A token count from an upstream: a non-negative int, or ValueError (malformed)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"not a token count: {value!r}")
    return value


def reported_usage(input_tokens: Any, output_tokens: Any) -> Usage | None:
    """An upstream's usage figures, or None when they are not token counts (missing,
    negative, not whole numbers): then the proxy charges an estimate of what was delivered."""
    try:
        return Usage(as_int(input_tokens), as_int(output_tokens))
    except ValueError:
        return None


def message_text(content: Any) -> str:
    """The text of an OpenAI chat message's `content` (a string, or its text parts joined by
    newlines), for providers whose prompt fields take plain text."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def short(text: Any, limit: int = 300) -> str:
    """A provider's message cut to a safe length for an error detail."""
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def chunks_from_completion(result: ChatResult) -> list[dict[str, Any]]:
    """A whole chat.completion as the chunks a stream of it would have been.

    Some OpenAI-compatible servers ignore `stream: true` and answer JSON; the caller
    still gets a valid stream, and the usage is still the upstream's.
    """
    body = result.body
    base = {k: body.get(k) for k in ("id", "created", "model", "system_fingerprint")}
    base["object"] = "chat.completion.chunk"
    chunks = []
    for choice in body.get("choices") or []:
        message = dict(choice.get("message") or {})
        delta = {k: v for k, v in message.items() if v is not None}
        if "tool_calls" in delta:
            delta["tool_calls"] = [{"index": i, **c} for i, c in enumerate(delta["tool_calls"])]
        index = choice.get("index", 0)
        chunks.append({**base, "choices": [{"index": index, "delta": delta, "logprobs": None, "finish_reason": None}]})
        chunks.append({**base, "choices": [{"index": index, "delta": {}, "logprobs": None,
                                            "finish_reason": choice.get("finish_reason") or "stop"}]})
    if result.usage is not None:
        chunks.append({**base, "choices": [], "usage": result.usage.as_openai()})
    return chunks
