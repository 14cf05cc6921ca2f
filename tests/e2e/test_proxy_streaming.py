"""Streams through KeyLedger over real HTTP arrive chunk by chunk, as they do from the upstream.

The local stack's front server (uvicorn: /v1 = the proxy app) runs in this process over moto
with every real service; the upstream is a scripted server on 127.0.0.1 sending 20 chunks
150 ms apart. Time to first byte through KeyLedger stays within 300 ms of the direct figure,
and the chunks arrive spread over the stream, with a raw socket and with the openai SDK.
"""

from __future__ import annotations

import time

import openai
import pytest

from tests.support.streaming_stack import arrivals, raw_post, start_stack

pytestmark = pytest.mark.e2e
CHUNKS, INTERVAL = 20, 0.15
MARKER = b"tok "  # once per content chunk, direct and proxied


def _slow(stack) -> None:
    stack.upstream.script.chunks, stack.upstream.script.interval = CHUNKS, INTERVAL


def _first_byte_and_spread(times: list[float], sent_at: float) -> tuple[float, float]:
    return times[0] - sent_at, times[-1] - times[0]


def test_time_to_first_byte_through_keyledger_is_within_300_ms_of_direct(stack):
    body = stack.body(stream=True, max_tokens=100)
    arrivals(raw_post(stack.url, "/v1/chat/completions", body, stack.proxy.key), MARKER)  # a warm container
    stack.wait_settled()
    _slow(stack)
    upstream_body = {**body, "model": "direct"}
    host = stack.upstream.base_url.removesuffix("/v1")
    sent = time.monotonic()
    direct, _ = arrivals(raw_post(host, "/v1/chat/completions", upstream_body, stack.upstream.api_key), MARKER)
    direct_ttfb, _ = _first_byte_and_spread(direct, sent)
    sent = time.monotonic()
    proxied, text = arrivals(raw_post(stack.url, "/v1/chat/completions", body, stack.proxy.key), MARKER)
    proxied_ttfb, spread = _first_byte_and_spread(proxied, sent)
    assert b"HTTP/1.1 200" in text[:20] and text.rstrip().endswith(b"0")  # chunked, ended properly
    assert b"data: [DONE]" in text
    assert len(proxied) == CHUNKS
    assert proxied_ttfb - direct_ttfb < 0.3, (direct_ttfb, proxied_ttfb)
    # Relayed as they came: the 20 chunks span the upstream's 19 gaps, not one burst.
    assert spread > (CHUNKS - 1) * INTERVAL * 0.7, spread
    gaps = [b - a for a, b in zip(proxied, proxied[1:], strict=False)]
    assert sum(1 for g in gaps if g > INTERVAL / 3) >= (CHUNKS - 1) * 0.7, gaps
    stack.assert_money_holds(body, delivered=True)


def test_the_openai_sdk_receives_each_chunk_as_it_is_generated(stack):
    client = openai.OpenAI(base_url=f"{stack.url}/v1", api_key=stack.proxy.key, max_retries=0, timeout=30)
    list(client.chat.completions.create(model="real-chat", messages=[{"role": "user", "content": "hi"}],
                                        stream=True))  # a warm container: the first byte is the relay's
    _slow(stack)
    sent = time.monotonic()
    stream = client.chat.completions.create(model="real-chat", messages=[{"role": "user", "content": "hi"}],
                                            stream=True, stream_options={"include_usage": True}, max_tokens=100)
    times, usage = [], None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            times.append(time.monotonic())
        if chunk.usage is not None:
            usage = chunk.usage
    assert len(times) == CHUNKS
    assert times[0] - sent < 1.0 and times[-1] - times[0] > (CHUNKS - 1) * INTERVAL * 0.7
    assert usage is not None and usage.completion_tokens == CHUNKS


def test_the_openai_readme_loop_runs_to_the_end_of_a_stream(stack):
    # https://github.com/openai/openai-python#streaming-responses, as written there
    client = openai.OpenAI(base_url=f"{stack.url}/v1", api_key=stack.proxy.key, max_retries=0, timeout=30)
    stream = client.chat.completions.create(model="real-chat", messages=[{"role": "user", "content": "hi"}],
                                            stream=True)
    pieces = [chunk.choices[0].delta.content or "" for chunk in stream]
    assert "".join(pieces) == "tok " * stack.upstream.script.chunks
    stack.assert_money_holds(stack.body(stream=True), delivered=True)


def test_a_sixty_second_steady_stream_completes_and_is_charged(stack):
    stack.upstream.script.chunks, stack.upstream.script.interval = 120, 0.5
    client = openai.OpenAI(base_url=f"{stack.url}/v1", api_key=stack.proxy.key, max_retries=0, timeout=30)
    stream = client.chat.completions.create(model="real-chat", messages=[{"role": "user", "content": "hi"}],
                                            stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    assert sum(1 for c in chunks if c.choices and c.choices[0].delta.content) == 120
    assert chunks[-1].usage.completion_tokens == 120
    stack.assert_money_holds(stack.body(stream=True), delivered=True)
    assert stack.charges()[0] > 0


def test_forty_concurrent_streams_against_a_balance_for_k_admit_at_most_k(container, scripted_upstream):
    from concurrent.futures import ThreadPoolExecutor

    requests, k = 40, 7
    scripted_upstream.script.usage = "above"  # each admitted stream is charged exactly its hold
    probe, server = start_stack(container, scripted_upstream, credit="0")
    body = probe.body(stream=True, max_tokens=50, stream_options={"include_usage": True})
    container.metering.credit(probe.proxy.user_id, probe.hold_for(body) * k, "topup", "test")

    def one(_: int) -> bytes:
        _, text = arrivals(raw_post(probe.url, "/v1/chat/completions", body, probe.proxy.key), MARKER)
        return text.split(b" ")[1]

    try:
        with ThreadPoolExecutor(max_workers=requests) as pool:
            statuses = list(pool.map(one, range(requests)))
    finally:
        server.stop()
    assert statuses.count(b"200") == k and statuses.count(b"402") == requests - k
    probe.wait_settled()
    assert probe.holds() == [] and len(probe.charges()) == k
    assert container.metering.balance(probe.proxy.user_id).available == 0
    probe.assert_money_holds(body, delivered=True)
