"""`POST /v1/responses` passed through to providers that serve `/responses` themselves.

A model passes through when every provider serving it is an OpenAI-compatible one with
`responses_api` (so a fallback never changes the wire format); otherwise the request is
translated to chat. Either way the request was checked and translated first (`to_chat`
refuses what needs state) and admitted on the translated request, so the hold and the
output cap are the same: the forwarded body carries `max_output_tokens` = that cap.

Streamed, the upstream's events reach the client as they arrive, except its final
`response.completed` / `response.incomplete`, which goes out after settlement carrying the
charged usage and `cost` (as the translated stream's does); a stream that broke ends with an
`error` event and `response.failed`. A provider that ignored `stream` and answered one JSON
Response has it sent as `response.created` and `response.completed`. What was delivered (the
`.delta` texts) is counted for the charge when the upstream reports no usage.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from ...catalog.routing import ModelRoute
from ...kernel.money import fmt
from ...metering.types import Settlement, TokenUsage
from ...upstreams.responses_api import FINAL_EVENTS, RESPONSES_WIRE
from ...upstreams.streaming import UpstreamStream
from ...upstreams.types import Usage
from ..charging import Delivered
from ..types import Admitted
from .response import as_dict


def passes_through(route: ModelRoute) -> bool:
    return bool(route.targets) and all(p.type == "openai" and p.responses_api for p, _ in route.targets)


def passthrough_admitted(admitted: Admitted, body: dict[str, Any]) -> Admitted:
    """The admitted request as it goes to Responses providers: the caller's body, output capped."""
    targets = tuple((replace(p, type=RESPONSES_WIRE), model) for p, model in admitted.route.targets)
    forwarded = {**body, "max_output_tokens": admitted.forwarded["max_tokens"], "store": False}
    return replace(admitted, route=replace(admitted.route, targets=targets), forwarded=forwarded)


def charged_usage(reported: Any, usage: TokenUsage, cost: str | None) -> dict[str, Any]:
    """The upstream's usage object with the figures charged (and their cost) in it."""
    figures = {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
               "total_tokens": usage.input_tokens + usage.output_tokens}
    return {**as_dict(reported), **figures, **({"cost": cost} if cost is not None else {})}


def _sse(event: dict[str, Any]) -> str:
    return f"event: {event['type']}\ndata: {json.dumps(event, separators=(',', ':'), ensure_ascii=False)}\n\n"


class PassthroughWire:
    """The upstream's own Responses events, as a `wire.StreamWire`."""

    def __init__(self, admitted: Admitted, stream: UpstreamStream) -> None:
        self.admitted, self.stream = admitted, stream
        self.final: dict[str, Any] | None = None  # the upstream's closing event, held back for the charged usage
        self.response: dict[str, Any] | None = None  # the latest Response object the upstream sent
        self.sequence = 0  # the sequence number our own closing events take

    def opening(self) -> str:
        return ""

    def take(self, chunk: dict[str, Any], delivered: Delivered) -> bool:
        kind = chunk.get("type")
        if not isinstance(kind, str):
            return False  # not a Responses event (a server that ignored `stream` answered JSON)
        if isinstance(chunk.get("sequence_number"), int):
            self.sequence = chunk["sequence_number"] + 1
        if isinstance(chunk.get("response"), dict):
            self.response = chunk["response"]
        if kind in FINAL_EVENTS:
            self.final = chunk
            return False
        if kind.endswith(".delta"):
            delivered.add_text(chunk.get("delta"))
        return True

    def chunk(self, chunk: dict[str, Any]) -> str:
        return _sse(chunk)

    def tail(self, charged: tuple[Usage, Settlement] | None, error: str | None) -> str:
        usage, cost = self.stream.usage or Usage(), None
        if charged is not None:
            usage, settled = charged
            cost = fmt(settled.charged)
        response = as_dict(self.response) or {"object": "response", "model": self.admitted.route.name}
        whole = self.stream.whole.body if self.stream.whole is not None else None
        events: list[dict[str, Any]] = []
        if error is None and self.final is None and whole is not None:  # answered JSON: its events here
            self.final = {"type": "response.completed", "sequence_number": 1, "response": whole}
            events.append({"type": "response.created", "sequence_number": 0,
                           "response": {**whole, "status": "in_progress", "output": [], "usage": None}})
        if error is None and self.final is not None:
            final = as_dict(self.final.get("response"))
            charged_final = {**final, "usage": charged_usage(final.get("usage"), usage, cost)}
            events.append({**self.final, "response": charged_final})
        else:
            error = error or "The stream ended before the provider's end marker."
            failed = {**response, "status": "failed", "usage": charged_usage(None, usage, cost),
                      "error": {"code": "server_error", "message": error}}
            events += [{"type": "error", "sequence_number": self.sequence, "code": "stream_broken", "message": error,
                        "param": None},
                       {"type": "response.failed", "sequence_number": self.sequence + 1, "response": failed}]
        return "".join(_sse(e) for e in events)
