"""What every adapter's stream decoder shares: the state a stream leaves behind."""

from __future__ import annotations

from typing import Any

from .sse import Event
from .types import Usage


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


def short(text: Any, limit: int = 300) -> str:
    """A provider's message cut to a safe length for an error detail."""
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 1] + "…"
