"""The real `openai` SDK's Responses API over real HTTP against the proxy (the local stack's front server).

As in test_proxy_openai_sdk.py: moto in this process, hand-made keys and catalog, and fake
upstreams on 127.0.0.1 speaking the real OpenAI chat and Anthropic Messages wire formats
(calling a function tool when offered one). Each case runs against both upstream types:
`real` is served by the OpenAI-compatible fake, `claude` by the Anthropic one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import openai
import pydantic
import pytest
from chalicelib.catalog.routing import ModelRoute, ProviderTargetInfo
from chalicelib.kernel.money import from_micros
from chalicelib.ledger.store import list_entries
from chalicelib.metering.types import cost_of
from chalicelib.proxy.responses.request import to_chat
from chalicelib.proxy.service import ProxyService
from chalicelib.proxy.token_estimate import chat_prompt_tokens
from chalicelib.upstreams.client import UpstreamClient

from tests.fakes.tool_calls import CALL_ID, ToolCallingUpstream
from tests.fakes.upstream_servers import Fault
from tests.support.metering import assert_ledger_consistent
from tests.support.proxy_env import ALICE, build_proxy_env

pytestmark = pytest.mark.e2e
REPLY = "Hello from the fake upstream."
WEATHER_TOOL = {"type": "function", "name": "get_weather", "description": "The weather in a city.",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
TEXT_EVENTS = ["response.created", "response.in_progress", "response.output_item.added",
               "response.content_part.added", "response.output_text.delta", "response.output_text.delta",
               "response.output_text.delta", "response.output_text.done", "response.content_part.done",
               "response.output_item.done", "response.completed"]


@pytest.fixture
def fakes() -> Iterator[dict[str, ToolCallingUpstream]]:
    made = {kind: ToolCallingUpstream(kind, "get_weather", {"city": "Paris"}).start()  # type: ignore[arg-type]
            for kind in ("openai", "anthropic")}
    yield made
    for fake in made.values():
        fake.stop()


@pytest.fixture
def api(container, fakes) -> Iterator[str]:
    from app import app
    from proxy_app import app as proxy_app

    from infra.localstack.front import FrontServer

    env = build_proxy_env(container)
    oa, an = (ProviderTargetInfo(provider_id=pid, name=pid, type=fake.kind, base_url=fake.base_url,
                                 api_key=fake.api_key) for pid, fake in (("oa", fakes["openai"]),
                                                                         ("an", fakes["anthropic"])))
    env.catalog.routes.update({
        "real": ModelRoute("m1", "real", Decimal(1), Decimal(2), 1000, ("chat",), ((oa, "gpt-fake-mini"),)),
        "claude": ModelRoute("m2", "claude", Decimal(1), Decimal(2), 1000, ("chat",), ((an, "claude-fake-sonnet"),)),
    })
    env.catalog.groups["default"] = ["real", "claude"]
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


def upstream_of(fakes: dict[str, ToolCallingUpstream], model: str) -> ToolCallingUpstream:
    return fakes["openai" if model == "real" else "anthropic"]


def last_body(fake: ToolCallingUpstream) -> dict:
    return fake.requests[-1].body


@pytest.mark.parametrize("model", ["real", "claude"])
def test_responses_create_answers_a_response_with_the_upstreams_usage_and_the_cost_header(api, fakes, model):
    raw = sdk(api).responses.with_raw_response.create(model=model, input="hi", instructions="Be brief.",
                                                      max_output_tokens=50, temperature=0.5)
    response = raw.parse()
    assert response.object == "response" and response.status == "completed" and response.model == model
    assert response.output_text == REPLY
    assert response.output[0].type == "message" and response.output[0].content[0].type == "output_text"
    usage = response.usage
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (11, 7, 18)
    assert raw.headers["x-keyledger-cost"] == "0.000025"
    assert response.id == "resp_" + raw.headers["x-request-id"]
    sent = last_body(upstream_of(fakes, model))
    assert sent["max_tokens"] == 50 and sent["temperature"] == 0.5
    system = sent["system"] if model == "claude" else sent["messages"][0]["content"]
    assert system == "Be brief."


@pytest.mark.parametrize("model", ["real", "claude"])
def test_a_streamed_response_sends_the_documented_events_in_sequence_with_usage_last(api, model):
    events = list(sdk(api).responses.create(model=model, input=[{"role": "user", "content": "hi"}], stream=True))
    assert [e.type for e in events] == TEXT_EVENTS
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == REPLY
    completed = events[-1].response
    assert completed.status == "completed" and completed.output_text == REPLY
    assert (completed.usage.input_tokens, completed.usage.output_tokens) == (11, 7)
    assert len({e.response.id for e in events if hasattr(e, "response")}) == 1


@pytest.mark.parametrize("model", ["real", "claude"])
def test_the_sdks_stream_helper_accumulates_the_final_response(api, model):
    with sdk(api).responses.stream(model=model, input="hi") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == final.output_text == REPLY
    assert final.usage.total_tokens == 18


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("model", ["real", "claude"])
def test_a_function_tool_round_trip_ends_with_the_final_text(api, fakes, model, stream):
    client = sdk(api)
    history: list = [{"role": "user", "content": "What is the weather in Paris?"}]

    def create(**kw):
        if not stream:
            return client.responses.create(model=model, input=history, tools=[WEATHER_TOOL], **kw)
        with client.responses.stream(model=model, input=history, tools=[WEATHER_TOOL], **kw) as events:
            return events.get_final_response()

    first = create()
    calls = [item for item in first.output if item.type == "function_call"]
    assert len(calls) == 1 and calls[0].name == "get_weather" and calls[0].call_id == CALL_ID[upstream_of(
        fakes, model).kind]
    assert json.loads(calls[0].arguments) == {"city": "Paris"}
    history += first.output
    history.append({"type": "function_call_output", "call_id": calls[0].call_id, "output": "sunny, 21 C"})
    final = create()
    assert final.output_text == REPLY and final.status == "completed"
    sent = last_body(upstream_of(fakes, model))["messages"]
    if model == "real":
        assert sent[-2]["tool_calls"][0]["id"] == "call_fake1"
        assert sent[-1] == {"role": "tool", "tool_call_id": "call_fake1", "content": "sunny, 21 C"}
    else:
        assert sent[-2]["content"][0]["type"] == "tool_use"
        assert sent[-1]["content"][0] == {"type": "tool_result", "tool_use_id": "toolu_fake1",
                                          "content": "sunny, 21 C"}


class Weather(pydantic.BaseModel):
    city: str
    temp_c: int


@pytest.mark.parametrize("model", ["real", "claude"])
def test_a_json_schema_text_format_is_forwarded_and_its_answer_parses(api, fakes, model):
    fake = upstream_of(fakes, model)
    fake.reply = '{"city": "Paris", "temp_c": 21}'
    parsed = sdk(api).responses.parse(model=model, input="Weather in Paris as JSON", text_format=Weather)
    assert parsed.output_parsed == Weather(city="Paris", temp_c=21)
    if model == "real":
        response_format = last_body(fake)["response_format"]
        assert response_format["type"] == "json_schema" and response_format["json_schema"]["name"] == "Weather"
        assert response_format["json_schema"]["schema"]["required"] == ["city", "temp_c"]


@pytest.mark.parametrize("stateful", [{"previous_response_id": "resp_earlier"}, {"store": True}])
def test_stateful_requests_are_refused_with_a_clear_400_before_any_upstream_call(api, fakes, stateful):
    with pytest.raises(openai.BadRequestError) as refused:
        sdk(api).responses.create(model="real", input="hi", **stateful)
    assert refused.value.code == "unsupported_parameter" and "stores no responses" in refused.value.message
    assert refused.value.param == next(iter(stateful))
    assert fakes["openai"].requests == []


def test_a_refusal_before_streaming_is_an_http_error_in_the_openai_envelope(api):
    with pytest.raises(openai.NotFoundError) as missing:
        sdk(api).responses.create(model="no-such-model", input="hi", stream=True)
    assert missing.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError) as hosted:
        sdk(api).responses.create(model="real", input="hi", tools=[{"type": "web_search"}])
    assert hosted.value.code == "unsupported_tool"


@pytest.mark.parametrize("model", ["real", "claude"])
def test_a_stream_cut_by_either_upstream_ends_with_response_failed_and_is_charged_what_was_delivered(
        api, fakes, container, model):
    upstream_of(fakes, model).set_fault(Fault.STREAM_CUT)
    events = list(sdk(api).responses.create(model=model, input="hi", max_output_tokens=100, stream=True))
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == "Hello from "
    assert [e.type for e in events[-2:]] == ["error", "response.failed"]
    assert events[-1].response.status == "failed" and events[-1].response.usage.output_tokens > 0
    user_id = container.proxy.keys.lookup(ALICE).user_id
    charged = [from_micros(-e.amount) for e in list_entries(user_id) if e.type == "charge"]
    hold = cost_of(chat_prompt_tokens(to_chat({"model": model, "input": "hi", "max_output_tokens": 100})), 100,
                   Decimal(1), Decimal(2))
    assert len(charged) == 1 and 0 < charged[0] <= hold
    assert Decimal(events[-1].response.usage.model_extra["cost"]) == charged[0]
    assert_ledger_consistent(user_id)


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("model", ["real", "claude"])
def test_usage_above_the_hold_from_either_upstream_charges_the_hold(api, fakes, container, model, stream):
    upstream_of(fakes, model).usage = (11, 10**6)  # a million output tokens against a 100-token cap
    request = {"model": model, "input": "hi", "max_output_tokens": 100}
    if stream:
        response = list(sdk(api).responses.create(**request, stream=True))[-1].response
    else:
        response = sdk(api).responses.create(**request)
    hold = cost_of(chat_prompt_tokens(to_chat(request)), 100, Decimal(1), Decimal(2))
    user_id = container.proxy.keys.lookup(ALICE).user_id
    assert [from_micros(-e.amount) for e in list_entries(user_id) if e.type == "charge"] == [hold]
    assert Decimal(response.usage.model_extra["cost"]) == hold
    assert_ledger_consistent(user_id)
