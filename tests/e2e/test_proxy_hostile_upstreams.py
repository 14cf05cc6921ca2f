"""Upstreams that misbehave, and a client that gives up, over real HTTP: the money rules hold.

After each case: the charge is at most the hold, more than zero when content was delivered,
the quota's use stays within its limit, the balance is not negative, the ledger entries sum
to the balance, and no hold is left behind.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest

from tests.support.streaming_stack import MODEL_CAP, raw_post, start_stack

pytestmark = pytest.mark.e2e
LIMIT = Decimal("0.01")


@pytest.fixture
def limited(container, scripted_upstream):
    """A user with 1.00 and a quota limited to 0.01 (a hold of the model's cap is 0.008)."""
    made, server = start_stack(container, scripted_upstream, credit="1", limit_cost=LIMIT)
    yield made
    server.stop()


def chat(stack, body: dict) -> tuple[int, str]:
    sock = raw_post(stack.url, "/v1/chat/completions", body, stack.proxy.key)
    data = b""
    with sock:
        while part := sock.recv(65536):
            data += part
    head, _, rest = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), rest.decode(errors="replace")


@pytest.mark.parametrize(("sent", "forwarded"), [
    ({}, {"max_tokens": MODEL_CAP}),
    ({"max_tokens": 50}, {"max_tokens": 50}),
    ({"max_tokens": 10**6}, {"max_tokens": MODEL_CAP}),
    ({"max_completion_tokens": 10**6}, {"max_completion_tokens": MODEL_CAP}),
])
@pytest.mark.parametrize("stream", [False, True])
def test_the_upstream_receives_the_output_cap_the_hold_was_sized_for(limited, sent, forwarded, stream):
    body = limited.body(stream=stream, **sent)
    status, _ = chat(limited, body)
    assert status == 200
    received = limited.upstream.received[-1].body
    assert {k: received.get(k) for k in forwarded} == forwarded
    limited.assert_money_holds(body, delivered=True, limit_cost=LIMIT)


@pytest.mark.parametrize("stream", [False, True])
def test_usage_above_the_hold_charges_the_hold_and_records_the_provider_overage(limited, stream):
    limited.upstream.script.usage = "above"  # a million completion tokens: $2 against a 0.01 quota
    body = limited.body(stream=stream, stream_options={"include_usage": True}) if stream else limited.body()
    status, _ = chat(limited, body)
    assert status == 200
    limited.assert_money_holds(body, delivered=True, limit_cost=LIMIT)
    assert limited.charges()[0] == limited.hold_for(body)
    assert limited.records()[0].overage > 0


@pytest.mark.parametrize("usage", ["none", "empty", "negative", "huge"])
@pytest.mark.parametrize("stream", [False, True])
def test_missing_or_absurd_usage_is_charged_within_the_hold_and_never_free(limited, usage, stream):
    limited.upstream.script.usage = usage
    body = limited.body(stream=stream, stream_options={"include_usage": True}) if stream else limited.body()
    status, text = chat(limited, body)
    assert status == 200, text
    if not stream:
        assert json.loads(text)["choices"][0]["message"]["content"] == "tok " * 3
    limited.assert_money_holds(body, delivered=True, limit_cost=LIMIT)


@pytest.mark.parametrize("stream", [False, True])
def test_an_upstream_that_under_reports_output_is_charged_the_delivered_text_and_recorded(limited, stream):
    limited.upstream.script.usage = "under"  # one completion token, whatever it sent
    limited.upstream.script.chunks, limited.upstream.script.text = 30, "several words "  # 14 bytes a chunk
    body = limited.body(stream=stream, stream_options={"include_usage": True}) if stream else limited.body()
    status, _ = chat(limited, body)
    assert status == 200
    limited.assert_money_holds(body, delivered=True, limit_cost=LIMIT)
    [record] = limited.records()
    assert (record.outcome, record.reported_output_tokens, record.output_tokens) == (
        "usage_under_reported", 1, 30 * 14 // 4)  # 105 tokens counted on the delivered text
    assert limited.charges()[0] == min(limited.hold_for(body), Decimal(11 * 1 + 105 * 2) / 10**6)


def test_a_stream_cut_midway_is_charged_for_what_was_delivered_and_ends_with_an_error_event(limited):
    limited.upstream.script.ending = "cut"
    body = limited.body(stream=True)
    status, text = chat(limited, body)
    assert status == 200
    assert text.count("tok ") == 2 and '"code":"stream_broken"' in text and "[DONE]" not in text
    limited.assert_money_holds(body, delivered=True, limit_cost=LIMIT)
    assert limited.records()[0].stream_broken


def test_a_stream_that_never_ends_is_ended_at_proxy_max_seconds_and_charged(limited):
    limited.upstream.script.ending, limited.upstream.script.interval = "never", 0.1
    limited.container.proxy_relay.max_seconds = 1.5  # PROXY_MAX_SECONDS, shortened for the test
    body = limited.body(stream=True, max_tokens=100)
    started = time.monotonic()
    status, text = chat(limited, body)
    assert status == 200 and time.monotonic() - started < 5
    assert "past the 1.5 s" in text
    limited.assert_money_holds(body, delivered=True, limit_cost=LIMIT)


def test_a_client_that_hangs_up_closes_the_upstream_within_a_second_and_pays_for_what_it_got(limited):
    chat(limited, limited.body())  # a warm container: within its first second the client gets chunks
    limited.wait_settled()
    limited.upstream.script.ending, limited.upstream.script.interval = "never", 0.1
    body = limited.body(stream=True, max_tokens=100)
    sock = raw_post(limited.url, "/v1/chat/completions", body, limited.proxy.key)
    got = b""
    until = time.monotonic() + 1.0
    while time.monotonic() < until:
        sock.settimeout(max(until - time.monotonic(), 0.01))
        try:
            got += sock.recv(65536)
        except TimeoutError:
            break
    sock.close()
    hung_up = time.monotonic()
    assert b"tok " in got
    record = limited.upstream.received[-1]
    deadline = hung_up + 3
    while record.closed_at is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert record.closed_at is not None and record.closed_at - hung_up < 1.0
    limited.assert_money_holds(body, delivered=True, limit_cost=LIMIT)
    assert limited.records()[0].error == "The client disconnected."
