"""/v1/responses is metered by the chat rules, over real HTTP, against a scripted upstream that
lies about usage, reports none, or cuts its stream; and its events are relayed as generated.

The hold is sized on the translated chat request (prompt bound + output cap); after each
case: the charge is at most that hold, more than zero when content was delivered, the quota's
use stays within its limit, the ledger is consistent, no hold is left, and the request record
says `endpoint: "responses"`.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import openai
import pytest
from chalicelib.proxy.responses.request import to_chat
from chalicelib.upstreams.sse import parse_text

from tests.support.streaming_stack import MODEL_CAP, raw_post, start_stack

pytestmark = pytest.mark.e2e
LIMIT = Decimal("0.01")


@pytest.fixture
def limited(container, scripted_upstream):
    """A user with 1.00 and a quota limited to 0.01 (a hold of the model's cap is 0.008)."""
    made, server = start_stack(container, scripted_upstream, credit="1", limit_cost=LIMIT)
    yield made
    server.stop()


def respond(stack, **extra: Any) -> tuple[dict[str, Any], int, str]:
    """POST /v1/responses; (the Responses body sent, the status, the answer's text)."""
    body = {"model": "real-chat", "input": "count for me", **extra}
    sock = raw_post(stack.url, "/v1/responses", body, stack.proxy.key)
    data = b""
    with sock:
        while part := sock.recv(65536):
            data += part
    head, _, rest = data.partition(b"\r\n\r\n")
    return body, int(head.split(b" ")[1]), rest.decode(errors="replace")


def events(text: str) -> list[dict[str, Any]]:
    # The answer is chunked (HTTP/1.1): the event lines are intact, the chunk-size lines are not events.
    return [json.loads(e.data) for e in parse_text(text) if e.event.startswith(("response.", "error"))]


def assert_metered(stack, body: dict[str, Any], delivered: bool = True) -> None:
    stack.assert_money_holds(to_chat(body), delivered=delivered, limit_cost=LIMIT)
    assert stack.records()[0].endpoint == "responses"


@pytest.mark.parametrize(("sent", "forwarded"), [({}, MODEL_CAP), ({"max_output_tokens": 50}, 50),
                                                 ({"max_output_tokens": 10**6}, MODEL_CAP)])
@pytest.mark.parametrize("stream", [False, True])
def test_the_upstream_receives_the_output_cap_the_hold_was_sized_for(limited, sent, forwarded, stream):
    body, status, _ = respond(limited, stream=stream, **sent)
    assert status == 200
    assert limited.upstream.received[-1].body["max_tokens"] == forwarded
    assert_metered(limited, body)


@pytest.mark.parametrize("stream", [False, True])
def test_usage_above_the_hold_charges_the_hold_and_records_the_provider_overage(limited, stream):
    limited.upstream.script.usage = "above"  # a million completion tokens: $2 against a 0.01 quota
    body, status, text = respond(limited, stream=stream)
    assert status == 200
    assert_metered(limited, body)
    hold = limited.hold_for(to_chat(body))
    assert limited.charges()[0] == hold
    assert limited.records()[0].overage > 0
    final = events(text)[-1]["response"] if stream else json.loads(text)
    assert final["usage"]["cost"] == str(hold)


@pytest.mark.parametrize("usage", ["none", "negative"])
@pytest.mark.parametrize("stream", [False, True])
def test_a_silent_or_lying_upstream_is_charged_for_the_delivered_text_within_the_hold(limited, usage, stream):
    limited.upstream.script.usage = usage
    body, status, text = respond(limited, stream=stream)
    assert status == 200, text
    final = events(text)[-1]["response"] if stream else json.loads(text)
    assert final["status"] == "completed" and final["output"][0]["content"][0]["text"] == "tok " * 3
    assert final["usage"]["output_tokens"] >= 3  # the estimate of what was delivered, never zero
    assert_metered(limited, body)
    assert Decimal(final["usage"]["cost"]) == limited.charges()[0] > 0


def test_a_stream_cut_midway_is_charged_for_what_was_delivered_and_ends_with_response_failed(limited):
    limited.upstream.script.ending = "cut"
    body, status, text = respond(limited, stream=True)
    assert status == 200
    sent = events(text)
    assert "".join(e["delta"] for e in sent if e["type"] == "response.output_text.delta") == "tok " * 2
    assert [e["type"] for e in sent[-2:]] == ["error", "response.failed"]
    assert sent[-1]["response"]["status"] == "failed" and "response.completed" not in text
    assert_metered(limited, body)
    assert limited.records()[0].stream_broken


def test_streamed_events_reach_the_sdk_as_the_upstream_generates_them(limited):
    chunks, interval = 20, 0.15
    limited.upstream.script.chunks, limited.upstream.script.interval = chunks, interval
    client = openai.OpenAI(base_url=f"{limited.url}/v1", api_key=limited.proxy.key, max_retries=0, timeout=30)
    times, first_event = [], None
    for event in client.responses.create(model="real-chat", input="count", max_output_tokens=100, stream=True):
        first_event = first_event or time.monotonic()
        if event.type == "response.output_text.delta":
            times.append(time.monotonic())
    assert len(times) == chunks and first_event is not None and first_event <= times[0]  # response.created first
    # Spread as generated, not one buffered body arriving at once at the end.
    assert times[-1] - times[0] > (chunks - 1) * interval * 0.7, times[-1] - times[0]
