from __future__ import annotations

import json

import pytest
from chalicelib.upstreams import Target, Usage
from chalicelib.upstreams import openai_compat as o
from chalicelib.upstreams.sse import Event

TARGET = Target("p1", "openai", "https://api.example.com/v1/", "sk-secret", "gpt-up")


def test_chat_call_swaps_the_model_and_leaves_the_callers_body_alone():
    body = {"model": "pub", "messages": [{"role": "user", "content": "x"}], "stream_options": {"include_usage": False}}
    call = o.chat_call(TARGET, body, stream=False)
    assert call.url == "https://api.example.com/v1/chat/completions"
    assert call.json == {"model": "gpt-up", "messages": [{"role": "user", "content": "x"}]}
    assert body["model"] == "pub" and "stream_options" in body
    assert call.headers["Authorization"] == "Bearer sk-secret"


def test_streams_always_ask_for_usage_keeping_other_stream_options():
    call = o.chat_call(TARGET, {"model": "pub", "messages": [], "stream_options": {"x": 1}}, stream=True)
    assert call.json["stream"] is True and call.json["stream_options"] == {"x": 1, "include_usage": True}


def test_chat_result_keeps_the_upstream_body_with_the_public_model():
    data = {"id": "c1", "model": "gpt-up", "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 4}}
    result = o.chat_result(data, "pub", 1)
    assert result.body["model"] == "pub" and result.body["id"] == "c1" and result.usage == Usage(3, 4)


@pytest.mark.parametrize("data", [[], None, {"usage": {}}])
def test_an_answer_that_is_not_a_chat_completion_is_malformed(data):
    with pytest.raises((ValueError, KeyError, TypeError)):
        o.chat_result(data, "pub", 1)


@pytest.mark.parametrize("usage", [None, {}, {"prompt_tokens": "3"}, {"prompt_tokens": -1, "completion_tokens": 2}])
def test_an_answer_without_honest_usage_is_kept_with_no_usage_for_the_proxy_to_estimate(usage):
    data = {"choices": [{"message": {"content": "hi"}}], **({"usage": usage} if usage is not None else {})}
    result = o.chat_result(data, "pub", 1)
    assert result.usage is None and result.body["choices"][0]["message"]["content"] == "hi"


def test_stream_decoder_takes_usage_only_from_a_chunk_that_carries_it():
    d = o.stream_decoder("pub", 1)
    for data in [{"choices": [{"delta": {"content": "a"}}], "usage": None, "model": "gpt-up"},
                 {"choices": [], "usage": {"prompt_tokens": 2, "completion_tokens": 1}}, "[DONE]"]:
        d.feed(Event("message", data if isinstance(data, str) else json.dumps(data)))
    assert d.complete and d.usage == Usage(2, 1) and [c["model"] for c in d.chunks] == ["pub", "pub"]


def test_an_error_chunk_is_reported_not_passed_on():
    d = o.stream_decoder("pub", 1)
    d.feed(Event("message", json.dumps({"error": {"message": "overloaded"}})))
    assert d.error == "overloaded" and d.chunks == [] and not d.complete


@pytest.mark.parametrize("data", [{"data": "x"}, {"data": [{"name": "m"}]}, {"object": "list"}, "models"])
def test_a_model_list_in_the_wrong_shape_is_malformed(data):
    with pytest.raises(ValueError):
        o.models_result(data)


def test_error_message_reads_the_openai_envelope():
    assert o.error_message({"error": {"message": "bad  thing\n"}}) == "bad thing"
    assert o.error_message({"detail": "x"}) is None
