"""OpenAI-compatible providers (OpenAI, DeepSeek, vLLM, Ollama, any base URL): pass-through.

The body goes through as the caller sent it, with two changes: `model` becomes the
provider's `upstream_model`, and streams ask for `stream_options.include_usage` so the
last chunk carries the upstream's token counts (cost is never re-counted from text).
`base_url` is the API root including its version, e.g. `https://api.openai.com/v1`.
"""

from __future__ import annotations

from typing import Any

from .decoding import StreamDecoder, reported_usage, short
from .sse import DONE, Event
from .types import ChatResult, EmbeddingsResult, HttpCall, Target, Usage


def _headers(target: Target) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {target.api_key}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }


def _url(target: Target, path: str) -> str:
    return target.base_url.rstrip("/") + path


def chat_call(target: Target, body: dict[str, Any], *, stream: bool) -> HttpCall:
    payload = dict(body)  # shallow: only top-level keys change, and messages can be megabytes
    payload["model"] = target.upstream_model
    if stream:
        payload["stream"] = True
        payload["stream_options"] = {**(payload.get("stream_options") or {}), "include_usage": True}
    else:
        payload.pop("stream", None)
        payload.pop("stream_options", None)  # OpenAI refuses stream_options without stream
    headers = _headers(target)
    if stream:
        headers["Accept"] = "text/event-stream"
    return HttpCall("POST", _url(target, "/chat/completions"), headers, payload)


def _usage(data: dict[str, Any]) -> Usage | None:
    usage = data.get("usage")
    if not isinstance(usage, dict) or not usage:
        return None
    return reported_usage(usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0))


def chat_result(data: Any, public_model: str, created: int) -> ChatResult:
    """The upstream's chat.completion with the public model name; usage as reported."""
    if not isinstance(data, dict) or not isinstance(data.get("choices"), list):
        raise ValueError("not a chat.completion")
    body = dict(data)
    body["model"] = public_model
    return ChatResult(body=body, usage=_usage(data))


class OpenAIStreamDecoder(StreamDecoder):
    def feed(self, event: Event) -> None:
        if event.data.strip() == DONE:
            self.complete = True
            return
        chunk = event.json()
        if not isinstance(chunk, dict):
            raise ValueError("stream chunk is not an object")
        if "error" in chunk:
            err = chunk["error"]
            self.error = short(err.get("message", err) if isinstance(err, dict) else err)
            return
        chunk["model"] = self.public_model
        if chunk.get("usage"):
            self.usage = _usage(chunk) or self.usage
        self.chunks.append(chunk)


def stream_decoder(public_model: str, created: int) -> StreamDecoder:
    return OpenAIStreamDecoder(public_model, created)


def embeddings_call(target: Target, body: dict[str, Any]) -> HttpCall:
    payload = dict(body)
    payload["model"] = target.upstream_model
    return HttpCall("POST", _url(target, "/embeddings"), _headers(target), payload)


def embeddings_result(data: Any, public_model: str) -> EmbeddingsResult:
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise ValueError("not an embeddings list")
    body = dict(data)
    body["model"] = public_model
    usage = data.get("usage")
    tokens = reported_usage(usage.get("prompt_tokens", 0), 0) if isinstance(usage, dict) and usage else None
    return EmbeddingsResult(body=body, usage=tokens)


def models_call(target: Target) -> HttpCall:
    headers = _headers(target)
    headers.pop("Content-Type")
    return HttpCall("GET", _url(target, "/models"), headers)


def models_result(data: Any) -> list[str]:
    """Model ids from `{"data": [{"id": ...}, ...]}`; anything else is malformed."""
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ValueError("model list has no `data` array")
    ids = [item.get("id") if isinstance(item, dict) else None for item in items]
    if not all(isinstance(i, str) and i for i in ids):
        raise ValueError("model list has entries without an id")
    return ids  # type: ignore[return-value]


def error_message(data: Any) -> str | None:
    """The provider's own message from an error body `{"error": {"message": ...}}`."""
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict) and err.get("message"):
            return short(err["message"])
        if isinstance(err, str):
            return short(err)
    return None
