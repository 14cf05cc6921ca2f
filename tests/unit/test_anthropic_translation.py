"""OpenAI <-> Anthropic Messages translation, both ways, without HTTP."""

from __future__ import annotations

import json

import pytest
from chalicelib.upstreams import ProviderRejected, Target, Usage
from chalicelib.upstreams import anthropic as a
from chalicelib.upstreams.anthropic_stream import AnthropicStreamDecoder
from chalicelib.upstreams.sse import Event

TARGET = Target("p1", "anthropic", "https://api.anthropic.com/v1/", "sk-ant-secret", "claude-x", 2048)


def req(**body):
    return a.translate_request(TARGET, {"model": "pub", **body}, stream=False)


def test_system_and_developer_messages_become_the_system_prompt():
    out = req(messages=[{"role": "system", "content": "Rule one."}, {"role": "developer", "content": "Rule two."},
                        {"role": "user", "content": "Hi"}])
    assert out["system"] == "Rule one.\n\nRule two."
    assert out["messages"] == [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]


def test_multi_turn_keeps_order_and_merges_consecutive_turns_of_one_role():
    out = req(messages=[{"role": "user", "content": "a"}, {"role": "user", "content": "b"},
                        {"role": "assistant", "content": "c"}, {"role": "user", "content": "d"}])
    assert [(m["role"], [b["text"] for b in m["content"]]) for m in out["messages"]] == [
        ("user", ["a", "b"]), ("assistant", ["c"]), ("user", ["d"])]


def test_image_data_urls_become_base64_blocks_and_http_urls_url_blocks():
    parts = [{"type": "text", "text": "what is this"},
             {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
             {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}}]
    (msg,) = req(messages=[{"role": "user", "content": parts}])["messages"]
    assert msg["content"][1] == {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                                              "data": "iVBORw0KGgo="}}
    assert msg["content"][2] == {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}}


@pytest.mark.parametrize("url", ["data:text/plain;base64,aGk=", "data:image/png,raw", ""])
def test_unusable_image_urls_are_a_400(url):
    with pytest.raises(ProviderRejected):
        req(messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}])


def test_max_tokens_comes_from_the_caller_else_the_model_cap_else_the_default():
    msgs = [{"role": "user", "content": "x"}]
    assert req(messages=msgs, max_tokens=10)["max_tokens"] == 10
    assert req(messages=msgs, max_completion_tokens=12)["max_tokens"] == 12
    assert req(messages=msgs)["max_tokens"] == 2048
    bare = Target("p", "anthropic", "u", "k", "m")
    assert a.translate_request(bare, {"messages": msgs}, stream=False)["max_tokens"] == 4096


def test_sampling_and_stop_are_carried_and_openai_only_fields_dropped():
    out = req(messages=[{"role": "user", "content": "x"}], temperature=0.5, top_p=0.9, stop=["A", "B"],
              presence_penalty=1, user="u1", stream_options={"include_usage": True})
    assert (out["temperature"], out["top_p"], out["stop_sequences"]) == (0.5, 0.9, ["A", "B"])
    assert set(out) == {"model", "messages", "max_tokens", "temperature", "top_p", "stop_sequences"}
    assert out["model"] == "claude-x"


def test_tools_tool_calls_and_tool_results_are_translated():
    tools = [{"type": "function", "function": {"name": "weather", "description": "Weather now",
                                               "parameters": {"type": "object", "properties": {"city": {}}}}}]
    messages = [
        {"role": "user", "content": "Weather in Oslo?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": '{"city": "Oslo"}'}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "-3C"},
    ]
    out = req(messages=messages, tools=tools, tool_choice="required")
    assert out["tools"] == [{"name": "weather", "description": "Weather now",
                             "input_schema": {"type": "object", "properties": {"city": {}}}}]
    assert out["tool_choice"] == {"type": "any"}
    assert out["messages"][1] == {"role": "assistant", "content": [
        {"type": "tool_use", "id": "call_1", "name": "weather", "input": {"city": "Oslo"}}]}
    assert out["messages"][2] == {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "call_1", "content": "-3C"}]}


