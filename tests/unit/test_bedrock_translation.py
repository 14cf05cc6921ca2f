"""OpenAI chat <-> Bedrock Converse, both ways, and ConverseStream's binary frames, without any I/O."""

from __future__ import annotations

import base64
import json

import pytest
from chalicelib.upstreams import bedrock
from chalicelib.upstreams.bedrock_stream import BedrockStreamDecoder, EventStreamFraming
from chalicelib.upstreams.errors import ProviderRejected
from chalicelib.upstreams.types import BedrockSettings, Target, Usage

from infra.fake_bedrock import event_frame, exception_frame

PNG = base64.b64encode(b"\x89PNG fake image bytes").decode()


def target(model: str = "anthropic.claude-3-haiku-20240307-v1:0", profile: str | None = None) -> Target:
    return Target("p1", "bedrock", "", "", model, 512, BedrockSettings("us-east-1", profile))


def test_system_prompts_and_turns_become_converse_blocks_with_alternating_roles():
    params = bedrock.translate_request(target(), {"messages": [
        {"role": "system", "content": "Be brief."}, {"role": "developer", "content": [{"type": "text", "text": "No"}]},
        {"role": "user", "content": "one"}, {"role": "user", "content": [{"type": "text", "text": "two"}]},
        {"role": "assistant", "content": "ok"}, {"role": "user", "content": "three"}]})
    assert params["system"] == [{"text": "Be brief."}, {"text": "No"}]
    assert params["messages"] == [{"role": "user", "content": [{"text": "one"}, {"text": "two"}]},
                                  {"role": "assistant", "content": [{"text": "ok"}]},
                                  {"role": "user", "content": [{"text": "three"}]}]
    assert params["inferenceConfig"] == {"maxTokens": 512}  # the model's cap when the caller gave none


def test_sampling_limits_and_stop_sequences_go_into_inference_config():
    params = bedrock.translate_request(target(), {"messages": [{"role": "user", "content": "hi"}],
                                                  "max_completion_tokens": 64, "temperature": 0.2, "top_p": 0.9,
                                                  "stop": "END"})
    assert params["inferenceConfig"] == {"maxTokens": 64, "temperature": 0.2, "topP": 0.9, "stopSequences": ["END"]}


@pytest.mark.parametrize(("model", "profile", "called"), [
    ("anthropic.claude-3-haiku-20240307-v1:0", "us", "us.anthropic.claude-3-haiku-20240307-v1:0"),
    ("eu.anthropic.claude-3-haiku-20240307-v1:0", "us", "eu.anthropic.claude-3-haiku-20240307-v1:0"),
    ("arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/abc", "us",
     "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/abc"),
    ("amazon.nova-lite-v1:0", None, "amazon.nova-lite-v1:0"),
])
def test_a_bare_model_id_is_called_through_the_providers_inference_profile(model, profile, called):
    assert bedrock.model_id(target(model, profile)) == called


def test_a_data_url_image_is_sent_as_bytes_and_a_link_is_refused():
    image = {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}
    params = bedrock.translate_request(target(), {"messages": [{"role": "user", "content": [image]}]})
    assert params["messages"][0]["content"] == [{"image": {"format": "png",
                                                           "source": {"bytes": b"\x89PNG fake image bytes"}}}]
    link = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
    with pytest.raises(ProviderRejected):
        bedrock.translate_request(target(), {"messages": [{"role": "user", "content": [link]}]})


