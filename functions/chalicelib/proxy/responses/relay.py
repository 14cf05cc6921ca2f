"""A streamed Response: the chat relay (same upstream handling, disconnects, deadline and
settlement) speaking the Responses event stream instead of chat chunks.

The events of `response.created` and `response.in_progress` go out with the headers; the
closing events go out after the request was settled, so `response.completed` (or
`response.failed`) carries the usage and cost it was charged for.
"""

from __future__ import annotations

import time
from typing import Any

from ...kernel.money import fmt
from ...upstreams.streaming import UpstreamStream
from ...upstreams.types import Usage
from ..relay import RelayResponse, StreamRelay
from ..types import Admitted
from .events import ResponseEvents
from .response import skeleton


class ResponsesRelayResponse(RelayResponse):
    def __init__(self, relay: StreamRelay, admitted: Admitted, stream: UpstreamStream, body: dict[str, Any],
                 headers: dict[str, str], started: float) -> None:
        super().__init__(relay, admitted, stream, False, headers, started)
        request_id = admitted.hold.request_id
        self.events = ResponseEvents(skeleton(body, request_id, int(time.time())), request_id)

    def opening(self) -> str:
        return self.events.opening()

    def render(self, chunk: dict[str, Any]) -> str:
        return self.events.feed(chunk)

    async def _tail(self, send: Any, state: Any) -> None:
        usage, cost = self.stream.usage or Usage(), None
        if state.charged is not None:
            usage, settled = state.charged
            cost = fmt(settled.charged)
        text = self.events.finish(usage, cost, state.error)
        await send({"type": "http.response.body", "body": text.encode(), "more_body": False})

