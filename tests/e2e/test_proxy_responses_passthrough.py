"""/v1/responses passed through to a provider that serves `/responses` itself (`responses_api`).

The real `openai` SDK and the openai-agents SDK over real HTTP (the local stack's front
server) against a fake OpenAI-compatible upstream on 127.0.0.1 that speaks the Responses API:
the caller's body reaches it (model renamed, output capped to what the hold covers, `store:
false`), its events reach the client as it sends them, and the charge is its reported usage
(or what was delivered when a stream broke), never more than the hold.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from decimal import Decimal

import openai
import pytest
from agents import Agent, RunConfig, Runner, function_tool, set_tracing_disabled
from agents.models.openai_provider import OpenAIProvider
from chalicelib.catalog.routing import ModelRoute, ProviderTargetInfo
from chalicelib.kernel.money import from_micros
from chalicelib.ledger.store import list_entries
from chalicelib.metering.types import cost_of
from chalicelib.proxy.responses.request import to_chat
from chalicelib.proxy.service import ProxyService
from chalicelib.proxy.token_estimate import chat_prompt_tokens
from chalicelib.upstreams.client import UpstreamClient

from tests.fakes.responses_upstream import CALL_ID, ResponsesUpstream
from tests.fakes.upstream_servers import Fault
from tests.support.metering import assert_ledger_consistent
from tests.support.proxy_env import ALICE, build_proxy_env

pytestmark = pytest.mark.e2e
REPLY = "Hello from the fake upstream."
COST = Decimal("0.000025")  # 11 input tokens at $1 and 7 output tokens at $2 per 1M
MODEL_CAP = 1000
WEATHER_TOOL = {"type": "function", "name": "get_weather", "description": "The weather in a city.",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}


@pytest.fixture
def fake() -> Iterator[ResponsesUpstream]:
    made = ResponsesUpstream().start()
    yield made
    made.stop()


@pytest.fixture
def backup() -> Iterator[ResponsesUpstream]:
    made = ResponsesUpstream().start()
    yield made
    made.stop()


def serving(pid: str, fake: ResponsesUpstream) -> ProviderTargetInfo:
    return ProviderTargetInfo(provider_id=pid, name=pid, type="openai", base_url=fake.base_url, api_key=fake.api_key,
                              responses_api=True)


@pytest.fixture
def api(container, fake, backup) -> Iterator[str]:
    """`passing` is served by `fake`; `backed` by `fake`, then `backup` when `fake` fails."""
    from app import app
    from proxy_app import app as proxy_app

    from infra.localstack.front import FrontServer

    env = build_proxy_env(container)
    env.catalog.routes.update({
        "passing": ModelRoute("m1", "passing", Decimal(1), Decimal(2), MODEL_CAP, ("chat",),
                              ((serving("up", fake), "up-model"),)),
        "backed": ModelRoute("m2", "backed", Decimal(1), Decimal(2), MODEL_CAP, ("chat",),
                             ((serving("up", fake), "up-model"), (serving("up2", backup), "up2-model"))),
    })
    env.catalog.groups["default"] = ["passing", "backed"]
    client = UpstreamClient(connect_timeout=1.0, read_timeout=2.0, max_retries=0, sleep=lambda s: None,
                            allow_private=True)
    container.proxy = ProxyService(env.keys, env.catalog, client, container.metering, container.clock)
    server = FrontServer(app, proxy_app, 0)
    server.start()
    yield server.url + "/v1"
    server.stop()
    client.close()


def sdk(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(api_key=ALICE, base_url=base_url, max_retries=0, timeout=10)


def charges(container) -> list[Decimal]:
    user_id = container.proxy.keys.lookup(ALICE).user_id
    assert_ledger_consistent(user_id)
    return [from_micros(-e.amount) for e in list_entries(user_id) if e.type == "charge"]


@pytest.mark.parametrize(("asked", "capped"), [(None, MODEL_CAP), (50, 50), (10**6, MODEL_CAP)])
def test_the_body_is_forwarded_to_the_providers_responses_endpoint_output_capped_and_not_stored(
        api, fake, container, asked, capped):
    extra = {} if asked is None else {"max_output_tokens": asked}
    raw = sdk(api).responses.with_raw_response.create(model="passing", input="hi", instructions="Be brief.",
                                                      include=["reasoning.encrypted_content"], **extra)
    response = raw.parse()
    assert response.output_text == REPLY and response.model == "passing" and response.id == "resp_upstream1"
    assert (response.usage.input_tokens, response.usage.output_tokens) == (11, 7)
    assert response.usage.model_extra["cost"] == raw.headers["x-keyledger-cost"] == "0.000025"
    [sent] = fake.calls("/v1/responses")
    assert sent.body["model"] == "up-model" and sent.body["max_output_tokens"] == capped
    assert sent.body["store"] is False and sent.body["instructions"] == "Be brief."
    assert sent.body["include"] == ["reasoning.encrypted_content"] and sent.body["input"] == "hi"
    assert fake.calls("/v1/chat/completions") == []
    assert charges(container) == [COST]


def test_the_providers_events_reach_the_client_in_its_order_with_the_charge_on_the_last(api, fake, container):
    events = list(sdk(api).responses.create(model="passing", input="hi", stream=True))
    assert [e.type for e in events] == [
        "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
        "response.output_text.delta", "response.output_text.delta", "response.output_text.delta",
        "response.output_text.done", "response.content_part.done", "response.output_item.done",
        "response.completed"]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == REPLY
    completed = events[-1].response
    assert completed.model == "passing" and completed.output_text == REPLY
    assert completed.usage.total_tokens == 18 and completed.usage.model_extra["cost"] == "0.000025"
    assert fake.calls("/v1/responses")[0].body["stream"] is True
    assert charges(container) == [COST]


def test_a_provider_that_answers_a_stream_with_json_still_gives_the_sdk_a_complete_stream(api, fake, container):
    fake.set_fault(Fault.IGNORE_STREAM)
    with sdk(api).responses.stream(model="passing", input="hi") as stream:
        kinds = [e.type for e in stream]
        final = stream.get_final_response()
    assert kinds == ["response.created", "response.completed"]
    assert final.output_text == REPLY and final.usage.model_extra["cost"] == "0.000025"
    assert charges(container) == [COST]


def test_a_function_tool_round_trip_passes_through(api, fake):
    client, history = sdk(api), [{"role": "user", "content": "What is the weather in Paris?"}]
    first = client.responses.create(model="passing", input=history, tools=[WEATHER_TOOL])
    [call] = [item for item in first.output if item.type == "function_call"]
    assert call.call_id == CALL_ID and json.loads(call.arguments) == {"city": "Paris"}
    history += [*first.output, {"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}]
    with client.responses.stream(model="passing", input=history, tools=[WEATHER_TOOL]) as stream:
        final = stream.get_final_response()
    assert final.output_text == REPLY
    assert fake.calls("/v1/responses")[-1].body["input"][-1]["type"] == "function_call_output"


def test_a_stream_the_provider_cuts_ends_with_response_failed_and_is_charged_what_was_delivered(
        api, fake, container):
    fake.set_fault(Fault.STREAM_CUT)
    request = {"model": "passing", "input": "hi", "max_output_tokens": 100}
    events = list(sdk(api).responses.create(**request, stream=True))
    assert [e.type for e in events[-2:]] == ["error", "response.failed"]
    assert events[-1].response.status == "failed"
    hold = cost_of(chat_prompt_tokens(to_chat(request)), 100, Decimal(1), Decimal(2))
    [charged] = charges(container)
    assert 0 < charged <= hold and Decimal(events[-1].response.usage.model_extra["cost"]) == charged


@pytest.mark.parametrize("stream", [False, True])
def test_usage_above_the_hold_charges_the_hold(api, fake, container, stream):
    fake.usage = (11, 10**6)
    request = {"model": "passing", "input": "hi", "max_output_tokens": 100}
    if stream:
        response = list(sdk(api).responses.create(**request, stream=True))[-1].response
    else:
        response = sdk(api).responses.create(**request)
    hold = cost_of(chat_prompt_tokens(to_chat(request)), 100, Decimal(1), Decimal(2))
    assert charges(container) == [hold] and Decimal(response.usage.model_extra["cost"]) == hold


@pytest.mark.parametrize("stream", [False, True])
def test_a_failing_provider_falls_back_to_the_next_that_serves_responses(api, fake, backup, container, stream):
    fake.set_fault(Fault.SERVER_ERROR)
    if stream:
        response = list(sdk(api).responses.create(model="backed", input="hi", stream=True))[-1].response
    else:
        response = sdk(api).responses.create(model="backed", input="hi")
    assert response.output_text == REPLY and response.model == "backed"
    assert [r.body["model"] for r in backup.calls("/v1/responses")] == ["up2-model"]
    assert charges(container) == [COST]


def test_stateful_requests_are_still_refused_before_any_upstream_call(api, fake):
    with pytest.raises(openai.BadRequestError) as refused:
        sdk(api).responses.create(model="passing", input="hi", previous_response_id="resp_earlier")
    assert refused.value.param == "previous_response_id" and fake.requests == []


def test_the_default_agent_runs_its_tool_through_the_pass_through(api, fake, container):
    asked: list[str] = []

    @function_tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        asked.append(city)
        return "sunny, 21 C"

    set_tracing_disabled(True)
    client = openai.AsyncOpenAI(api_key=ALICE, base_url=api, max_retries=0, timeout=10)
    agent = Agent(name="weather", instructions="Answer briefly.", tools=[get_weather], model="passing")
    config = RunConfig(model_provider=OpenAIProvider(openai_client=client), tracing_disabled=True)
    result = asyncio.run(Runner.run(agent, "What is the weather in Paris?", run_config=config))
    assert asked == ["Paris"] and result.final_output == REPLY
    assert len(fake.calls("/v1/responses")) == 2 and charges(container) == [COST, COST]
