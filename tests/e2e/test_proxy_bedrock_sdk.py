"""The real `openai` and `anthropic` SDKs over real HTTP through KeyLedger to the fake Amazon Bedrock.

The local stack's front server on 127.0.0.1 serves the /v1 app over the test's container (real
catalog, keys and metering on moto); the model's provider is a `bedrock` one, so each call is
translated to Converse / ConverseStream, signed by botocore and answered by the fake Bedrock
(BEDROCK_ENDPOINT_URL). Charges come from Converse's usage: 16 input tokens (11 + 3 cache
read + 2 cache write) at $1 and 7 output tokens at $2 per 1M = $0.000030.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal

import httpx
import openai
import pytest

from tests.support.bedrock_proxy import MODEL, bedrock_settings, build_bedrock_proxy

pytestmark = pytest.mark.e2e
COST = Decimal("0.000030")
TOOLS = [{"type": "function", "function": {"name": "weather", "description": "The weather in a city",
                                           "parameters": {"type": "object",
                                                          "properties": {"city": {"type": "string"}}}}}]


@pytest.fixture
def settings(bedrock_upstream):
    return bedrock_settings(bedrock_upstream)


@pytest.fixture
def api(container) -> Iterator[str]:
    from app import app
    from proxy_app import app as proxy_app

    from infra.localstack.front import FrontServer

    server = FrontServer(app, proxy_app, 0)
    server.start()
    yield server.url + "/v1"
    server.stop()


@pytest.fixture
def bedrock(container):
    return build_bedrock_proxy(container)


def sdk(base_url: str, key: str) -> openai.OpenAI:
    return openai.OpenAI(api_key=key, base_url=base_url, max_retries=0, timeout=10)


def spent(container, user_id: str) -> Decimal:
    return Decimal("1") - container.metering.balance(user_id).available


def test_the_sdk_chats_with_a_bedrock_model_and_is_charged_from_converse_usage(api, container, bedrock):
    raw = sdk(api, bedrock.key).chat.completions.with_raw_response.create(
        model=MODEL, messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}],
        max_tokens=50)
    completion = raw.parse()
    assert completion.choices[0].message.content == "Hello from the fake Bedrock."
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (16, 7)
    assert Decimal(raw.headers["x-keyledger-cost"]) == COST == spent(container, bedrock.user_id)


def test_the_sdk_streams_a_bedrock_answer_with_the_usage_last(api, container, bedrock):
    stream = sdk(api, bedrock.key).chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "hi"}], stream=True,
        stream_options={"include_usage": True})
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello from the fake Bedrock."
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 23
    assert spent(container, bedrock.user_id) == COST


@pytest.mark.parametrize("streamed", [False, True])
def test_a_tool_round_trip_through_the_sdk(api, container, bedrock, streamed):
    client = sdk(api, bedrock.key)
    messages: list = [{"role": "user", "content": "What is the weather in Paris?"}]
    if streamed:
        chunks = list(client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS, stream=True))
        calls = [c.choices[0].delta.tool_calls[0] for c in chunks if c.choices and c.choices[0].delta.tool_calls]
        call_id, name = calls[0].id, calls[0].function.name
        arguments = "".join(c.function.arguments or "" for c in calls)
        assert chunks[-1].choices[0].finish_reason == "tool_calls"
    else:
        first = client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)
        assert first.choices[0].finish_reason == "tool_calls"
        [call] = first.choices[0].message.tool_calls
        call_id, name, arguments = call.id, call.function.name, call.function.arguments
    assert (name, json.loads(arguments)) == ("weather", {"city": "Paris"})
    messages += [{"role": "assistant", "content": None, "tool_calls": [
        {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}]},
        {"role": "tool", "tool_call_id": call_id, "content": "sunny, 21 C"}]
    second = client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)
    assert second.choices[0].message.content == "The tool said: sunny, 21 C"
    assert spent(container, bedrock.user_id) == 2 * COST


def test_bedrock_throttling_reaches_the_sdk_as_a_rate_limit(api, container, bedrock, bedrock_upstream):
    bedrock_upstream.set_fault("throttled")
    with pytest.raises(openai.RateLimitError) as caught:
        sdk(api, bedrock.key).chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    assert caught.value.code == "upstream_throttled"
    assert spent(container, bedrock.user_id) == 0


def test_access_denied_reaches_the_sdk_as_a_permission_error(api, container, bedrock, bedrock_upstream):
    bedrock_upstream.set_fault("access_denied")
    with pytest.raises(openai.PermissionDeniedError) as caught:
        sdk(api, bedrock.key).chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}],
                                                      stream=True)
    assert "Model access" in caught.value.message


def test_a_client_that_hangs_up_ends_the_bedrock_stream_within_a_second(api, container, bedrock, bedrock_upstream):
    bedrock_upstream.chunk_delay = 0.2  # a slow generation: the whole answer would take over a second
    bedrock_upstream.reply = " ".join(["word"] * 40)
    body = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "stream": True}
    with httpx.stream("POST", api + "/chat/completions", json=body, timeout=10,
                      headers={"Authorization": f"Bearer {bedrock.key}"}) as response:
        for line in response.iter_lines():
            if '"content":"word' in line:
                break  # the first words arrived: hang up
    hung_up = time.monotonic()
    assert bedrock_upstream.stream_closed.wait(5)  # the fake sees the proxy close its Bedrock connection
    took = time.monotonic() - hung_up
    assert took < 1.0, f"the Bedrock stream outlived the client by {took:.2f} s"
    deadline = time.monotonic() + 5
    while container.metering.balance(bedrock.user_id).held and time.monotonic() < deadline:
        time.sleep(0.05)  # the server settles after the stream ended: the hold goes, the charge stays
    assert container.metering.balance(bedrock.user_id).held == 0
    assert Decimal(0) < spent(container, bedrock.user_id) < COST * 10  # what was delivered, never zero


def anthropic_sdk(base_url: str, key: str):
    import anthropic

    return anthropic.Anthropic(api_key=key, base_url=base_url.removesuffix("/v1"), max_retries=0, timeout=10)


WEATHER = [{"name": "weather", "description": "The weather in a city",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}]


def test_the_anthropic_sdk_reaches_a_bedrock_model_plain_and_streamed(api, container, bedrock):
    client = anthropic_sdk(api, bedrock.key)
    message = client.messages.create(model=MODEL, max_tokens=50, system="Be brief.",
                                     messages=[{"role": "user", "content": "hi"}])
    assert message.type == "message" and message.stop_reason == "end_turn"
    assert [b.text for b in message.content if b.type == "text"] == ["Hello from the fake Bedrock."]
    assert (message.usage.input_tokens, message.usage.output_tokens) == (16, 7)
    assert spent(container, bedrock.user_id) == COST
    with client.messages.stream(model=MODEL, max_tokens=50, messages=[{"role": "user", "content": "hi"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "Hello from the fake Bedrock."
    assert final.usage.output_tokens == 7
    assert spent(container, bedrock.user_id) == 2 * COST


def test_an_anthropic_sdk_tool_round_trip_reaches_bedrock(api, container, bedrock):
    client = anthropic_sdk(api, bedrock.key)
    messages: list[dict] = [{"role": "user", "content": "Weather in Paris?"}]
    first = client.messages.create(model=MODEL, max_tokens=100, messages=messages, tools=WEATHER)
    assert first.stop_reason == "tool_use"
    [use] = [b for b in first.content if b.type == "tool_use"]
    assert use.name == "weather"
    result = {"type": "tool_result", "tool_use_id": use.id, "content": "sunny, 21 C"}
    messages += [{"role": "assistant", "content": [b.model_dump() for b in first.content]},
                 {"role": "user", "content": [result]}]
    second = client.messages.create(model=MODEL, max_tokens=100, messages=messages, tools=WEATHER)
    assert [b.text for b in second.content if b.type == "text"] == ["The tool said: sunny, 21 C"]
    assert spent(container, bedrock.user_id) > COST  # both turns charged from Converse usage
