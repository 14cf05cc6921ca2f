"""Upper bounds on the tokens a request can cost, before the upstream has counted them.

A hold must never be smaller than the cost, so the prompt estimate is an upper bound,
not a guess. Why UTF-8 bytes bound the tokens of text: the tokenizers of the models we
proxy (byte-level BPE for OpenAI-style models, SentencePiece/BPE with byte fallback for
the others) never emit a token that stands for less than one byte of input, so a text
of n UTF-8 bytes is at most n tokens. Half the bytes would be the usual figure for
English, but it is not a bound (emoji, rare CJK, random symbols tokenize near one token
per byte), and a refused request costs a user less than an overspent balance costs us.
The chat template adds a few tokens per message (OpenAI documents 3-4 per message and
3 to prime the reply): we allow MESSAGE_OVERHEAD per message and REPLY_OVERHEAD once.
Images are not text: each image part is allowed IMAGE_TOKENS, above the largest count
either family charges for one image (OpenAI high detail ~1,445 for 2048x768 tiles,
Anthropic ~1,600 at its 1.15 megapixel cap). The hold is released at settle, where the
upstream's own counts are charged, so the bound costs nothing in the end.
"""

from __future__ import annotations

import json
from typing import Any

MESSAGE_OVERHEAD = 8
REPLY_OVERHEAD = 8
IMAGE_TOKENS = 2_000


def _text_bytes(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    # Tool calls, tool schemas, structured content: the model reads their JSON text.
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8"))


def _content_tokens(content: Any) -> int:
    if not isinstance(content, list):
        return _text_bytes(content)
    total = 0
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in ("image_url", "image", "input_image"):
            total += IMAGE_TOKENS
        elif kind == "text":
            total += _text_bytes(part.get("text"))
        else:
            total += _text_bytes(part)
    return total


def chat_prompt_tokens(body: dict[str, Any]) -> int:
    """An upper bound on the prompt tokens of an OpenAI chat request body."""
    total = REPLY_OVERHEAD
    for message in body.get("messages") or []:
        if not isinstance(message, dict):
            total += _text_bytes(message)
            continue
        total += MESSAGE_OVERHEAD + _content_tokens(message.get("content"))
        total += _text_bytes(message.get("name")) + _text_bytes(message.get("tool_calls"))
        total += _text_bytes(message.get("function_call"))
    for extra in ("tools", "functions", "response_format", "tool_choice"):
        if body.get(extra) is not None:
            total += _text_bytes(body.get(extra))
    return total


def embeddings_input_tokens(body: dict[str, Any]) -> int:
    """An upper bound on the tokens of an embeddings request's `input`."""
    value = body.get("input")
    items = value if isinstance(value, list) else [value]
    if items and all(isinstance(i, int) for i in items):
        return len(items)  # one array of token ids
    total = 0
    for item in items:
        if isinstance(item, list):  # an array of token ids
            total += len(item)
        else:
            total += _text_bytes(item) + 1
    return total


def output_tokens_cap(body: dict[str, Any], model_max: int) -> int:
    """The most output tokens the request can produce: its own limit or the model's cap."""
    asked = body.get("max_completion_tokens") or body.get("max_tokens")
    if isinstance(asked, int) and not isinstance(asked, bool) and asked > 0:
        return min(asked, model_max) if model_max > 0 else asked
    return model_max
