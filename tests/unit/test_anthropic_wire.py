"""Anthropic Messages requests become internal chat requests, chat answers become Anthropic
messages, and our errors take Anthropic's envelope."""

from __future__ import annotations

import pytest
from chalicelib.kernel.errors import BadRequest, Forbidden, InsufficientBalance, RateLimited, Unauthorized
from chalicelib.proxy.anthropic_wire import error_body, error_status, message_from_chat, messages_to_chat
from chalicelib.upstreams.errors import ProviderError, ProviderTimeout
from chalicelib.upstreams.types import Usage


def body(**extra):
    return {"model": "m", "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}], **extra}


def test_a_system_string_or_blocks_becomes_the_first_system_message():
    assert messages_to_chat(body(system="Be brief."))["messages"][0] == {"role": "system", "content": "Be brief."}
    blocks = [{"type": "text", "text": "One.", "cache_control": {"type": "ephemeral"}},
              {"type": "text", "text": "Two."}]
    assert messages_to_chat(body(system=blocks))["messages"][0] == {"role": "system", "content": "One.\nTwo."}


def test_limits_sampling_stops_and_the_user_id_carry_over():
    chat = messages_to_chat(body(temperature=0.2, top_p=0.9, top_k=5, stop_sequences=["END"],
                                 metadata={"user_id": "u-7"}))
    assert {k: chat[k] for k in ("max_tokens", "temperature", "top_p", "top_k", "stop", "user")} == {
        "max_tokens": 50, "temperature": 0.2, "top_p": 0.9, "top_k": 5, "stop": ["END"], "user": "u-7"}


def test_images_become_image_url_parts_as_data_urls_or_urls():
    content = [{"type": "text", "text": "What is this?"},
               {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"}},
               {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}]
    message = messages_to_chat(body(messages=[{"role": "user", "content": content}]))["messages"][0]
    assert message["content"][1:] == [{"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBOR"}},
                                      {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]


def test_a_tool_use_and_its_result_become_a_tool_call_and_a_tool_message_in_order():
    turns = [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "...", "signature": "s"},
                                          {"type": "text", "text": "Let me look."},
                                          {"type": "tool_use", "id": "toolu_1", "name": "weather",
                                           "input": {"city": "Paris"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1",
                                      "content": [{"type": "text", "text": "Sunny"}]},
                                     {"type": "text", "text": "And tomorrow?"}]},
    ]
    messages = messages_to_chat(body(messages=turns))["messages"]
    assert messages[1] == {"role": "assistant", "content": "Let me look.", "tool_calls": [
        {"id": "toolu_1", "type": "function", "function": {"name": "weather", "arguments": '{"city": "Paris"}'}}]}
    assert messages[2] == {"role": "tool", "tool_call_id": "toolu_1", "content": "Sunny"}
    assert messages[3] == {"role": "user", "content": [{"type": "text", "text": "And tomorrow?"}]}


def test_images_a_tool_returned_follow_its_text_in_a_user_message():
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"}}
    turns = [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t",
                                           "content": [{"type": "text", "text": "a chart"}, image]}]}]
    assert messages_to_chat(body(messages=turns))["messages"] == [
        {"role": "tool", "tool_call_id": "t", "content": "a chart"},
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBOR"}}]}]


def test_a_failed_tool_result_says_so_to_the_model():
    turns = [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "timeout",
                                           "is_error": True}]}]
    assert messages_to_chat(body(messages=turns))["messages"][0]["content"] == "(the tool failed) timeout"


@pytest.mark.parametrize(("choice", "expected"), [
    ({"type": "auto"}, "auto"), ({"type": "any"}, "required"), ({"type": "none"}, "none"),
    ({"type": "tool", "name": "weather"}, {"type": "function", "function": {"name": "weather"}}),
])
def test_tools_and_each_tool_choice_map_to_function_tools(choice, expected):
    tool = {"name": "weather", "description": "Weather.", "input_schema": {"type": "object"}}
    chat = messages_to_chat(body(tools=[tool], tool_choice=choice))
    assert chat["tools"] == [{"type": "function", "function": {"name": "weather", "parameters": {"type": "object"},
                                                               "description": "Weather."}}]
    assert chat["tool_choice"] == expected


