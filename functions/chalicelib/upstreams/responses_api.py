"""OpenAI-compatible providers that serve the Responses API themselves (`responses_api: true`).

`/v1/responses` is passed through to them: the caller's Responses body goes to
`<base_url>/responses` with `model` set to the provider's `upstream_model` (the proxy has
already set `max_output_tokens` to the output cap its hold covers), and the answer comes back
as the provider sent it, `model` set to the public name. The usage is the Response's own
(`input_tokens`, `output_tokens`). Streamed, each upstream event is handed on as it arrives
(as a dict, in the place of a chat chunk); the stream is complete at `response.completed` or
`response.incomplete`, whose `usage` is the upstream's report, and broken at `error` or
`response.failed`. These calls go through the client under the wire name `RESPONSES_WIRE`.
"""

from __future__ import annotations

from typing import Any

from .decoding import StreamDecoder, reported_usage, short
from .openai_compat import _headers, _url
from .sse import Event
from .types import ChatResult, HttpCall, Target, Usage

RESPONSES_WIRE = "openai_responses"  # the adapter a pass-through target is called with
FINAL_EVENTS = ("response.completed", "response.incomplete")


def responses_call(target: Target, body: dict[str, Any], *, stream: bool) -> HttpCall:
    payload = {**body, "model": target.upstream_model}
    headers = _headers(target)
    if stream:
        payload["stream"] = True
        headers["Accept"] = "text/event-stream"
    else:
        payload.pop("stream", None)
        payload.pop("stream_options", None)
    return HttpCall("POST", _url(target, "/responses"), headers, payload)


def response_usage(response: Any) -> Usage | None:
    usage = response.get("usage") if isinstance(response, dict) else None
    if not isinstance(usage, dict) or not usage:
        return None
    return reported_usage(usage.get("input_tokens", 0), usage.get("output_tokens", 0))


def responses_result(data: Any, public_model: str, created: int) -> ChatResult:
    """The upstream's Response with the public model name; usage as reported."""
    if not isinstance(data, dict) or data.get("object") != "response" or not isinstance(data.get("output"), list):
        raise ValueError("not a Response")
    return ChatResult(body={**data, "model": public_model}, usage=response_usage(data))


class ResponsesStreamDecoder(StreamDecoder):
    def feed(self, event: Event) -> None:
        data = event.json()
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            raise ValueError("stream event is not a typed object")
        kind = data["type"]
        response = data.get("response")
        if isinstance(response, dict):
            data["response"] = {**response, "model": self.public_model}
        if kind == "error" or kind == "response.failed":
            error = data.get("message") or (response or {}).get("error") or kind
            self.error = short(error.get("message", error) if isinstance(error, dict) else error)
            return
        if kind in FINAL_EVENTS:
            self.usage = response_usage(response) or self.usage
            self.complete = True
        self.chunks.append(data)


def stream_decoder(public_model: str, created: int) -> StreamDecoder:
    return ResponsesStreamDecoder(public_model, created)
