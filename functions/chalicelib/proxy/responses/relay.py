"""A streamed Response: the chat relay (same upstream handling, disconnects, deadline and
settlement) writing the Responses event stream instead of chat chunks.

The events of `response.created` and `response.in_progress` go out with the headers; the
closing events go out after the request was settled, so `response.completed` (or
`response.failed`) carries the usage and cost it was charged for.
"""

from __future__ import annotations

import time
from typing import Any

from ...kernel.money import fmt
from ...metering.types import Settlement
from ...upstreams.streaming import UpstreamStream
from ...upstreams.types import Usage
from ..types import Admitted
from ..wire import ChunkWire
from .events import ResponseEvents
from .response import skeleton


class ResponsesWire(ChunkWire):
    """The Responses API's stream grammar, as a `relay.StreamWire`."""

    def __init__(self, admitted: Admitted, stream: UpstreamStream, body: dict[str, Any]) -> None:
        request_id = admitted.hold.request_id
        self.stream = stream
        self.events = ResponseEvents(skeleton(body, request_id, int(time.time())), request_id)

    def opening(self) -> str:
        return self.events.opening()

    def chunk(self, chunk: dict[str, Any]) -> str:
        return self.events.feed(chunk)

    def tail(self, charged: tuple[Usage, Settlement] | None, error: str | None) -> str:
        usage, cost = self.stream.usage or Usage(), None
        if charged is not None:
            usage, settled = charged
            cost = fmt(settled.charged)
        return self.events.finish(usage, cost, error)
