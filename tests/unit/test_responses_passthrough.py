"""The pieces of the /v1/responses pass-through: which models pass through, the call to the
provider's /responses, its answer and event stream, and what a Response delivered."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from chalicelib.catalog.routing import ModelRoute
from chalicelib.proxy.charging import Delivered
from chalicelib.proxy.responses.passthrough import charged_usage, passes_through, passthrough_admitted
from chalicelib.proxy.types import Admitted
from chalicelib.upstreams import Target, Usage
from chalicelib.upstreams import responses_api as r
from chalicelib.upstreams.sse import Event

from tests.support.metering import make_route

TARGET = Target("p1", "openai", "https://api.example.com/v1/", "sk-secret", "gpt-up")  # type: ignore[arg-type]


def serving(route: ModelRoute, *flags: bool) -> ModelRoute:
    return replace(route, targets=tuple((replace(p, responses_api=f), m) for (p, m), f in zip(route.targets, flags,
                                                                                                strict=True)))


def test_a_model_passes_through_only_when_every_provider_serves_responses():
    route = make_route(providers=("p1", "p2"))
    assert passes_through(serving(route, True, True))
    assert not passes_through(serving(route, True, False))
    assert not passes_through(route)
    anthropic = replace(route, targets=tuple((replace(p, type="anthropic", responses_api=True), m)
                                             for p, m in route.targets))
    assert not passes_through(anthropic)


def test_the_forwarded_body_is_the_callers_with_the_held_output_cap_and_store_false():
    route = serving(make_route(), True)
    admitted = Admitted(key=None, route=route, hold=None, forwarded={"max_tokens": 321}, prompt_tokens=5,  # type: ignore[arg-type]
                        endpoint="responses")
    body = {"model": "gpt-test", "input": "hi", "max_output_tokens": 10**6, "include": ["x"], "stream": True}
    passing = passthrough_admitted(admitted, body)
    assert passing.forwarded == {**body, "max_output_tokens": 321, "store": False}
    assert [p.type for p, _ in passing.route.targets] == [r.RESPONSES_WIRE]
    assert body["max_output_tokens"] == 10**6  # the caller's body is not changed


@pytest.mark.parametrize("stream", [False, True])
def test_the_call_goes_to_the_providers_responses_endpoint_under_its_model_name(stream):
    call = r.responses_call(TARGET, {"model": "pub", "input": "hi", "stream": True}, stream=stream)
    assert call.url == "https://api.example.com/v1/responses" and call.json["model"] == "gpt-up"
    assert call.headers["Authorization"] == "Bearer sk-secret"
    assert call.json.get("stream") is (True if stream else None)


def test_a_response_comes_back_under_the_public_name_with_its_usage():
    result = r.responses_result({"object": "response", "model": "gpt-up", "output": [],
                                 "usage": {"input_tokens": 3, "output_tokens": 4}}, "pub", 0)
    assert result.body["model"] == "pub" and result.usage == Usage(3, 4)
    with pytest.raises(ValueError):
        r.responses_result({"object": "chat.completion", "choices": []}, "pub", 0)


def event(kind: str, **fields) -> Event:
    return Event(kind, json.dumps({"type": kind, **fields}))


def test_the_stream_is_complete_at_response_completed_with_its_usage():
    decoder = r.stream_decoder("pub", 0)
    decoder.feed(event("response.created", response={"model": "gpt-up"}))
    decoder.feed(event("response.output_text.delta", delta="hi"))
    assert not decoder.complete and decoder.usage is None
    decoder.feed(event("response.completed", response={"model": "gpt-up", "usage": {"input_tokens": 2,
                                                                                     "output_tokens": 1}}))
    assert decoder.complete and decoder.usage == Usage(2, 1)
    assert [c["type"] for c in decoder.chunks] == ["response.created", "response.output_text.delta",
                                                   "response.completed"]
    assert decoder.chunks[0]["response"]["model"] == "pub"


@pytest.mark.parametrize("broken", [event("error", message="overloaded"),
                                    event("response.failed", response={"error": {"message": "overloaded"}})])
def test_an_error_event_or_a_failed_response_breaks_the_stream_with_the_providers_message(broken):
    decoder = r.stream_decoder("pub", 0)
    decoder.feed(broken)
    assert decoder.error == "overloaded" and not decoder.complete and decoder.chunks == []


def test_a_responses_output_counts_as_delivered():
    delivered = Delivered()
    delivered.add_completion({"object": "response", "output": [
        {"type": "message", "content": [{"type": "output_text", "text": "12345678"}]},
        {"type": "function_call", "name": "f", "arguments": "{}"}]})
    assert delivered.text_bytes == 11 and delivered.pieces == 3


def test_the_usage_shown_is_what_was_charged_with_its_cost():
    shown = charged_usage({"input_tokens": 1, "output_tokens": 10**6, "input_tokens_details": {"cached_tokens": 0}},
                          Usage(1, 100), "0.0002")
    assert shown == {"input_tokens": 1, "output_tokens": 100, "total_tokens": 101,
                     "input_tokens_details": {"cached_tokens": 0}, "cost": "0.0002"}
