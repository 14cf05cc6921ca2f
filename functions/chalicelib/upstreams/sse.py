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


def parse_events(lines: Iterable[str]) -> Iterator[Event]:
    """Turn decoded lines (without line endings) into events."""
    name = ""
    data: list[str] = []
    for raw in lines:
        line = raw.rstrip("\r")
        if line == "":
            if data:
                yield Event(name or "message", "\n".join(data))
            name, data = "", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
        # `id` and `retry` mean nothing for a single model answer: ignored.
    if data:
        yield Event(name or "message", "\n".join(data))


def parse_text(text: str) -> list[Event]:
    """Parse a whole event-stream body (tests, and answers read in one piece)."""
    return list(parse_events(text.split("\n")))


def render_chunk(chunk: dict[str, Any]) -> str:
    return "data: " + json.dumps(chunk, separators=(",", ":"), ensure_ascii=False) + "\n\n"


def render_stream(chunks: Iterable[dict[str, Any]], *, done: bool = True) -> str:
    """The complete `text/event-stream` body: one `data:` event per chunk, then [DONE]."""
    body = "".join(render_chunk(c) for c in chunks)
    return body + f"data: {DONE}\n\n" if done else body


def render_error(message: str, *, type_: str = "api_error", code: str | None = None) -> str:
    """An error event in the shape OpenAI uses mid-stream (the SDK raises on it)."""
    return render_chunk({"error": {"message": message, "type": type_, "code": code, "param": None}})


def iter_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """Split a byte stream on "\\n" only and decode each line as UTF-8.

    (`requests`' own iter_lines uses str.splitlines, which also splits on U+2028 and
    friends: legal inside JSON strings, so it would tear a data line apart.)
    """
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            yield line.decode("utf-8", errors="replace")
    if buffer:
        yield buffer.decode("utf-8", errors="replace")