def test_disabling_parallel_tool_use_asks_for_one_call_at_a_time():
    chat = messages_to_chat(body(tools=[{"name": "t", "input_schema": {}}],
                                 tool_choice={"type": "auto", "disable_parallel_tool_use": True}))
    assert chat["parallel_tool_calls"] is False


@pytest.mark.parametrize("extra", [
    {"tools": [{"type": "web_search_20250305", "name": "web_search"}]},
    {"messages": [{"role": "user", "content": [{"type": "document", "source": {}}]}]},
    {"tool_choice": {"type": "sometimes"}},
])
def test_what_the_gateway_cannot_serve_on_every_upstream_is_a_400(extra):
    with pytest.raises(BadRequest):
        messages_to_chat(body(**extra))


def test_a_chat_answer_becomes_a_message_with_text_tool_use_stop_reason_and_the_charged_usage():
    completion = {"choices": [{"finish_reason": "tool_calls", "message": {
        "role": "assistant", "content": "Looking.", "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": '{"city":"Paris"}'}}]}}]}
    message = message_from_chat(completion, Usage(11, 7), "claude", "r1")
    assert message == {
        "id": "msg_r1", "type": "message", "role": "assistant", "model": "claude",
        "content": [{"type": "text", "text": "Looking."},
                    {"type": "tool_use", "id": "call_1", "name": "weather", "input": {"city": "Paris"}}],
        "stop_reason": "tool_use", "stop_sequence": None, "usage": {"input_tokens": 11, "output_tokens": 7}}


@pytest.mark.parametrize(("finish", "reason"), [("stop", "end_turn"), ("length", "max_tokens"),
                                                ("content_filter", "refusal"), (None, "end_turn")])
def test_finish_reasons_map_to_anthropic_stop_reasons(finish, reason):
    completion = {"choices": [{"finish_reason": finish, "message": {"role": "assistant", "content": "x"}}]}
    assert message_from_chat(completion, Usage(), "m", "r")["stop_reason"] == reason


def test_tool_arguments_that_are_not_a_json_object_become_an_empty_input():
    completion = {"choices": [{"finish_reason": "tool_calls", "message": {"tool_calls": [
        {"id": "c", "function": {"name": "f", "arguments": "{not json"}}]}}]}
    assert message_from_chat(completion, Usage(), "m", "r")["content"][0]["input"] == {}


@pytest.mark.parametrize("completion", [{}, {"choices": []}, {"choices": [1]}, {"choices": [{"message": 5}]},
                                        {"choices": [{"message": {"content": 7, "tool_calls": [3, {"function": 1}]}}]}])
def test_a_malformed_chat_answer_still_becomes_a_message(completion):
    assert message_from_chat(completion, Usage(1, 1), "m", "r")["type"] == "message"


def test_a_tool_result_whose_content_is_neither_text_nor_blocks_is_a_400():
    turns = [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": 5}]}]
    with pytest.raises(BadRequest):
        messages_to_chat(body(messages=turns))


@pytest.mark.parametrize(("err", "status", "kind"), [
    (BadRequest("x"), 400, "invalid_request_error"), (Unauthorized("x"), 401, "authentication_error"),
    (InsufficientBalance("x"), 402, "billing_error"), (Forbidden("x"), 403, "permission_error"),
    (RateLimited("x"), 429, "rate_limit_error"), (ProviderError("x", upstream_status=500), 502, "api_error"),
    (ProviderError("x", upstream_status=429), 529, "overloaded_error"),
    (ProviderError("x", upstream_status=529), 529, "overloaded_error"),
    (ProviderTimeout("x"), 504, "timeout_error"),
])
def test_errors_take_anthropics_envelope_and_type_for_their_status(err, status, kind):
    assert error_status(err) == status
    assert error_body(err) == {"type": "error", "error": {"type": kind, "message": "x"}}
