"""The shape of a client's stream wire format, over the OpenAI chat chunks the relay reads
(`relay.RelayResponse` drives it; each inbound format has one: chat, completions, Messages,
Responses, Responses passed through)."""

from __future__ import annotations

from typing import Any, Protocol

from ..metering.types import Settlement
from ..upstreams.types import Usage
from .charging import Delivered


class StreamWire(Protocol):
    """How a client's wire format writes the relayed stream: `opening()` goes out with the
    headers (may be ""); `take` says whether an upstream chunk goes out (counting what it
    delivers); `chunk` writes it (may be ""); `tail` ends the stream once it is settled."""

    def opening(self) -> str: ...

    def take(self, chunk: dict[str, Any], delivered: Delivered) -> bool: ...

    def chunk(self, chunk: dict[str, Any]) -> str: ...

    def tail(self, charged: tuple[Usage, Settlement] | None, error: str | None) -> str: ...


class ChunkWire:
    """What every wire over OpenAI chat chunks shares: nothing before the first chunk; each
    chunk with `choices` goes out and counts as delivered, the upstream's usage chunk does not
    (the client gets the charged figures in the tail, if its format has them)."""

    def opening(self) -> str:
        return ""

    def take(self, chunk: dict[str, Any], delivered: Delivered) -> bool:
        if not chunk.get("choices"):
            return False
        chunk.pop("usage", None)
        delivered.add_chunk(chunk)
        return True
