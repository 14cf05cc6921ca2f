"""The real `anthropic` SDK over real HTTP against /v1/messages, for a model on an
OpenAI-compatible upstream (`real`) and one on an Anthropic upstream (`claude`).

The fake upstreams report 11 input / 7 output tokens; at $1/M in and $2/M out a request
costs 0.000025. See tests/support/sdk_stack.py for the stack.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal

import anthropic
import httpx
import pytest

from tests.fakes.upstream_servers import FakeUpstream, Fault
from tests.support.proxy_env import ALICE
from tests.support.sdk_stack import MODEL_CAP, SdkStack, sdk_stack

pytestmark = pytest.mark.e2e
MODELS = ["real", "claude"]
HI = [{"role": "user", "content": "hi"}]
WEATHER = {"name": "get_weather", "description": "The weather in a city.",
           "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}


@pytest.fixture
def stack(container, openai_upstream, anthropic_upstream) -> Iterator[SdkStack]:
    with sdk_stack(container, openai_upstream, anthropic_upstream) as made:
        yield made


def sdk(stack: SdkStack, key: str = ALICE) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=key, base_url=stack.origin, max_retries=0, timeout=10)


def upstream_of(model: str, openai_upstream: FakeUpstream, anthropic_upstream: FakeUpstream) -> FakeUpstream:
    return anthropic_upstream if model == "claude" else openai_upstream


@pytest.mark.parametrize("model", MODELS)
def test_messages_create_answers_an_anthropic_message_with_the_reported_usage(stack, model, openai_upstream,
                                                                              anthropic_upstream):
    raw = sdk(stack).messages.with_raw_response.create(model=model, max_tokens=5000, messages=HI,
                                                       system="Be brief.", stop_sequences=["END"])
    message = raw.parse()
    assert message.type == "message" and message.role == "assistant" and message.model == model
    assert [b.type for b in message.content] == ["text"]
    assert message.content[0].text == "Hello from the fake upstream."
    assert message.stop_reason == "end_turn"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (11, 7)
    assert raw.headers["x-keyledger-cost"] == "0.000025" and stack.charges()[0] == Decimal("0.000025")
    sent = upstream_of(model, openai_upstream, anthropic_upstream).requests[-1].body
    assert sent["max_tokens"] == MODEL_CAP  # the cap the hold was sized for, not the 5000 asked


@pytest.mark.parametrize("model", MODELS)
def test_messages_stream_delivers_text_deltas_and_the_final_usage(stack, model):
    with sdk(stack).messages.stream(model=model, max_tokens=100, messages=HI) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "Hello from the fake upstream."
    assert final.content[0].text == text and final.stop_reason == "end_turn"
    assert (final.usage.input_tokens, final.usage.output_tokens) == (11, 7)


@pytest.mark.parametrize("model", MODELS)
def test_a_tool_use_round_trip_reaches_the_upstream_and_back(stack, model, openai_upstream, anthropic_upstream):
    upstream = upstream_of(model, openai_upstream, anthropic_upstream)
    upstream.tool_arguments = {"city": "Paris"}
    client = sdk(stack)
    asked = [{"role": "user", "content": "Weather in Paris?"}]
    call = client.messages.create(model=model, max_tokens=100, messages=asked, tools=[WEATHER])
    assert call.stop_reason == "tool_use"
    use = call.content[-1]
    assert (use.type, use.name, use.input) == ("tool_use", "get_weather", {"city": "Paris"})
    answer = client.messages.create(model=model, max_tokens=100, tools=[WEATHER], messages=[
        *asked, {"role": "assistant", "content": call.content},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "Sunny, 21 C"}]}])
    assert answer.stop_reason == "end_turn" and answer.content[0].text == "Hello from the fake upstream."
    sent = upstream.requests[-1].body["messages"]
    if model == "claude":
        assert sent[-1]["content"][0] == {"type": "tool_result", "tool_use_id": use.id, "content": "Sunny, 21 C"}
    else:
        assert sent[-1] == {"role": "tool", "tool_call_id": use.id, "content": "Sunny, 21 C"}
        assert sent[-2]["tool_calls"][0]["function"] == {"name": "get_weather", "arguments": '{"city": "Paris"}'}


@pytest.mark.parametrize("model", MODELS)
def test_a_streamed_tool_use_arrives_as_a_tool_use_block_with_its_input(stack, model, openai_upstream,
                                                                          anthropic_upstream):
    upstream_of(model, openai_upstream, anthropic_upstream).tool_arguments = {"city": "Paris"}
    with sdk(stack).messages.stream(model=model, max_tokens=100, tools=[WEATHER],
                                    messages=[{"role": "user", "content": "Weather in Paris?"}]) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    assert [(b.type, b.name, b.input) for b in final.content] == [("tool_use", "get_weather", {"city": "Paris"})]
    assert final.usage.output_tokens == 7


def test_an_anthropic_provider_gets_the_callers_request_as_it_was_sent(stack, anthropic_upstream):
    system = [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}]
    client = anthropic.Anthropic(api_key=ALICE, base_url=stack.origin, max_retries=0, timeout=10,
                                 default_headers={"anthropic-beta": "context-management-2025-06-27"})
    message = client.messages.create(model="claude", max_tokens=5000, system=system, messages=HI,
                                     stop_sequences=["END"], metadata={"user_id": "u-7"}, extra_body={"top_k": 5})
    sent = anthropic_upstream.calls("/v1/messages")[-1]
    assert sent.body == {"model": "claude-fake-sonnet", "max_tokens": MODEL_CAP, "system": system, "messages": HI,
                         "top_k": 5, "stop_sequences": ["END"], "metadata": {"user_id": "u-7"}}
    assert sent.headers["anthropic-beta"] == "context-management-2025-06-27"
    assert (message.id, message.model) == ("msg_fake1", "claude")  # the provider's own answer, our model name


def test_an_anthropic_providers_stream_is_passed_on_event_by_event(stack):
    body = {"model": "claude", "max_tokens": 50, "messages": HI, "stream": True}
    with httpx.stream("POST", f"{stack.origin}/v1/messages", json=body, headers={"x-api-key": ALICE}) as resp:
        text = resp.read().decode()
    names = [line.removeprefix("event: ") for line in text.splitlines() if line.startswith("event: ")]
    assert names == ["message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta",
                     "content_block_delta", "content_block_stop", "message_delta", "message_stop"]
    assert '"model":"claude"' in text and "claude-fake-sonnet" not in text


def test_a_cut_stream_from_an_anthropic_provider_ends_with_an_error_event_and_is_charged(stack, anthropic_upstream):
    anthropic_upstream.set_fault(Fault.STREAM_CUT)
    body = {"model": "claude", "max_tokens": 50, "messages": HI, "stream": True}
    with httpx.stream("POST", f"{stack.origin}/v1/messages", json=body, headers={"x-api-key": ALICE}) as resp:
        text = resp.read().decode()
    assert text.count('"text_delta"') == 1 and "event: error" in text and "message_stop" not in text
    deadline = time.monotonic() + 10
    while not stack.charges() and time.monotonic() < deadline:  # settled after the last byte
        time.sleep(0.05)
    assert stack.charges() == [Decimal("0.000013")]  # message_start's 11 in and 1 out, all that was reported


def test_count_tokens_answers_an_estimate_and_charges_nothing(stack, openai_upstream):
    counted = sdk(stack).messages.count_tokens(model="real", messages=HI, system="Be brief.")
    assert counted.input_tokens > 0
    assert openai_upstream.requests == [] and stack.charges() == []


def test_count_tokens_answers_an_anthropic_providers_own_count(stack, anthropic_upstream):
    counted = sdk(stack).messages.count_tokens(model="claude", messages=HI, system="Be brief.", tools=[WEATHER])
    assert counted.input_tokens == 11  # the fake's figure, not an estimate
    sent = anthropic_upstream.calls("/v1/messages/count_tokens")[-1].body
    assert sent["model"] == "claude-fake-sonnet" and sent["system"] == "Be brief." and sent["tools"][0]["name"]
    assert stack.charges() == []


def test_count_tokens_estimates_when_the_anthropic_provider_cannot_count(stack, anthropic_upstream):
    anthropic_upstream.set_fault(Fault.SERVER_ERROR)
    assert sdk(stack).messages.count_tokens(model="claude", messages=HI).input_tokens > 11


def test_each_refusal_raises_the_anthropic_sdks_own_error_class(stack, openai_upstream):
    with pytest.raises(anthropic.AuthenticationError) as bad_key:
        sdk(stack, "sk-kl-nobody-0123456789").messages.create(model="real", max_tokens=10, messages=HI)
    assert "sk-kl-nobody" not in bad_key.value.response.text
    with pytest.raises(anthropic.PermissionDeniedError):
        sdk(stack).messages.create(model="secret-model", max_tokens=10, messages=HI)
    with pytest.raises(anthropic.NotFoundError):
        sdk(stack).messages.create(model="no-such-model", max_tokens=10, messages=HI)
    with pytest.raises(anthropic.APIStatusError) as poor:
        sdk(stack, "sk-kl-poor").messages.create(model="real", max_tokens=10, messages=HI)
    assert poor.value.status_code == 402 and poor.value.body["error"]["type"] == "billing_error"
    openai_upstream.set_fault(Fault.RATE_LIMITED, times=1)
    with pytest.raises(anthropic.APIStatusError) as busy:
        sdk(stack).messages.create(model="real", max_tokens=10, messages=HI)
    assert busy.value.status_code == 529 and busy.value.body["error"]["type"] == "overloaded_error"
    openai_upstream.set_fault(Fault.SERVER_ERROR, times=1)
    with pytest.raises(anthropic.InternalServerError) as failed:
        sdk(stack).messages.create(model="real", max_tokens=10, messages=HI)
    assert failed.value.body["error"]["type"] == "api_error"


def test_the_key_as_a_bearer_token_works_as_claude_code_style_clients_send_it(stack):
    client = anthropic.Anthropic(auth_token=ALICE, base_url=stack.origin, max_retries=0, timeout=10,
                                 default_headers={"anthropic-beta": "interleaved-thinking-2025-05-14"})
    assert client.messages.create(model="claude", max_tokens=10, messages=HI).usage.output_tokens == 7


def test_a_request_without_max_tokens_is_refused_in_anthropics_envelope(stack):
    resp = httpx.post(f"{stack.origin}/v1/messages", json={"model": "real", "messages": HI},
                      headers={"x-api-key": ALICE, "anthropic-version": "2023-06-01"})
    assert resp.status_code == 400
    assert resp.json()["type"] == "error" and resp.json()["error"]["type"] == "invalid_request_error"
    assert "max_tokens" in resp.json()["error"]["message"]
