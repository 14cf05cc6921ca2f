"""The /v1 routes of the inbound formats other than chat completions: Anthropic Messages
(`/v1/messages`, `/v1/messages/count_tokens`), legacy completions (`/v1/completions`) and
the Responses API (`/v1/responses`, in `responses/`).

Each translates its request into the internal chat request (`anthropic_wire`,
`completions_wire`), calls the same metered service as chat, and translates the answer back;
a stream is relayed with the format's own `StreamWire`. The record names the endpoint.
A Messages request also goes along as it was sent, for Anthropic providers (passed through).
"""

from __future__ import annotations

import time
from typing import Any

import anyio.to_thread
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from ..kernel.context import RequestMeta
from ..upstreams.types import Usage
from .anthropic_events import MessageEvents
from .anthropic_wire import (
    CountTokensIn,
    MessagesIn,
    NativeRequest,
    message_from_chat,
    messages_to_chat,
    native_request,
    usage_body,
)
from .completions_wire import CompletionsIn, TextCompletionChunks, completion_to_chat, text_completion_from_chat
from .http_io import ProxyParts, api_key_of, json_response, read_body
from .relay import StreamWire
from .responses.endpoint import respond
from .responses.schemas import ResponsesIn
from .schemas import parse_body
from .service import ProxyAnswer


async def messages(request: Request, parts: ProxyParts, meta: RequestMeta) -> Response:
    started = time.monotonic()
    body = await _parsed(request, parts, MessagesIn)
    chat = messages_to_chat(body)
    native = native_request(body, request.headers.get("anthropic-beta"))
    if body.get("stream") is not True:
        answer = await anyio.to_thread.run_sync(parts.proxy.chat, api_key_of(request), chat, meta, "messages",
                                                native)
        usage = answer.usage or Usage()
        if answer.body.get("type") == "message":  # an Anthropic provider's own answer
            return json_response({**answer.body, "usage": answer.body.get("usage") or usage_body(usage)},
                                 headers=answer.headers)
        message = message_from_chat(answer.body, usage, body["model"], meta.request_id)
        return json_response(message, headers=answer.headers)
    return await _stream(request, parts, meta, chat, "messages", MessageEvents(meta.request_id, body["model"]),
                         started, native)


async def count_tokens(request: Request, parts: ProxyParts, meta: RequestMeta) -> Response:
    body = await _parsed(request, parts, CountTokensIn)
    tokens = await anyio.to_thread.run_sync(parts.proxy.prompt_tokens, api_key_of(request), messages_to_chat(body),
                                            meta)
    return json_response({"input_tokens": tokens})


async def completions(request: Request, parts: ProxyParts, meta: RequestMeta) -> Response:
    started = time.monotonic()
    body = await _parsed(request, parts, CompletionsIn)
    chat = completion_to_chat(body)
    if body.get("stream") is not True:
        answer = await anyio.to_thread.run_sync(parts.proxy.chat, api_key_of(request), chat, meta, "completions")
        text = text_completion_from_chat(answer.body, answer.usage or Usage(), body["model"], meta.request_id)
        return json_response(text, headers=answer.headers)
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    wire = TextCompletionChunks(meta.request_id, body["model"], include_usage)
    return await _stream(request, parts, meta, chat, "completions", wire, started)


async def responses(request: Request, parts: ProxyParts, meta: RequestMeta) -> Response:
    started = time.monotonic()
    body = await _parsed(request, parts, ResponsesIn)
    answer = await respond(body, api_key_of(request), parts.proxy, parts.proxy_relay, meta, started)
    if isinstance(answer, ProxyAnswer):
        return json_response(answer.body, headers=answer.headers)
    return answer  # type: ignore[return-value]  # a RelayResponse, as for chat


async def _parsed(request: Request, parts: ProxyParts, model: type[BaseModel]) -> dict[str, Any]:
    limit = parts.settings.proxy_max_body_bytes
    return parse_body(await read_body(request, limit), request.headers.get("content-type", ""), model, limit)


async def _stream(request: Request, parts: ProxyParts, meta: RequestMeta, chat: dict[str, Any], endpoint: str,
                  wire: StreamWire, started: float, native: NativeRequest | None = None) -> Response:
    service = parts.proxy
    admitted = await anyio.to_thread.run_sync(service.admit_chat, api_key_of(request), chat, meta, endpoint,
                                              native)
    stream = await parts.proxy_relay.open(admitted)
    headers = await anyio.to_thread.run_sync(service.rate_headers, admitted.key, admitted.hold)
    return parts.proxy_relay.response(admitted, stream, False, headers, started, wire)  # type: ignore[return-value]
