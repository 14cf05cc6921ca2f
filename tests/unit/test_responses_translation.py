"""The Responses API translation, both ways: a Responses request -> the internal chat request,
a chat completion -> a Response object, chat chunks -> the Responses event stream."""

from __future__ import annotations

import json

import pytest
from chalicelib.kernel.errors import BadRequest
from chalicelib.proxy.responses.events import ResponseEvents
from chalicelib.proxy.responses.request import to_chat
from chalicelib.proxy.responses.response import from_completion, skeleton
from chalicelib.upstreams.sse import parse_text
from chalicelib.upstreams.types import Usage

RID = "01TESTREQUEST"


def body(**extra):
    return {"model": "m", "input": "hi", **extra}


# --- request: Responses -> chat ---


def test_a_string_input_with_instructions_becomes_a_system_and_a_user_message():
    chat = to_chat(body(instructions="Be brief.", max_output_tokens=50, temperature=0.2, top_p=0.9, stream=True))
    assert chat == {"model": "m", "stream": True, "temperature": 0.2, "top_p": 0.9, "max_tokens": 50,
                    "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]}


def test_message_items_keep_their_roles_text_and_images():
    items = [
        {"role": "developer", "content": "Rules."},
        {"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": "What is this?"},
            {"type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "low"}]},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "A dot."}]},
    ]
    assert to_chat(body(input=items))["messages"] == [
        {"role": "developer", "content": "Rules."},
        {"role": "user", "content": [{"type": "text", "text": "What is this?"},
                                     {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA",
                                                                         "detail": "low"}}]},
        {"role": "assistant", "content": "A dot."},
    ]


def test_function_calls_and_their_outputs_become_one_assistant_turn_and_tool_messages():
    items = [
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {"type": "reasoning", "id": "rs_1", "summary": []},
        {"type": "function_call", "call_id": "call_1", "name": "weather", "arguments": '{"city":"Paris"}'},
        {"type": "function_call", "call_id": "call_2", "name": "weather", "arguments": '{"city":"Rome"}'},
        {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
        {"type": "function_call_output", "call_id": "call_2", "output": [{"type": "input_text", "text": "rain"}]},
    ]
    messages = to_chat(body(input=items))["messages"]
    assert messages[1] == {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": '{"city":"Paris"}'}},
        {"id": "call_2", "type": "function", "function": {"name": "weather", "arguments": '{"city":"Rome"}'}}]}
    assert messages[2:] == [{"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
                            {"role": "tool", "tool_call_id": "call_2", "content": "rain"}]


def test_function_tools_tool_choice_and_a_json_schema_format_carry_over():
    tool = {"type": "function", "name": "weather", "description": "d", "parameters": {"type": "object"},
            "strict": True}
    fmt = {"type": "json_schema", "name": "W", "schema": {"type": "object"}, "strict": True}
    chat = to_chat(body(tools=[tool], tool_choice={"type": "function", "name": "weather"}, text={"format": fmt},
                        reasoning={"effort": "low"}, parallel_tool_calls=False))
    assert chat["tools"] == [{"type": "function", "function": {"name": "weather", "description": "d",
                                                               "parameters": {"type": "object"}, "strict": True}}]
    assert chat["tool_choice"] == {"type": "function", "function": {"name": "weather"}}
    assert chat["response_format"] == {"type": "json_schema",
                                       "json_schema": {"name": "W", "schema": {"type": "object"}, "strict": True}}
    assert chat["reasoning_effort"] == "low" and chat["parallel_tool_calls"] is False


def test_a_json_object_format_asks_for_json_and_a_text_format_asks_for_nothing():
    assert to_chat(body(text={"format": {"type": "json_object"}}))["response_format"] == {"type": "json_object"}
    assert "response_format" not in to_chat(body(text={"format": {"type": "text"}}))


def test_a_tool_choice_without_tools_is_not_forwarded():
    assert "tool_choice" not in to_chat(body(tool_choice="auto"))


@pytest.mark.parametrize(("extra", "param", "code"), [
    ({"previous_response_id": "resp_1"}, "previous_response_id", "unsupported_parameter"),
    ({"store": True}, "store", "unsupported_parameter"),
    ({"conversation": "conv_1"}, "conversation", "unsupported_parameter"),
    ({"background": True}, "background", "unsupported_parameter"),
    ({"tools": [{"type": "web_search"}]}, "tools", "unsupported_tool"),
    ({"tools": [{"type": "function", "name": "f"}], "tool_choice": {"type": "file_search"}}, "tool_choice",
     "unsupported_parameter"),
    ({"input": [{"type": "item_reference", "id": "msg_1"}]}, "input", "unsupported_parameter"),
    ({"input": [{"role": "user", "content": [{"type": "input_image", "file_id": "file_1"}]}]}, "input",
     "unsupported_parameter"),
    ({"input": [{"role": "assistant", "content": [{"type": "input_image", "image_url": "https://x/y.png"}]}]},
     "input", "unsupported_parameter"),
    ({"text": {"format": {"type": "json_schema"}}}, "text.format", "unsupported_parameter"),
    ({"input": [], "instructions": "Be brief."}, "input", "unsupported_parameter"),
    ({"input": [{"type": "reasoning", "id": "rs_1", "summary": []}]}, "input", "unsupported_parameter"),
])
def test_what_needs_state_or_a_hosted_tool_is_refused_with_a_400_naming_the_field(extra, param, code):
    with pytest.raises(BadRequest) as refused:
        to_chat(body(**extra))
    assert (refused.value.param, refused.value.code) == (param, code)


def test_store_false_is_accepted():
    assert to_chat(body(store=False))["messages"] == [{"role": "user", "content": "hi"}]


# What the openai-agents SDK, Codex-style and other Responses clients send that needs no server
# state: accepted, and not forwarded (no chat upstream reads them under these names).
CLIENT_EXTRAS = {"include": ["reasoning.encrypted_content", "message.output_text.logprobs"], "truncation": "auto",
                 "metadata": {"run": "r1"}, "prompt_cache_key": "session-1", "prompt_cache_retention": "24h",
                 "safety_identifier": "user-1", "service_tier": "auto", "max_tool_calls": 5, "top_logprobs": 0,
                 "stream_options": {"include_obfuscation": False}, "background": False}


def test_stateless_extras_real_clients_send_are_accepted_and_not_forwarded():
    chat = to_chat(body(**CLIENT_EXTRAS, parallel_tool_calls=False, reasoning={"effort": "none", "summary": None}))
    assert chat == {"model": "m", "messages": [{"role": "user", "content": "hi"}], "parallel_tool_calls": False,
                    "reasoning_effort": "none"}


# --- response: chat completion -> Response ---


def completion(message, finish="stop", usage=None):
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000, "model": "m",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            **({"usage": usage} if usage else {})}


def test_a_completion_becomes_a_completed_response_with_a_message_and_usage():
    usage = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18,
             "prompt_tokens_details": {"cached_tokens": 4}, "completion_tokens_details": {"reasoning_tokens": 2}}
    response = from_completion(completion({"role": "assistant", "content": "Hi!"}, usage=usage),
                               body(instructions="Be brief."), RID, Usage(11, 7), "0.000025")
    assert response["id"] == f"resp_{RID}" and response["object"] == "response"
    assert response["status"] == "completed" and response["created_at"] == 1700000000
    assert response["instructions"] == "Be brief." and response["store"] is False
    assert response["output"] == [{"id": f"msg_{RID}_0", "type": "message", "status": "completed",
                                   "role": "assistant",
                                   "content": [{"type": "output_text", "text": "Hi!", "annotations": [],
                                                "logprobs": []}]}]
    assert response["usage"] == {"input_tokens": 11, "input_tokens_details": {"cached_tokens": 4,
                                                                              "cache_write_tokens": 0},
                                 "output_tokens": 7, "output_tokens_details": {"reasoning_tokens": 2},
                                 "total_tokens": 18, "cost": "0.000025"}


