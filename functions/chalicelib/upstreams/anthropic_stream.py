"""Anthropic streaming events -> OpenAI chat.completion.chunk dicts.

`message_start` opens the answer (role chunk; input usage), `content_block_start`
opens a tool call, `content_block_delta` carries text or tool-argument deltas,
`message_delta` the stop reason and the final output usage, `message_stop` ends the
stream (then the usage-only chunk OpenAI sends last with include_usage), `error`
is an in-stream failure, `ping` is noise. Usage is Anthropic's, never re-counted.
"""

from __future__ import annotations

from typing import Any

from .anthropic import stop_reason, tool_call, usage_of
from .decoding import StreamDecoder, short
from .sse import Event
from .types import Usage


class AnthropicStreamDecoder(StreamDecoder):
    def __init__(self, public_model: str, created: int) -> None:
        super().__init__(public_model, created)
        self.id = "chatcmpl-"
        self._input = Usage()
        self._tool_index: dict[int, int] = {}  # Anthropic block index -> OpenAI tool_calls index

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> None:
        self.chunks.append({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.public_model,
            "system_fingerprint": None,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        })

    def feed(self, event: Event) -> None:
        data = event.json()
        if not isinstance(data, dict):
            raise ValueError("stream event is not an object")
        kind = data.get("type") or event.event
        handler = getattr(self, "_on_" + str(kind), None)
        if handler is not None:
            handler(data)

    def _on_message_start(self, data: dict[str, Any]) -> None:
        message = data.get("message") or {}
        self.id = "chatcmpl-" + str(message.get("id", ""))
        self.usage = usage_of(message.get("usage") or {})
        self._input = self.usage or Usage()
        self._chunk({"role": "assistant", "content": ""})

    def _on_content_block_start(self, data: dict[str, Any]) -> None:
        block = data.get("content_block") or {}
        if block.get("type") == "tool_use":
            index = self._tool_index.setdefault(data.get("index", 0), len(self._tool_index))
            call = tool_call({**block, "input": {}}, index)
            call["function"]["arguments"] = ""
            self._chunk({"tool_calls": [call]})
        elif block.get("type") == "text" and block.get("text"):
            self._chunk({"content": block["text"]})

    def _on_content_block_delta(self, data: dict[str, Any]) -> None:
        delta = data.get("delta") or {}
        if delta.get("type") == "text_delta":
            self._chunk({"content": delta.get("text", "")})
        elif delta.get("type") == "input_json_delta":
            index = self._tool_index.get(data.get("index", 0), 0)
            self._chunk({"tool_calls": [{"index": index, "function": {"arguments": delta.get("partial_json", "")}}]})

    def _on_message_delta(self, data: dict[str, Any]) -> None:
        usage = data.get("usage") or {}
        if usage:
            # message_delta's output_tokens is cumulative; input figures may be repeated.
            final = usage_of({**usage, "input_tokens": usage.get("input_tokens") or 0})
            if final is not None:
                inp = final.input_tokens if final.input_tokens else self._input.input_tokens
                self.usage = Usage(inp, final.output_tokens)
        reason = (data.get("delta") or {}).get("stop_reason")
        if reason:
            self._chunk({}, stop_reason(reason))

    def _on_message_stop(self, data: dict[str, Any]) -> None:
        self.complete = True
        if self.usage is not None:
            self.chunks.append({"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                                "model": self.public_model, "system_fingerprint": None,
                                "choices": [], "usage": self.usage.as_openai()})

    def _on_error(self, data: dict[str, Any]) -> None:
        err = data.get("error") or {}
        text = (err.get("message") or err.get("type")) if isinstance(err, dict) else None
        self.error = short(text or "stream error")


def stream_decoder(public_model: str, created: int) -> StreamDecoder:
    return AnthropicStreamDecoder(public_model, created)
