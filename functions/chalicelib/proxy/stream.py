"""The `text/event-stream` body the proxy answers for `stream: true`.

Chalice cannot stream a Lambda response, so the whole upstream stream is read first
and answered as one complete, valid event-stream body of OpenAI chunks. A finished
stream ends with a chunk carrying `usage`, then `data: [DONE]`. A stream that broke
midway keeps what arrived, then a usage chunk if the upstream reported usage, and ends
with an OpenAI-style error event (the SDK raises on it) instead of `[DONE]`.
"""

from __future__ import annotations

from typing import Any

from ..metering.types import TokenUsage
from ..upstreams.sse import DONE, render_chunk, render_error
from ..upstreams.types import openai_usage


def _usage_chunk(template: dict[str, Any] | None, model: str, usage: TokenUsage, created: int) -> dict[str, Any]:
    base = template or {}
    return {"id": base.get("id", "chatcmpl-keyledger"), "object": "chat.completion.chunk",
            "created": base.get("created", created), "model": base.get("model", model), "choices": [],
            "usage": openai_usage(usage.input_tokens, usage.output_tokens)}


def render(chunks: list[dict[str, Any]], usage: TokenUsage | None, *, model: str, created: int,
           error: str | None = None) -> str:
    """The whole body: the chunks, the usage (on the last chunk before the end), the end."""
    chunks = [dict(c) for c in chunks]
    for chunk in chunks:  # usage is said once, at the end, with the figures we charged
        chunk.pop("usage", None)
    parts = [render_chunk(c) for c in chunks]
    if usage is not None:
        parts.append(render_chunk(_usage_chunk(chunks[0] if chunks else None, model, usage, created)))
    parts.append(render_error(error, code="stream_broken") if error is not None else f"data: {DONE}\n\n")
    return "".join(parts)
