"""`POST /v1/responses` over the chat proxy: translate, call the metered chat path, translate back.

Every check, the hold and the settlement are the chat proxy's own (`ProxyService.admit_chat`,
`complete_chat`, `StreamRelay`), on the translated request, so the output cap the hold was
sized for is the one sent upstream and the request record says `endpoint: "responses"`. A
model whose providers all serve `/responses` themselves gets the caller's body instead,
output capped and `store: false` (nothing is kept upstream either), and its answer as they sent it (`passthrough.py`).
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread

from ...kernel.context import RequestMeta
from ...upstreams.types import Usage
from ..relay import RelayResponse, StreamRelay
from ..service import ProxyAnswer, ProxyService
from .passthrough import PassthroughWire, charged_usage, passes_through, passthrough_admitted
from .relay import ResponsesWire
from .request import to_chat
from .response import from_completion

ENDPOINT = "responses"


async def respond(body: dict[str, Any], api_key: str, proxy: ProxyService, relay: StreamRelay, meta: RequestMeta,
                  started: float) -> ProxyAnswer | RelayResponse:
    """A Response (JSON body and headers), or the event stream when `body` asks for one."""
    admitted = await anyio.to_thread.run_sync(proxy.admit_chat, api_key, to_chat(body), meta, ENDPOINT)
    passthrough = passes_through(admitted.route)
    if passthrough:
        admitted = passthrough_admitted(admitted, body)
    if body.get("stream") is not True:
        answer = await anyio.to_thread.run_sync(proxy.complete_chat, admitted)
        usage, cost = answer.usage or Usage(), answer.headers.get("x-keyledger-cost")
        if passthrough:
            response = {**answer.body, "usage": charged_usage(answer.body.get("usage"), usage, cost)}
        else:
            response = from_completion(answer.body, body, meta.request_id, usage, cost)
        return ProxyAnswer(response, answer.headers, answer.usage)
    stream = await relay.open(admitted)
    headers = await anyio.to_thread.run_sync(proxy.rate_headers, admitted.key, admitted.hold)
    wire = PassthroughWire(admitted, stream) if passthrough else ResponsesWire(admitted, stream, body)
    return relay.response(admitted, stream, False, headers, started, wire)
