"""Relayed chat chunks are written in Anthropic's Messages streaming grammar."""

from __future__ import annotations

import json
from decimal import Decimal

from chalicelib.metering.types import Settlement
from chalicelib.proxy.anthropic_events import MessageEvents
from chalicelib.upstreams.sse import parse_text
from chalicelib.upstreams.types import Usage

SETTLED = (Usage(11, 7), Settlement("r1", Decimal("0.000025"), Decimal("0.000025"), Decimal(0)))


def chunk(delta, finish=None):
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def events(text: str) -> list[tuple[str, dict]]:
    parsed = [(e.event, json.loads(e.data)) for e in parse_text(text)]
    assert all(name == data["type"] for name, data in parsed)  # the event line names the data's type
    return parsed


def run(chunks, charged=SETTLED, error=None) -> list[tuple[str, dict]]:
    wire = MessageEvents("r1", "claude")
    return events("".join(wire.chunk(c) for c in chunks) + wire.tail(charged, error))


def test_a_text_stream_follows_the_grammar_from_message_start_to_message_stop():
    out = run([chunk({"role": "assistant", "content": ""}), chunk({"content": "Hel"}), chunk({"content": "lo"}),
               chunk({}, "stop")])
    assert [name for name, _ in out] == ["message_start", "content_block_start", "content_block_delta",
                                         "content_block_delta", "content_block_stop", "message_delta", "message_stop"]
    assert out[0][1]["message"]["id"] == "msg_r1" and out[0][1]["message"]["model"] == "claude"
    assert out[1][1] == {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
    assert [d["delta"]["text"] for n, d in out if n == "content_block_delta"] == ["Hel", "lo"]
    assert out[5][1]["delta"]["stop_reason"] == "end_turn"
    assert out[5][1]["usage"] == {"input_tokens": 11, "output_tokens": 7}


def test_tool_calls_open_tool_use_blocks_with_input_json_deltas():
    out = run([chunk({"content": "Checking."}),
               chunk({"tool_calls": [{"index": 0, "id": "call_1", "function": {"name": "weather", "arguments": ""}}]}),
               chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city":'}}]}),
               chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]}),
               chunk({"tool_calls": [{"index": 1, "id": "call_2", "function": {"name": "time", "arguments": "{}"}}]}),
               chunk({}, "tool_calls")])
    starts = [d for n, d in out if n == "content_block_start"]
    assert [(s["index"], s["content_block"]["type"]) for s in starts] == [(0, "text"), (1, "tool_use"),
                                                                          (2, "tool_use")]
    assert starts[1]["content_block"] == {"type": "tool_use", "id": "call_1", "name": "weather", "input": {}}
    partial = [d["delta"]["partial_json"] for n, d in out if n == "content_block_delta" and d["index"] == 1]
    assert "".join(partial) == '{"city":"Paris"}'
    assert [d["index"] for n, d in out if n == "content_block_stop"] == [0, 1, 2]
    assert out[-2][1]["delta"]["stop_reason"] == "tool_use"


def test_a_broken_stream_ends_with_an_error_event_and_no_message_stop():
    out = run([chunk({"content": "Hel"})], charged=SETTLED, error="The stream from the provider broke.")
    assert out[-1] == ("error", {"type": "error", "error": {"type": "api_error",
                                                           "message": "The stream from the provider broke."}})
    assert "message_stop" not in [name for name, _ in out]


def test_a_stream_with_no_content_still_starts_and_stops_a_message():
    out = run([], charged=None)
    assert [name for name, _ in out] == ["message_start", "message_delta", "message_stop"]
