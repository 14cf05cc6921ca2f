"""A newcomer on the local stack: register with TOTP, get a key and the sign-up credit, and use
the real `openai` SDK against the local demo upstream, offline, over real HTTP."""

from __future__ import annotations

import time
from decimal import Decimal

import anthropic
import openai
import pyotp
import pytest
import requests

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def newcomer(local_stack) -> dict[str, str]:
    api = local_stack.api_url
    name = f"e2e{int(time.time() * 1000) % 10**8}"
    password = "a long enough password"
    reg = requests.post(f"{api}/api/register", json={"username": name, "email": f"{name}@example.test",
                                                     "password": password}, timeout=30)
    assert reg.status_code == 201, reg.text
    code = pyotp.TOTP(reg.json()["totp"]["secret"]).now()
    verified = requests.post(f"{api}/api/register/verify", json={"username": name, "password": password,
                                                                 "code": code}, timeout=30)
    assert verified.status_code == 200, verified.text
    return {"key": verified.json()["api_key"]["key"], "base_url": f"{api}/v1"}


def sdk(newcomer: dict[str, str], key: str | None = None) -> openai.OpenAI:
    return openai.OpenAI(api_key=key or newcomer["key"], base_url=newcomer["base_url"], max_retries=0, timeout=30)


def test_the_newcomers_key_sees_the_demo_models(newcomer):
    ids = [m.id for m in sdk(newcomer).models.list()]
    assert "local-demo-chat" in ids and "local-demo-embed" in ids


def test_the_bedrock_demo_model_answers_plain_and_streamed_through_the_local_fake(newcomer):
    client = sdk(newcomer)
    assert "local-bedrock-haiku" in [m.id for m in client.models.list()]
    raw = client.chat.completions.with_raw_response.create(
        model="local-bedrock-haiku", messages=[{"role": "user", "content": "hello"}], max_tokens=20)
    assert raw.parse().choices[0].message.content.startswith("local-bedrock reply")
    assert Decimal(raw.headers["x-keyledger-cost"]) > 0
    stream = client.chat.completions.create(model="local-bedrock-haiku", messages=[{"role": "user", "content": "hi"}],
                                            stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices).startswith("local-bedrock reply")
    assert chunks[-1].usage is not None and chunks[-1].usage.prompt_tokens == 16


def test_a_chat_is_answered_and_debited_from_the_sign_up_credit(newcomer):
    raw = sdk(newcomer).chat.completions.with_raw_response.create(
        model="local-demo-chat", messages=[{"role": "user", "content": "hello there"}], max_tokens=20)
    completion = raw.parse()
    assert completion.choices[0].message.content
    cost = Decimal(raw.headers["x-keyledger-cost"])
    assert cost > 0
    # The default group's keys carry DEFAULT_RPM (60), so every success says what is left.
    assert raw.headers["x-ratelimit-limit-requests"] == "60"
    assert 0 <= int(raw.headers["x-ratelimit-remaining-requests"]) < 60
    usage = requests.get(f"{newcomer['base_url']}/usage", headers={"Authorization": f"Bearer {newcomer['key']}"},
                         timeout=30).json()
    assert Decimal(usage["used_cost"]) >= cost


def test_a_streamed_chat_collects_deltas_and_ends_with_usage_when_asked(newcomer):
    stream = sdk(newcomer).chat.completions.create(
        model="local-demo-chat", messages=[{"role": "user", "content": "hello"}], stream=True, max_tokens=20,
        stream_options={"include_usage": True})
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0
    assert all(c.choices for c in chunks[:-1])


def test_the_openai_readme_streaming_loop_runs_to_the_end(newcomer):
    stream = sdk(newcomer).chat.completions.create(
        model="local-demo-chat", messages=[{"role": "user", "content": "hello"}], stream=True)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream)  # as the SDK's README writes it
    assert text


def test_the_responses_api_answers_plain_and_streamed_on_the_demo_model(newcomer):
    raw = sdk(newcomer).responses.with_raw_response.create(model="local-demo-chat", input="hello",
                                                           max_output_tokens=20)
    response = raw.parse()
    assert response.status == "completed" and response.output_text and response.usage.total_tokens > 0
    assert Decimal(raw.headers["x-keyledger-cost"]) > 0
    with sdk(newcomer).responses.stream(model="local-demo-chat", input="hello", max_output_tokens=20) as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == final.output_text and final.usage.output_tokens > 0


def test_the_readmes_openai_agents_example_completes_a_run_on_the_demo_model(newcomer):
    from agents import Agent, RunConfig, Runner, function_tool
    from agents.models.openai_provider import OpenAIProvider

    @function_tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return "sunny, 21 C"

    client = openai.AsyncOpenAI(api_key=newcomer["key"], base_url=newcomer["base_url"], max_retries=0, timeout=30)
    agent = Agent(name="weather", instructions="Answer briefly.", tools=[get_weather], model="local-demo-chat")
    result = Runner.run_sync(agent, "Weather in Paris?", run_config=RunConfig(
        model_provider=OpenAIProvider(openai_client=client), tracing_disabled=True))
    assert isinstance(result.final_output, str) and result.final_output  # the demo model answers text
    assert result.raw_responses[0].usage.output_tokens > 0


def test_an_unknown_v1_route_is_an_openai_404_on_the_same_origin(newcomer):
    resp = requests.post(f"{newcomer['base_url']}/files", json={}, timeout=30,
                         headers={"Authorization": f"Bearer {newcomer['key']}"})
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "unknown_route"
    assert newcomer["key"] not in resp.text


def test_embeddings_work_on_the_demo_model(newcomer):
    result = sdk(newcomer).embeddings.create(model="local-demo-embed", input="hello world")
    assert result.data and result.usage.prompt_tokens > 0


def test_a_wrong_key_raises_the_sdks_authentication_error(newcomer):
    with pytest.raises(openai.AuthenticationError):
        sdk(newcomer, "sk-kl-not-a-real-key").models.list()


def test_the_readmes_anthropic_sdk_example_runs_on_the_demo_model(newcomer):
    client = anthropic.Anthropic(base_url=newcomer["base_url"].removesuffix("/v1"), api_key=newcomer["key"],
                                 max_retries=0, timeout=30)
    message = client.messages.create(model="local-demo-chat", max_tokens=200,
                                     messages=[{"role": "user", "content": "Hello"}])
    assert message.content[0].text and message.usage.output_tokens > 0
    counted = client.messages.count_tokens(model="local-demo-chat", messages=[{"role": "user", "content": "Hello"}])
    assert counted.input_tokens > 0