def test_tool_calls_become_function_call_items_with_their_call_ids():
    calls = [{"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": '{"city":"P"}'}}]
    response = from_completion(completion({"role": "assistant", "content": None, "tool_calls": calls},
                                          finish="tool_calls"), body(), RID, Usage(1, 1), None)
    assert response["output"] == [{"id": f"fc_{RID}_0", "type": "function_call", "status": "completed",
                                   "call_id": "call_1", "name": "weather", "arguments": '{"city":"P"}'}]
    assert response["status"] == "completed"


def test_an_answer_cut_by_the_output_cap_is_incomplete_with_the_reason():
    response = from_completion(completion({"role": "assistant", "content": "Hal"}, finish="length"), body(), RID,
                               Usage(1, 3), None)
    assert response["status"] == "incomplete"
    assert response["incomplete_details"] == {"reason": "max_output_tokens"}
    assert response["output"][0]["status"] == "incomplete"


# --- events: chat chunks -> the Responses event stream ---


def chunk(delta=None, finish=None):
    return {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish}]}


def events_of(chunks, usage=Usage(11, 7), error=None, **request):
    stream = ResponseEvents(skeleton(body(**request), RID, 1), RID)
    text = stream.opening() + "".join(stream.feed(c) for c in chunks) + stream.finish(usage, "0.000025", error)
    events = [json.loads(e.data) for e in parse_text(text)]
    names = [e.event for e in parse_text(text)]
    assert names == [e["type"] for e in events]  # each event's `event:` line names its type
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    return events


