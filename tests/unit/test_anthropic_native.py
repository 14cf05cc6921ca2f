"""Messages requests passed through to Anthropic providers: capped, with their thinking
budget kept valid, the dropped thinking counted for the hold, and each event passed on."""

from __future__ import annotations

import json

from chalicelib.proxy.anthropic_wire import native_request
from chalicelib.proxy.charging import Delivered
from chalicelib.upstreams.anthropic_native import NATIVE_EVENT, message_result, messages_call, native_decoder
from chalicelib.upstreams.sse import Event
from chalicelib.upstreams.types import Target, Usage

TARGET = Target("p1", "anthropic", "https://api.anthropic.com", "sk-ant-secret", "claude-x", 2048)
HI = [{"role": "user", "content": "hi"}]


def test_the_request_goes_as_sent_with_the_providers_model_and_the_callers_beta_header():
    call = messages_call(TARGET, {"model": "pub", "max_tokens": 9, "messages": HI, "top_k": 3}, stream=True,
                         beta="b1")
    assert call.url == "https://api.anthropic.com/v1/messages"
    assert call.json == {"model": "claude-x", "max_tokens": 9, "messages": HI, "top_k": 3, "stream": True}
    assert call.headers["anthropic-beta"] == "b1" and call.headers["Accept"] == "text/event-stream"


def test_the_cap_lowers_max_tokens_and_a_thinking_budget_above_it():
    asked = native_request({"model": "m", "max_tokens": 50_000, "messages": HI, "stream": True,
                            "thinking": {"type": "enabled", "budget_tokens": 40_000}}, None)
    capped = asked.capped(8_000).body
    assert capped["max_tokens"] == 8_000 and capped["thinking"] == {"type": "enabled", "budget_tokens": 7_999}
    assert "stream" not in capped


def test_thinking_is_left_out_when_the_cap_leaves_no_room_for_the_smallest_budget():
    asked = native_request({"model": "m", "max_tokens": 4_000, "messages": HI,
                            "thinking": {"type": "enabled", "budget_tokens": 2_000}}, None)
    assert "thinking" not in asked.capped(1_000).body


def test_earlier_thinking_blocks_count_towards_the_prompt_bound():
    block = {"type": "thinking", "thinking": "let me see", "signature": "sig"}
    asked = native_request({"model": "m", "max_tokens": 10, "messages": [
        *HI, {"role": "assistant", "content": [block, {"type": "text", "text": "ok"}]}, *HI]}, None)
    assert asked.extra_prompt_tokens == len(json.dumps(block).encode())


def test_the_answer_keeps_the_providers_message_under_the_public_model_name():
    data = {"id": "msg_1", "type": "message", "model": "claude-x", "content": [{"type": "thinking", "thinking": "t"}],
            "usage": {"input_tokens": 5, "output_tokens": 2, "cache_read_input_tokens": 3}}
    result = message_result(data, "pub")
    assert result.body == {**data, "model": "pub"} and result.usage == Usage(8, 2)


def feed(events: list[dict]) -> list[dict]:
    decoder = native_decoder("pub", 1)
    for data in events:
        decoder.feed(Event(data["type"], json.dumps(data)))
    return decoder.chunks


def test_every_event_is_passed_on_as_its_own_text_once():
    chunks = feed([{"type": "message_start", "message": {"id": "m", "model": "claude-x", "usage": {}}},
                   {"type": "ping"},
                   {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "hm"}},
                   {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Hi"}},
                   {"type": "message_stop"}])
    texts = [c[NATIVE_EVENT] for c in chunks]
    assert [t.split("\n")[0] for t in texts] == ["event: message_start", "event: ping", "event: content_block_delta",
                                                 "event: content_block_delta", "event: message_stop"]
    assert '"model":"pub"' in texts[0] and all(c["choices"] for c in chunks)
    assert chunks[2]["choices"][0]["delta"] == {"reasoning_content": "hm"}  # thinking counts as delivered


def test_an_error_event_is_not_passed_on_as_the_provider_wrote_it():
    assert feed([{"type": "error", "error": {"type": "overloaded_error", "message": "key sk-ant-secret"}}]) == []


def test_a_passed_through_answer_delivered_its_text_thinking_and_tool_calls():
    message = {"type": "message", "content": [{"type": "thinking", "thinking": "abcd"},
                                              {"type": "text", "text": "efgh"},
                                              {"type": "tool_use", "name": "f", "input": {}}]}
    delivered = Delivered.in_answer(message)
    assert (delivered.pieces, delivered.text_bytes) == (4, 4 + 4 + 1 + 2)
