"""The proxy with the real UpstreamClient against fake OpenAI/Anthropic servers on 127.0.0.1.

The fakes report usage 11 in / 7 out whatever the text, so a charge of
11 x $1/M + 7 x $2/M = $0.000025 proves the cost came from the upstream's figures.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from chalicelib.catalog.routing import ModelRoute, ProviderTargetInfo
from chalicelib.kernel.errors import UpstreamError, UpstreamTimeout
from chalicelib.ledger import store as ledger
from chalicelib.proxy.service import ProxyService
from chalicelib.upstreams.client import UpstreamClient
from chalicelib.usage import store as usage

from tests.fakes.upstream_servers import Fault
from tests.support.metering import assert_ledger_consistent
from tests.support.proxy_env import ALICE, build_proxy_env, chat_body, meta
from tests.support.proxy_http import post_json

COST = "0.000025"


def _provider(fake, pid: str) -> ProviderTargetInfo:
    return ProviderTargetInfo(provider_id=pid, name=pid, type=fake.kind, base_url=fake.base_url,
                              api_key=fake.api_key)


@pytest.fixture
def env(container, openai_upstream, anthropic_upstream):
    env = build_proxy_env(container)
    route = ModelRoute("m-real", "real", Decimal(1), Decimal(2), 1000, ("chat",),
                       ((_provider(openai_upstream, "oa"), "gpt-fake-mini"),
                        (_provider(anthropic_upstream, "an"), "claude-fake-sonnet")))
    claude = ModelRoute("m-claude", "claude", Decimal(1), Decimal(2), 1000, ("chat",),
                        ((_provider(anthropic_upstream, "an"), "claude-fake-sonnet"),))
    env.catalog.routes.update({"real": route, "claude": claude})
    env.catalog.groups["default"] += ["real", "claude"]
    client = UpstreamClient(connect_timeout=1.0, read_timeout=0.5, max_retries=0, sleep=lambda s: None,
                            allow_private=True)
    container.upstream_client = client
    container.proxy = ProxyService(env.keys, env.catalog, client, container.metering, container.clock)
    yield env
    client.close()


@pytest.mark.parametrize("model", ["real", "claude"])
def test_a_chat_is_charged_from_the_providers_usage(env, model):
    answer = env.container.proxy.chat(ALICE, chat_body(model=model), meta())
    assert answer.body["model"] == model
    assert answer.body["usage"]["total_tokens"] == 18
    assert answer.headers["x-keyledger-cost"] == COST
    assert_ledger_consistent("u1")


def _stream(v1, **body) -> tuple[str, list[str]]:
    """A streamed chat through the proxy app: (request id, its events' data)."""
    resp = post_json(v1, "/v1/chat/completions", chat_body(stream=True, **body), ALICE)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/event-stream")
    return resp.headers["x-request-id"], [b.removeprefix("data: ") for b in resp.text.strip("\n").split("\n\n")]


@pytest.mark.parametrize("model", ["real", "claude"])
def test_a_streamed_chat_ends_with_the_providers_usage_then_done(env, v1, model):
    rid, events = _stream(v1, model=model, stream_options={"include_usage": True})
    assert events[-1] == "[DONE]"
    last = json.loads(events[-2])
    assert last["choices"] == [] and last["usage"]["total_tokens"] == 18 and last["usage"]["cost"] == COST
    assert all(json.loads(e)["choices"] for e in events[:-2])
    text = "".join(c["delta"].get("content") or "" for e in events[:-2] for c in json.loads(e)["choices"])
    assert text == "Hello from the fake upstream."
    assert usage.get_record("u1", rid).cost == 25


def test_a_stream_cut_before_usage_is_charged_for_what_was_delivered(env, v1, openai_upstream):
    openai_upstream.set_fault(Fault.STREAM_CUT)
    rid, events = _stream(v1, model="real")
    assert json.loads(events[-1])["error"]["code"] == "stream_broken"
    record = usage.get_record("u1", rid)
    assert record.stream_broken and record.cost > 0
    assert env.container.metering.balance("u1").held == 0
    assert_ledger_consistent("u1")


def test_a_stream_cut_after_usage_charges_the_reported_usage(env, v1, openai_upstream):
    openai_upstream.set_fault(Fault.STREAM_CUT_AFTER_USAGE)
    rid, _ = _stream(v1, model="real")
    record = usage.get_record("u1", rid)
    assert (record.stream_broken, record.cost, record.input_tokens) == (True, 25, 11)
    assert_ledger_consistent("u1")


def test_a_failing_primary_falls_back_to_the_other_provider(env, openai_upstream):
    openai_upstream.set_fault(Fault.SERVER_ERROR)
    m = meta()
    answer = env.container.proxy.chat(ALICE, chat_body(model="real"), m)
    assert answer.headers["x-keyledger-cost"] == COST
    assert usage.get_record("u1", m.request_id).provider == "an"
    assert env.catalog.results == [("oa", False), ("an", True)]


@pytest.mark.parametrize(("fault", "error"), [(Fault.SERVER_ERROR, UpstreamError), (Fault.TIMEOUT, UpstreamTimeout)])
def test_when_every_provider_fails_nothing_is_charged(env, openai_upstream, anthropic_upstream, fault, error):
    openai_upstream.set_fault(fault)
    anthropic_upstream.set_fault(fault)
    m = meta()
    with pytest.raises(error):
        env.container.proxy.chat(ALICE, chat_body(model="real"), m)
    bal = env.container.metering.balance("u1")
    assert (bal.available, bal.held) == (Decimal(1), Decimal(0))
    assert ledger.get_hold("u1", m.request_id) is None
    assert usage.get_record("u1", m.request_id).status == error.status
    assert_ledger_consistent("u1")