def test_tools_tool_calls_and_tool_results_map_to_tool_config_tool_use_and_tool_result():
    tools = [{"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}]
    call = {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": '{"city": "Oslo"}'}}
    params = bedrock.translate_request(target(), {"tools": tools, "tool_choice": "required", "messages": [
        {"role": "user", "content": "weather?"}, {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "rain"}]})
    assert params["toolConfig"] == {"tools": [{"toolSpec": {"name": "weather", "inputSchema": {
        "json": {"type": "object"}}}}], "toolChoice": {"any": {}}}
    assert params["messages"][1]["content"] == [{"toolUse": {"toolUseId": "call_1", "name": "weather",
                                                             "input": {"city": "Oslo"}}}]
    assert params["messages"][2] == {"role": "user", "content": [
        {"toolResult": {"toolUseId": "call_1", "content": [{"text": "rain"}]}}]}


def test_a_converse_answer_becomes_a_chat_completion_with_cache_tokens_counted_as_input():
    data = {"output": {"message": {"role": "assistant", "content": [
        {"text": "Let me check."}, {"toolUse": {"toolUseId": "t1", "name": "weather", "input": {"city": "Oslo"}}}]}},
        "stopReason": "tool_use", "usage": {"inputTokens": 10, "outputTokens": 5, "cacheReadInputTokens": 100,
                                            "cacheWriteInputTokens": 20, "totalTokens": 135}}
    result = bedrock.chat_result(data, "public", 1)
    choice = result.body["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] == "Let me check."
    assert choice["message"]["tool_calls"][0]["function"] == {"name": "weather", "arguments": '{"city": "Oslo"}'}
    assert result.usage == Usage(130, 5)


@pytest.mark.parametrize(("reason", "finish"), [("end_turn", "stop"), ("max_tokens", "length"),
                                                ("stop_sequence", "stop"), ("guardrail_intervened", "content_filter")])
def test_stop_reasons_map_to_openai_finish_reasons(reason, finish):
    data = {"output": {"message": {"content": [{"text": "x"}]}}, "stopReason": reason, "usage": {}}
    assert bedrock.chat_result(data, "m", 1).body["choices"][0]["finish_reason"] == finish


def _decode(stream: bytes, cut: int = 7) -> BedrockStreamDecoder:
    framing, decoder = EventStreamFraming(), BedrockStreamDecoder("public", 1)
    for start in range(0, len(stream), cut):  # frames arrive split anywhere
        for event in framing.feed(stream[start:start + cut]):
            decoder.feed(event)
    return decoder


def test_stream_frames_become_text_tool_and_usage_chunks():
    stream = b"".join([
        event_frame("messageStart", {"role": "assistant"}),
        event_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi "}}),
        event_frame("contentBlockStart", {"contentBlockIndex": 1,
                                          "start": {"toolUse": {"toolUseId": "t1", "name": "weather"}}}),
        event_frame("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": '{"city":'}}}),
        event_frame("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": '"Oslo"}'}}}),
        event_frame("messageStop", {"stopReason": "tool_use"}),
        event_frame("metadata", {"usage": {"inputTokens": 4, "outputTokens": 9, "cacheReadInputTokens": 2}}),
    ])
    decoder = _decode(stream)
    deltas = [c["choices"][0]["delta"] for c in decoder.chunks if c["choices"]]
    assert deltas[1] == {"content": "Hi "}
    assert deltas[2]["tool_calls"][0]["id"] == "t1" and deltas[2]["tool_calls"][0]["index"] == 0
    arguments = "".join(d["tool_calls"][0]["function"]["arguments"] for d in deltas[2:5])
    assert json.loads(arguments) == {"city": "Oslo"}
    assert decoder.chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert decoder.chunks[-1]["usage"] == {"prompt_tokens": 6, "completion_tokens": 9, "total_tokens": 15}
    assert decoder.complete and decoder.usage == Usage(6, 9)


def test_an_exception_frame_is_an_in_stream_error_and_not_an_end():
    decoder = _decode(event_frame("messageStart", {"role": "assistant"})
                      + exception_frame("modelStreamErrorException", "the model broke"))
    assert decoder.error == "modelStreamErrorException: the model broke"
    assert not decoder.complete


def test_a_frame_with_a_bad_checksum_is_malformed():
    frame = bytearray(event_frame("messageStart", {"role": "assistant"}))
    frame[-6] ^= 0xFF  # a payload byte: the message CRC no longer matches
    with pytest.raises(ValueError, match="malformed event-stream frame"):
        EventStreamFraming().feed(bytes(frame))
