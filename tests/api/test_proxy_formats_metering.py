"""/v1/messages and /v1/completions are metered by the chat rules, whatever the upstream says.

The proxy app in-process (Starlette's TestClient) over every real service on moto; the
upstream is the scripted OpenAI-compatible server, told to report usage truly, not at all,
far above the hold, or to cut its stream. After each request: charge == tokens x price when
reported, else within the hold and never zero for a delivered answer; no hold left; the
ledger sums to the balance; the request record names its endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from chalicelib.proxy.anthropic_wire import messages_to_chat
from chalicelib.proxy.asgi import create_app
from chalicelib.proxy.completions_wire import completion_to_chat
from starlette.testclient import TestClient

from tests.fakes.scripted_upstream import ScriptedUpstream
from tests.support.real_proxy import MODEL, build_real_proxy
from tests.support.streaming_stack import StreamingStack

ENDPOINTS = ["messages", "completions"]


@pytest.fixture
def stack(container, scripted_upstream: ScriptedUpstream) -> StreamingStack:
    return StreamingStack("in-process", scripted_upstream, build_real_proxy(container, scripted_upstream))


@pytest.fixture
def v1(container, stack: StreamingStack) -> Iterator[TestClient]:
    with TestClient(create_app(lambda: container), client=("203.0.113.9", 50000)) as client:
        yield client


def request(endpoint: str, **extra: Any) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(path, body, the internal chat body the hold is sized from)."""
    if endpoint == "messages":
        body = {"model": MODEL, "max_tokens": 100, "messages": [{"role": "user", "content": "count"}], **extra}
        return "/v1/messages", body, messages_to_chat(body)
    body = {"model": MODEL, "max_tokens": 100, "prompt": "count", **extra}
    return "/v1/completions", body, completion_to_chat(body)


def post(v1: TestClient, stack: StreamingStack, path: str, body: dict[str, Any]) -> Any:
    return v1.post(path, content=json.dumps(body), headers={"content-type": "application/json",
                                                            "x-api-key": stack.proxy.key})


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_reported_usage_is_charged_at_the_models_prices(v1, stack, endpoint, stream):
    path, body, chat = request(endpoint, stream=stream)
    assert post(v1, stack, path, body).status_code == 200
    stack.assert_money_holds(chat, delivered=True)
    assert stack.charges() == [Decimal("0.000017")]  # 11 in x $1/M + 3 out x $2/M
    assert stack.records()[0].endpoint == endpoint


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_usage_above_the_hold_charges_the_hold_and_records_the_overage(v1, stack, endpoint, stream):
    stack.upstream.script.usage = "above"
    path, body, chat = request(endpoint, stream=stream)
    assert post(v1, stack, path, body).status_code == 200
    stack.assert_money_holds(chat, delivered=True)
    assert stack.charges()[0] == stack.hold_for(chat) and stack.records()[0].overage > 0


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_an_upstream_reporting_no_usage_is_charged_for_what_was_delivered(v1, stack, endpoint, stream):
    stack.upstream.script.usage = "none"
    path, body, chat = request(endpoint, stream=stream)
    assert post(v1, stack, path, body).status_code == 200
    stack.assert_money_holds(chat, delivered=True)
    assert stack.records()[0].output_tokens == 3  # "tok " three times: one token per delivered piece


def test_a_cut_messages_stream_ends_with_an_error_event_and_is_charged_for_what_was_delivered(v1, stack):
    stack.upstream.script.ending = "cut"
    path, body, chat = request("messages", stream=True)
    text = post(v1, stack, path, body).text
    assert text.count('"text_delta"') == 2 and "event: error" in text and "message_stop" not in text
    stack.assert_money_holds(chat, delivered=True)
    assert stack.records()[0].stream_broken and stack.records()[0].endpoint == "messages"


def test_a_cut_completions_stream_ends_with_an_error_and_is_charged_for_what_was_delivered(v1, stack):
    stack.upstream.script.ending = "cut"
    path, body, chat = request("completions", stream=True)
    text = post(v1, stack, path, body).text
    assert text.count('"text":"tok "') == 2 and '"code":"stream_broken"' in text and "[DONE]" not in text
    stack.assert_money_holds(chat, delivered=True)
    assert stack.records()[0].stream_broken


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_upstream_receives_the_output_cap_the_hold_was_sized_for(v1, stack, endpoint):
    path, body, _ = request(endpoint, max_tokens=10**6)
    assert post(v1, stack, path, body).status_code == 200
    assert stack.upstream.received[-1].body["max_tokens"] == 4096  # the model's cap
