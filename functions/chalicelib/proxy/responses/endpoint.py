"""`POST /v1/responses` over the chat proxy: translate, call the metered chat path, translate back.

Every check, the hold and the settlement are the chat proxy's own (`ProxyService.chat`,
`admit_chat`, `StreamRelay`), on the translated request, so the output cap the hold was sized
for is the one sent upstream and the request record says `endpoint: "responses"`.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread

from ...kernel.context import RequestMeta
from ...upstreams.types import Usage
from ..relay import RelayResponse, StreamRelay
from ..service import ProxyAnswer, ProxyService
from .relay import ResponsesWire
from .request import to_chat
from .response import from_completion

ENDPOINT = "responses"


async def respond(body: dict[str, Any], api_key: str, proxy: ProxyService, relay: StreamRelay, meta: RequestMeta,
                  started: float) -> ProxyAnswer | RelayResponse:
    """A Response (JSON body and headers), or the event stream when `body` asks for one."""
    chat = to_chat(body)
    if body.get("stream") is not True:
        answer = await anyio.to_thread.run_sync(proxy.chat, api_key, chat, meta, ENDPOINT)
        response = from_completion(answer.body, body, meta.request_id, answer.usage or Usage(),
                                   answer.headers.get("x-keyledger-cost"))
        return ProxyAnswer(response, answer.headers, answer.usage)
    admitted = await anyio.to_thread.run_sync(proxy.admit_chat, api_key, chat, meta, ENDPOINT)
    stream = await relay.open(admitted)
    headers = await anyio.to_thread.run_sync(proxy.rate_headers, admitted.key, admitted.hold)
    return relay.response(admitted, stream, False, headers, started, ResponsesWire(admitted, stream, body))