def test_streamed_text_follows_the_documented_event_order_and_ends_with_usage():
    events = events_of([chunk({"role": "assistant", "content": ""}), chunk({"content": "Hel"}),
                        chunk({"content": "lo"}), chunk({}, "stop")])
    assert [e["type"] for e in events] == [
        "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
        "response.output_text.delta", "response.output_text.delta", "response.output_text.done",
        "response.content_part.done", "response.output_item.done", "response.completed"]
    assert events[6]["text"] == "Hello" and events[8]["item"]["content"][0]["text"] == "Hello"
    final = events[-1]["response"]
    assert final["status"] == "completed" and final["output"] == [events[8]["item"]]
    assert final["usage"]["total_tokens"] == 18 and final["usage"]["cost"] == "0.000025"
    assert events[0]["response"]["status"] == "in_progress" and events[0]["response"]["id"] == f"resp_{RID}"


def test_a_streamed_tool_call_closes_the_text_before_it_and_streams_its_arguments():
    call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "weather", "arguments": ""}}
    events = events_of([chunk({"content": "Let me look."}), chunk({"tool_calls": [call]}),
                        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city":'}}]}),
                        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]}),
                        chunk({}, "tool_calls")])
    kinds = [e["type"] for e in events]
    assert kinds[2:] == [
        "response.output_item.added", "response.content_part.added", "response.output_text.delta",
        "response.output_text.done", "response.content_part.done", "response.output_item.done",
        "response.output_item.added", "response.function_call_arguments.delta",
        "response.function_call_arguments.delta", "response.function_call_arguments.done",
        "response.output_item.done", "response.completed"]
    added = events[8]
    assert added["output_index"] == 1 and added["item"]["call_id"] == "call_1" and added["item"]["name"] == "weather"
    assert events[11]["arguments"] == '{"city":"Paris"}'
    assert [i["type"] for i in events[-1]["response"]["output"]] == ["message", "function_call"]


def test_a_stream_cut_by_the_output_cap_ends_with_response_incomplete():
    events = events_of([chunk({"content": "Hal"}), chunk({}, "length")])
    assert events[-1]["type"] == "response.incomplete"
    assert events[-1]["response"]["incomplete_details"] == {"reason": "max_output_tokens"}


def test_a_broken_stream_ends_with_an_error_event_and_response_failed_carrying_what_was_charged():
    events = events_of([chunk({"content": "Hal"})], usage=Usage(11, 1), error="The stream broke.")
    assert [e["type"] for e in events[-2:]] == ["error", "response.failed"]
    assert events[-2]["message"] == "The stream broke."
    failed = events[-1]["response"]
    assert failed["status"] == "failed" and failed["error"]["message"] == "The stream broke."
    assert failed["output"][0]["status"] == "incomplete" and failed["output"][0]["content"][0]["text"] == "Hal"
    assert failed["usage"]["output_tokens"] == 1


def test_reasoning_content_becomes_a_reasoning_item_before_the_message():
    message = {"role": "assistant", "reasoning_content": "Think.", "content": "Answer."}
    output = from_completion(completion(message), body(), RID, Usage(1, 2), None)["output"]
    assert [(i["type"], i["id"]) for i in output] == [("reasoning", f"rs_{RID}_0"), ("message", f"msg_{RID}_1")]
    assert output[0]["content"] == [{"type": "reasoning_text", "text": "Think."}]


def test_streamed_reasoning_is_a_reasoning_item_closed_when_the_answer_starts():
    events = events_of([chunk({"reasoning_content": "Hm"}), chunk({"reasoning_content": "m."}),
                        chunk({"content": "Yes."}), chunk({}, "stop")])
    assert [e["type"] for e in events][2:] == [
        "response.output_item.added", "response.content_part.added", "response.reasoning_text.delta",
        "response.reasoning_text.delta", "response.reasoning_text.done", "response.content_part.done",
        "response.output_item.done", "response.output_item.added", "response.content_part.added",
        "response.output_text.delta", "response.output_text.done", "response.content_part.done",
        "response.output_item.done", "response.completed"]
    assert events[6]["text"] == "Hmm." and events[8]["item"]["type"] == "reasoning"
    assert [i["type"] for i in events[-1]["response"]["output"]] == ["reasoning", "message"]


def test_a_refusal_is_a_message_with_a_refusal_part_plain_and_streamed():
    output = from_completion(completion({"role": "assistant", "content": None, "refusal": "No."}), body(), RID,
                             Usage(1, 1), None)["output"]
    assert output[0]["content"] == [{"type": "refusal", "refusal": "No."}]
    events = events_of([chunk({"refusal": "No"}), chunk({"refusal": "."}), chunk({}, "stop")])
    assert [e["type"] for e in events][4:8] == ["response.refusal.delta", "response.refusal.delta",
                                                "response.refusal.done", "response.content_part.done"]
    assert events[6]["refusal"] == "No." and events[-1]["response"]["output"][0]["content"] == [
        {"type": "refusal", "refusal": "No."}]
