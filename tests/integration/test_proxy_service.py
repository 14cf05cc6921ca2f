"""The proxy service with the real metering on moto and hand-made keys, catalog, upstream."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from chalicelib.kernel.errors import BadRequest, Forbidden, NotFound, Unauthorized
from chalicelib.ledger import store as ledger
from chalicelib.proxy.charging import Delivered
from chalicelib.proxy.types import StreamOutcome
from chalicelib.upstreams.types import Usage
from chalicelib.usage import store as usage

from tests.support.metering import assert_ledger_consistent
from tests.support.proxy_env import ALICE, build_proxy_env, chat_body, meta
from tests.support.proxy_fakes import ProviderDown, ProviderSlow, chunk

# chat_body(): prompt bound 18 tokens x $1/M + 100 x $2/M = $0.000218 held
HOLD = Decimal("0.000218")


@pytest.fixture
def env(container):
    return build_proxy_env(container)


def test_a_chat_is_answered_and_charged_from_the_upstream_usage(env):
    m = meta()
    answer = env.proxy.chat(ALICE, chat_body(), m)
    assert answer.body["choices"][0]["message"]["content"] == "hello from p1"
    assert answer.headers["x-keyledger-cost"] == "0.000050"  # 10 x $1/M + 20 x $2/M
    assert env.container.metering.balance("u1").available == Decimal("0.99995")
    record = usage.get_record("u1", m.request_id)
    assert (record.provider, record.input_tokens, record.output_tokens, record.status) == ("p1", 10, 20, 200)
    assert_ledger_consistent("u1")


def test_rate_limited_keys_report_the_remaining_requests(container):
    env = build_proxy_env(container, rpm=5)
    env.proxy.chat(ALICE, chat_body(), meta())
    answer = env.proxy.chat(ALICE, chat_body(), meta())
    assert answer.headers["x-ratelimit-remaining-requests"] == "3"


def test_unknown_keys_models_and_models_outside_the_group_are_refused(env):
    with pytest.raises(Unauthorized):
        env.proxy.chat("sk-kl-nobody", chat_body(), meta())
    with pytest.raises(NotFound):
        env.proxy.chat(ALICE, chat_body(model="nope"), meta())
    with pytest.raises(Forbidden) as err:
        env.proxy.chat(ALICE, chat_body(model="secret-model"), meta())
    assert err.value.code == "model_not_allowed"
    assert env.upstream.calls == []


def test_a_failing_provider_falls_back_to_the_next_and_is_reported(env):
    env.upstream.behaviour["p1"] = ProviderDown("p1 is down")
    answer = env.proxy.chat(ALICE, chat_body(), meta())
    assert answer.body["choices"][0]["message"]["content"] == "hello from p2"
    assert env.upstream.calls == ["p1", "p2"]
    assert env.catalog.results == [("p1", False), ("p2", True)]


@pytest.mark.parametrize("failure", [ProviderDown("down"), ProviderSlow("slow")], ids=["error", "timeout"])
def test_an_upstream_failure_charges_nothing_and_releases_the_hold(env, failure):
    env.upstream.behaviour["p1"] = failure
    m = meta()
    with pytest.raises(type(failure)):
        env.proxy.chat(ALICE, chat_body(model="solo"), m)
    bal = env.container.metering.balance("u1")
    assert (bal.available, bal.held) == (Decimal("1"), Decimal(0))
    assert ledger.get_hold("u1", m.request_id) is None
    record = usage.get_record("u1", m.request_id)
    assert (record.status, record.cost, record.outcome) == (failure.status, 0, "upstream_error")
    assert_ledger_consistent("u1")


def test_a_request_the_provider_rejects_is_not_tried_elsewhere(env):
    rejected = BadRequest("bad request")
    env.upstream.behaviour["p1"] = rejected
    with pytest.raises(BadRequest):
        env.proxy.chat(ALICE, chat_body(), meta())
    assert env.upstream.calls == ["p1"]
    assert env.container.metering.balance("u1").held == 0


def _streamed(env, usage_figures, text: str, error: str | None = None):
    """Admit a stream as the relay does, then settle it as the relay would after `text` reached the client."""
    m = meta()
    admitted = env.proxy.admit_chat(ALICE, chat_body(stream=True), m)
    delivered = Delivered()
    for piece in text.split("|") if text else []:
        delivered.add_chunk(chunk(piece))
    reported = Usage(*usage_figures) if usage_figures else None
    figures, settled = env.proxy.settle_stream(admitted, StreamOutcome("p1", reported, delivered, 5, error))
    return m, figures, settled


def test_a_stream_is_charged_the_usage_the_upstream_reported(env):
    m, figures, settled = _streamed(env, (10, 2), "Hel|lo")
    assert (figures, settled.charged) == (Usage(10, 2), Decimal("0.000014"))
    record = usage.get_record("u1", m.request_id)
    assert record.stream and not record.stream_broken and record.error is None


def test_a_stream_cut_after_usage_is_charged_what_was_reported_and_flagged(env):
    m, _, _ = _streamed(env, (10, 1), "Hel", error="connection reset")
    record = usage.get_record("u1", m.request_id)
    assert (record.stream_broken, record.cost, record.outcome) == (True, 12, "stream_broken")
    assert_ledger_consistent("u1")


def test_a_stream_cut_without_usage_is_charged_for_what_was_delivered(env):
    m, figures, settled = _streamed(env, None, "Hel", error="connection reset")
    assert figures == Usage(18, 1)  # the prompt's bound, and one delivered piece
    assert Decimal(0) < settled.charged <= HOLD
    record = usage.get_record("u1", m.request_id)
    assert (record.stream_broken, record.cost, record.outcome, record.error) == \
        (True, 20, "stream_broken", "connection reset")
    assert_ledger_consistent("u1")


def test_a_stream_that_broke_before_delivering_anything_is_free(env):
    m, _, settled = _streamed(env, None, "", error="connection reset")
    assert settled.charged == 0
    bal = env.container.metering.balance("u1")
    assert (bal.available, bal.held) == (Decimal("1"), Decimal(0))
    assert usage.get_record("u1", m.request_id).outcome == "stream_broken"


def test_a_finished_stream_without_reported_usage_is_charged_an_estimate_and_says_so(env):
    m, figures, settled = _streamed(env, None, "Hi|!")
    assert figures == Usage(18, 2) and settled.charged == Decimal("0.000022")
    assert usage.get_record("u1", m.request_id).error.startswith("The upstream reported no usage")


def test_a_plain_answer_without_usage_is_delivered_and_charged_an_estimate(env):
    env.upstream.behaviour["p1"] = lambda t, b: None  # the fake answers without usage
    answer = env.proxy.chat(ALICE, chat_body(), meta())
    assert answer.body["choices"][0]["message"]["content"] == "hello from p1"
    assert Decimal(0) < Decimal(answer.headers["x-keyledger-cost"]) <= HOLD


def test_the_forwarded_body_carries_the_output_cap_the_hold_was_sized_for(env):
    held = []

    def answer(target, body):
        held.append(env.container.metering.balance("u1").held)
        return SimpleNamespace(input_tokens=10, output_tokens=20)

    env.upstream.behaviour["p1"] = answer
    env.proxy.chat(ALICE, chat_body(max_tokens=10**6, n=2), meta())
    assert env.upstream.bodies[-1]["max_tokens"] == 1000  # the model's cap, per choice
    assert held == [Decimal("0.004018")]  # 18 prompt x $1/M + 2 choices x 1000 x $2/M


def test_embeddings_are_charged_at_the_input_price(env):
    env.upstream.behaviour["p1"] = lambda t, b: type("U", (), {"input_tokens": 1000, "output_tokens": 0})()
    answer = env.proxy.embeddings(ALICE, {"model": "emb-test", "input": "hello world " * 100}, meta())
    assert answer.body["data"][0]["embedding"] == [0.1, 0.2]
    assert answer.headers["x-keyledger-cost"] == "0.000100"


def test_embeddings_reported_above_their_input_bound_are_charged_the_hold(env):
    env.upstream.behaviour["p1"] = lambda t, b: type("U", (), {"input_tokens": 10**6, "output_tokens": 0})()
    answer = env.proxy.embeddings(ALICE, {"model": "emb-test", "input": "hello world"}, meta())
    assert answer.headers["x-keyledger-cost"] == "0.000002"  # 12 tokens at most x $0.1/M, rounded up


def test_models_lists_only_the_keys_group(env):
    listed = env.proxy.models(ALICE, meta())
    assert [m["id"] for m in listed["data"]] == ["gpt-test", "solo", "emb-test"]
    assert listed["object"] == "list" and all(m["object"] == "model" for m in listed["data"])


def test_usage_reports_the_keys_period_use_and_limits(container):
    env = build_proxy_env(container, limit_cost="0.5", limit_tokens=10000, rpm=7)
    env.proxy.chat(ALICE, chat_body(), meta())
    out = env.proxy.usage(ALICE, meta())
    assert (out["period"], out["period_key"], out["used_cost"], out["limit_cost"], out["used_tokens"],
            out["limit_tokens"], out["rpm"]) == ("month", "2026-11", Decimal("0.00005"), Decimal("0.5"), 30, 10000, 7)
    assert out["remaining"] == {"cost": Decimal("0.49995"), "tokens": 9970}


def test_a_deployment_that_requires_membership_refuses_members_without_one(container):
    from chalicelib.ledger.membership import MembershipRequired, MembershipService
    from chalicelib.ledger.membership_store import MembershipStore
    from chalicelib.proxy.service import ProxyService

    env = build_proxy_env(container)
    required = MembershipService(MembershipStore(), container.codes_store, container.ledger_store, container.clock,
                                 container.audit, True, 30)
    proxy = ProxyService(env.keys, env.catalog, env.upstream, container.metering, container.clock,
                         membership=required)
    with pytest.raises(MembershipRequired):
        proxy.chat(ALICE, chat_body(), meta())
    assert env.upstream.calls == [] and container.metering.balance("u1").held == 0
    container.metering.debit("u1", Decimal("0.1"), "renewal", "plan",
                             membership={"plan": "p", "expires_at": "2026-12-21T10:00:00Z", "auto_renew": False})
    assert proxy.chat(ALICE, chat_body(), meta()).headers["x-keyledger-cost"] == "0.000050"
