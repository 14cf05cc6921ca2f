"""What the proxy's steps hand each other."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..catalog.routing import ModelRoute
from ..keys.types import KeyInfo
from ..metering.types import Hold
from ..upstreams.types import Usage
from .anthropic_wire import NativeRequest
from .charging import Delivered


@dataclass(frozen=True)
class Admitted:
    """A request that passed every check and holds its worst case."""

    key: KeyInfo
    route: ModelRoute
    hold: Hold
    forwarded: dict[str, Any]  # the body as it goes upstream (the output cap set)
    prompt_tokens: int  # the prompt's upper-bound estimate the hold was sized with
    endpoint: str = "chat"  # the inbound API the request came in by, as its record says
    native: NativeRequest | None = None  # a Messages request Anthropic providers get as it was sent (capped)


@dataclass(frozen=True)
class StreamOutcome:
    """How a relayed stream ended: what the upstream reported, what reached the client."""

    provider_id: str
    usage: Usage | None
    delivered: Delivered
    latency_ms: int
    error: str | None  # cut, aborted by the client, past the deadline, or an upstream error event
