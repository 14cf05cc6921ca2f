"""Server-sent events: parse an upstream's stream, render the OpenAI stream we answer.

Parsing follows the HTML spec's event-stream rules closely enough for model APIs:
lines `field: value`, a blank line ends an event, `data` lines are joined with "\\n",
comment lines (starting with ":") are ignored, a trailing event without its blank line
is still delivered (the stream may have been cut).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

DONE = "[DONE]"


@dataclass(frozen=True)
class Event:
    event: str  # "message" when the upstream gave no `event:` line
    data: str

    def json(self) -> Any:
        return json.loads(self.data)


class EventParser:
    """Incremental parsing: `feed` bytes as they arrive, get the events they complete.

    Lines are split on "\n" only (str.splitlines would also split on U+2028 and friends:
    legal inside JSON strings, so it would tear a data line apart)."""

    def __init__(self) -> None:
        self._buffer = b""
        self._name = ""
        self._data: list[str] = []

    def feed(self, part: bytes) -> list[Event]:
        self._buffer += part
        *lines, self._buffer = self._buffer.split(b"\n")
        return [e for e in (self._line(line.decode("utf-8", errors="replace")) for line in lines) if e]

    def end(self) -> list[Event]:
        """What a stream that stopped without its last blank line still delivers."""
        events = self.feed(b"\n") if self._buffer else []
        done = self._line("")
        return events + ([done] if done else [])

    def _line(self, raw: str) -> Event | None:
        line = raw.rstrip("\r")
        if line == "":
            event = Event(self._name or "message", "\n".join(self._data)) if self._data else None
            self._name, self._data = "", []
            return event
        if line.startswith(":"):
            return None
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            self._name = value
        elif field == "data":
            self._data.append(value)
        # `id` and `retry` mean nothing for a single model answer: ignored.
        return None


def parse_events(parts: Iterable[bytes]) -> Iterator[Event]:
    """The events of a byte stream, cut anywhere."""
    parser = EventParser()
    for part in parts:
        yield from parser.feed(part)
    yield from parser.end()


def parse_text(text: str) -> list[Event]:
    """Parse a whole event-stream body (tests, and answers read in one piece)."""
    return list(parse_events([text.encode("utf-8")]))


def render_chunk(chunk: dict[str, Any]) -> str:
    return "data: " + json.dumps(chunk, separators=(",", ":"), ensure_ascii=False) + "\n\n"


def render_stream(chunks: Iterable[dict[str, Any]], *, done: bool = True) -> str:
    """The complete `text/event-stream` body: one `data:` event per chunk, then [DONE]."""
    body = "".join(render_chunk(c) for c in chunks)
    return body + f"data: {DONE}\n\n" if done else body


def render_error(message: str, *, type_: str = "api_error", code: str | None = None) -> str:
    """An error event in the shape OpenAI uses mid-stream (the SDK raises on it)."""
    return render_chunk({"error": {"message": message, "type": type_, "code": code, "param": None}})
