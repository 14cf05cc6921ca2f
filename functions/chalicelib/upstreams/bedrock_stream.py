"""ConverseStream's answer: AWS event-stream frames -> events -> OpenAI chat.completion.chunks.

`EventStreamFraming` cuts the binary stream into messages with botocore's own parser
(`EventStreamBuffer`: prelude, headers, payload, both CRC32s checked) and hands each on as an
`sse.Event`, named by its `:event-type` (an exception message as `exception.<type>`), so the
streaming client treats it like any server-sent event. `BedrockStreamDecoder` then maps
`messageStart` (role chunk), `contentBlockStart` (a tool call opens), `contentBlockDelta`
(text or tool-argument deltas), `messageStop` (the finish reason) and `metadata` (usage, the
last event: the end marker); an exception message is an in-stream error.
"""

from __future__ import annotations

from typing import Any

from botocore.eventstream import EventStreamBuffer, ParserError

from ..kernel.ids import new_id
from .bedrock import stop_reason, tool_call, usage_of
from .decoding import StreamDecoder, short
from .sse import Event

EXCEPTION = "exception."


class EventStreamFraming:
    """Incremental: `feed` bytes as they arrive, get the messages they complete."""

    def __init__(self) -> None:
        self._buffer = EventStreamBuffer()

    def feed(self, part: bytes) -> list[Event]:
        self._buffer.add_data(part)
        try:
            return [_event(message.headers, message.payload) for message in self._buffer]
        except ParserError as exc:  # a bad CRC or length: the stream is not trustworthy any more
            raise ValueError(f"malformed event-stream frame ({type(exc).__name__})") from exc

    def end(self) -> list[Event]:
        return []  # a partial frame at the end is a cut stream, not a message


def _event(headers: dict[str, Any], payload: bytes) -> Event:
    data = payload.decode("utf-8")
    if headers.get(":message-type") in ("exception", "error"):
        kind = headers.get(":exception-type") or headers.get(":error-code") or "error"
        return Event(EXCEPTION + str(kind), data or "{}")
    return Event(str(headers.get(":event-type") or "message"), data)


class BedrockStreamDecoder(StreamDecoder):
    def __init__(self, public_model: str, created: int) -> None:
        super().__init__(public_model, created)
        self.id = "chatcmpl-" + new_id()
        self._tool_index: dict[int, int] = {}  # Converse content block index -> OpenAI tool_calls index

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> None:
        self.chunks.append({
            "id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.public_model,
            "system_fingerprint": None,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        })

    def feed(self, event: Event) -> None:
        data = event.json() if event.data else {}
        if not isinstance(data, dict):
            raise ValueError("stream event is not an object")
        if event.event.startswith(EXCEPTION):
            kind = event.event[len(EXCEPTION):]
            self.error = short(f"{kind}: {data.get('message') or data.get('Message') or 'no detail'}")
            return
        handler = getattr(self, "_on_" + event.event, None)
        if handler is not None:
            handler(data)

    def _on_messageStart(self, data: dict[str, Any]) -> None:  # noqa: N802 - Converse's event names
        self._chunk({"role": "assistant", "content": ""})

    def _on_contentBlockStart(self, data: dict[str, Any]) -> None:  # noqa: N802
        use = (data.get("start") or {}).get("toolUse")
        if isinstance(use, dict):
            index = self._tool_index.setdefault(int(data.get("contentBlockIndex", 0)), len(self._tool_index))
            self._chunk({"tool_calls": [tool_call(use, "", index)]})

    def _on_contentBlockDelta(self, data: dict[str, Any]) -> None:  # noqa: N802
        delta = data.get("delta") or {}
        if isinstance(delta.get("text"), str):
            self._chunk({"content": delta["text"]})
        elif isinstance(delta.get("toolUse"), dict):
            index = self._tool_index.get(int(data.get("contentBlockIndex", 0)), 0)
            arguments = str(delta["toolUse"].get("input", ""))
            self._chunk({"tool_calls": [{"index": index, "function": {"arguments": arguments}}]})

    def _on_messageStop(self, data: dict[str, Any]) -> None:  # noqa: N802
        self._chunk({}, stop_reason(data.get("stopReason")) or "stop")

    def _on_metadata(self, data: dict[str, Any]) -> None:
        self.usage = usage_of(data.get("usage"))
        self.complete = True
        if self.usage is not None:
            self.chunks.append({"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                                "model": self.public_model, "system_fingerprint": None,
                                "choices": [], "usage": self.usage.as_openai()})


def stream_decoder(public_model: str, created: int) -> StreamDecoder:
    return BedrockStreamDecoder(public_model, created)
