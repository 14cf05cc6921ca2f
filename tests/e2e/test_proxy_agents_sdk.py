"""The openai-agents SDK's default Agent with a function tool, over real HTTP through KeyLedger.

The Agent names no model, so the SDK picks its default model and calls it with the Responses
API (`POST /v1/responses`, the default of `OpenAIProvider`), through an `AsyncOpenAI` client
pointed at the local stack's front server. KeyLedger serves that model name from a fake
upstream on 127.0.0.1 (OpenAI-compatible or Anthropic) that calls the tool, then answers once
the tool's result is in the conversation. Tracing is off: nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal

import openai
import pytest
from agents import Agent, RunConfig, Runner, function_tool, set_tracing_disabled
from agents.models.default_models import get_default_model
from agents.models.openai_provider import OpenAIProvider
from chalicelib.catalog.routing import ModelRoute, ProviderTargetInfo
from chalicelib.kernel.money import from_micros
from chalicelib.ledger.store import list_entries
from chalicelib.proxy.service import ProxyService
from chalicelib.upstreams.client import UpstreamClient

from tests.fakes.tool_calls import ToolCallingUpstream
from tests.support.metering import assert_ledger_consistent
from tests.support.proxy_env import ALICE, build_proxy_env

pytestmark = pytest.mark.e2e
REPLY = "Hello from the fake upstream."
COST = Decimal("0.000025")  # the fake's 11 input tokens at $1 and 7 output tokens at $2 per 1M


@pytest.fixture(params=["openai", "anthropic"])
def fake(request) -> Iterator[ToolCallingUpstream]:
    made = ToolCallingUpstream(request.param, "get_weather", {"city": "Paris"}).start()
    yield made
    made.stop()


@pytest.fixture
def api(container, fake) -> Iterator[str]:
    """KeyLedger's /v1 serving the agents SDK's default model name from `fake`."""
    from app import app
    from proxy_app import app as proxy_app

    from infra.localstack.front import FrontServer

    env = build_proxy_env(container)
    provider = ProviderTargetInfo(provider_id="up", name="up", type=fake.kind, base_url=fake.base_url,
                                  api_key=fake.api_key)
    name = get_default_model()
    env.catalog.routes[name] = ModelRoute("m1", name, Decimal(1), Decimal(2), 1000, ("chat",),
                                          ((provider, "fake-model"),))
    env.catalog.groups["default"] = [name]
    client = UpstreamClient(connect_timeout=1.0, read_timeout=2.0, max_retries=0, sleep=lambda s: None,
                            allow_private=True)
    container.proxy = ProxyService(env.keys, env.catalog, client, container.metering, container.clock)
    set_tracing_disabled(True)  # the SDK would otherwise export traces to OpenAI
    server = FrontServer(app, proxy_app, 0)
    server.start()
    yield server.url + "/v1"
    server.stop()
    client.close()


def run_agent(base_url: str, streamed: bool) -> tuple[str, list[str]]:
    """Run the default Agent with one function tool; (its final output, the cities the tool was asked for)."""
    asked: list[str] = []

    @function_tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        asked.append(city)
        return "sunny, 21 C"

    agent = Agent(name="weather", instructions="Answer briefly.", tools=[get_weather])
    client = openai.AsyncOpenAI(api_key=ALICE, base_url=base_url, max_retries=0, timeout=10)
    config = RunConfig(model_provider=OpenAIProvider(openai_client=client), tracing_disabled=True)

    async def run() -> str:
        if not streamed:
            return str((await Runner.run(agent, "What is the weather in Paris?", run_config=config)).final_output)
        result = Runner.run_streamed(agent, "What is the weather in Paris?", run_config=config)
        async for _ in result.stream_events():
            pass
        return str(result.final_output)

    return asyncio.run(run()), asked


@pytest.mark.parametrize("streamed", [False, True])
def test_the_default_agent_calls_its_function_tool_and_answers_and_each_model_call_is_charged(
        api, fake, container, streamed):
    final, asked = run_agent(api, streamed)
    assert asked == ["Paris"]
    assert final == REPLY
    assert len(fake.requests) == 2  # the call of the tool, then the answer with its result
    assert all(r.body["model"] == "fake-model" and bool(r.body.get("stream")) is streamed for r in fake.requests)
    user_id = container.proxy.keys.lookup(ALICE).user_id
    assert [from_micros(-e.amount) for e in list_entries(user_id) if e.type == "charge"] == [COST, COST]
    assert_ledger_consistent(user_id)