@pytest.mark.parametrize("body", [{"messages": []}, {"messages": [{"role": "user", "content": "x"}], "n": 2},
                                  {"messages": [{"role": "wizard", "content": "x"}]},
                                  {"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "code"}]}])
def test_requests_anthropic_cannot_serve_are_refused_as_400(body):
    with pytest.raises(ProviderRejected) as caught:
        a.translate_request(TARGET, body, stream=False)
    assert caught.value.status == 400


def test_chat_call_targets_messages_with_anthropic_headers_and_tolerates_a_v1_base():
    call = a.chat_call(TARGET, {"messages": [{"role": "user", "content": "x"}]}, stream=True)
    assert call.url == "https://api.anthropic.com/v1/messages"
    assert call.headers["x-api-key"] == "sk-ant-secret" and call.headers["anthropic-version"] == "2023-06-01"
    assert call.json["stream"] is True
    assert "sk-ant-secret" not in repr(call) and "sk-ant-secret" not in repr(TARGET)


@pytest.mark.parametrize(("reason", "finish"), [("end_turn", "stop"), ("stop_sequence", "stop"),
                                                ("max_tokens", "length"), ("tool_use", "tool_calls")])
def test_stop_reasons_map_to_openai_finish_reasons(reason, finish):
    data = {"id": "msg_1", "type": "message", "role": "assistant", "content": [{"type": "text", "text": "hi"}],
            "stop_reason": reason, "usage": {"input_tokens": 3, "output_tokens": 1}}
    assert a.chat_result(data, "pub", 100).body["choices"][0]["finish_reason"] == finish


def test_a_message_becomes_a_chat_completion_with_tool_calls_and_all_input_tokens():
    data = {"id": "msg_9", "type": "message", "role": "assistant", "stop_reason": "tool_use",
            "content": [{"type": "tool_use", "id": "tu_1", "name": "weather", "input": {"city": "Oslo"}}],
            "usage": {"input_tokens": 5, "cache_read_input_tokens": 100, "output_tokens": 9}}
    result = a.chat_result(data, "pub", 100)
    message = result.body["choices"][0]["message"]
    assert message["content"] is None
    assert message["tool_calls"] == [{"id": "tu_1", "type": "function",
                                      "function": {"name": "weather", "arguments": json.dumps({"city": "Oslo"})}}]
    assert result.usage == Usage(105, 9)
    assert result.body["id"] == "chatcmpl-msg_9" and result.body["model"] == "pub"


def test_an_answer_that_is_not_a_message_is_malformed():
    with pytest.raises(ValueError):
        a.chat_result({"type": "error", "error": {}}, "pub", 1)


def feed(events):
    decoder = AnthropicStreamDecoder("pub", 100)
    for e in events:
        decoder.feed(Event(e["type"], json.dumps(e)))
    return decoder


START = {"type": "message_start", "message": {"id": "msg_s", "usage": {"input_tokens": 20, "output_tokens": 1}}}


def test_stream_events_become_chunks_with_usage_from_message_start_and_delta():
    d = feed([START, {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
              {"type": "ping"},
              {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hel"}},
              {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "lo"}},
              {"type": "message_delta", "delta": {"stop_reason": "max_tokens"}, "usage": {"output_tokens": 2}},
              {"type": "message_stop"}])
    assert d.complete and d.usage == Usage(20, 2)
    deltas = [c["choices"][0]["delta"] for c in d.chunks if c["choices"]]
    assert deltas == [{"role": "assistant", "content": ""}, {"content": "Hel"}, {"content": "lo"}, {}]
    assert d.chunks[-2]["choices"][0]["finish_reason"] == "length"
    assert d.chunks[-1]["usage"] == {"prompt_tokens": 20, "completion_tokens": 2, "total_tokens": 22}
    assert {c["id"] for c in d.chunks} == {"chatcmpl-msg_s"} and {c["model"] for c in d.chunks} == {"pub"}


def json_delta(part):
    return {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": part}}


def test_streamed_tool_use_becomes_tool_call_deltas():
    d = feed([START,
              {"type": "content_block_start", "index": 1,
               "content_block": {"type": "tool_use", "id": "tu_1", "name": "weather", "input": {}}},
              json_delta('{"ci'), json_delta('ty":1}'),
              {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 4}},
              {"type": "message_stop"}])
    calls = [c["choices"][0]["delta"]["tool_calls"][0] for c in d.chunks if c["choices"] and
             "tool_calls" in c["choices"][0]["delta"]]
    assert calls[0] == {"index": 0, "id": "tu_1", "type": "function", "function": {"name": "weather", "arguments": ""}}
    assert "".join(c["function"]["arguments"] for c in calls) == '{"city":1}'
    assert d.chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"


def test_an_error_event_stops_the_stream_as_incomplete():
    d = feed([START, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}])
    assert not d.complete and d.error == "Overloaded" and d.usage == Usage(20, 1)


def test_a_token_count_call_carries_only_the_prompts_fields_to_count_tokens():
    call = a.count_tokens_call(TARGET, {"model": "pub", "max_tokens": 9, "temperature": 0.5, "top_k": 3,
                                        "messages": [{"role": "system", "content": "S"},
                                                     {"role": "user", "content": "Hi"}]})
    assert call.url == "https://api.anthropic.com/v1/messages/count_tokens"
    assert call.json == {"model": "claude-x", "system": "S",
                         "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]}


def test_sampling_settings_top_k_included_go_through():
    assert {k: req(messages=[{"role": "user", "content": "x"}], temperature=0.1, top_p=0.5, top_k=4)[k]
            for k in ("temperature", "top_p", "top_k")} == {"temperature": 0.1, "top_p": 0.5, "top_k": 4}


@pytest.mark.parametrize("data", [{}, {"input_tokens": -1}, {"input_tokens": "5"}, []])
def test_a_count_that_is_not_a_token_count_is_malformed(data):
    with pytest.raises(ValueError):
        a.count_tokens_result(data)
