"""DynamoDB faults on reserve and settle (botocore events, tests/support/ddb_faults.py), with the
real metering on moto: a chat succeeds exactly once, or fails cleanly with no charge and no
half-written record; a hold left by a failed settle is released by the expiry job.

In a chat the first TransactWriteItems is the reservation, the second the settle (or release).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

pytest.importorskip("chalicelib.metering.service", reason="the metering branch is not merged yet")

from chalicelib.kernel.errors import ServiceUnavailable  # noqa: E402
from chalicelib.ledger import store as ledger  # noqa: E402
from chalicelib.usage import store as usage  # noqa: E402

from tests.support.ddb_faults import DynamoFaults  # noqa: E402
from tests.support.metering import assert_ledger_consistent  # noqa: E402
from tests.support.proxy_env import ALICE, build_proxy_env, chat_body, meta  # noqa: E402

CREDIT = Decimal("1")
CHARGE = Decimal("0.000050")  # the fake upstream's 10 in + 20 out at $1/M and $2/M
RESERVE, SETTLE = 1, 2


@pytest.fixture
def env(container):
    return build_proxy_env(container, credit=str(CREDIT))


@pytest.fixture
def faults(env):
    f = DynamoFaults().attach()
    yield f
    f.detach()


def charges(user_id: str = "u1") -> list:
    return [e for e in ledger.list_entries(user_id) if e.amount < 0]


def holds(user_id: str = "u1") -> list:
    return [h for h in ledger.holds_expiring_before("9999", limit=100) if h.user_id == user_id]


def assert_untouched(env, m) -> None:
    """Nothing happened: no hold, no charge, no request record, the balance as credited."""
    assert holds() == [] and charges() == []
    assert usage.get_record("u1", m.request_id) is None
    bal = env.container.metering.balance("u1")
    assert (bal.available, bal.held) == (CREDIT, 0)
    assert_ledger_consistent("u1")


def assert_charged_once(env, m) -> None:
    assert holds() == []
    assert [e.amount for e in charges()] == [-int(CHARGE * 1_000_000)]
    assert env.container.metering.balance("u1").available == CREDIT - CHARGE
    assert usage.get_record("u1", m.request_id).status == 200
    assert_ledger_consistent("u1")


@pytest.mark.parametrize("call", [RESERVE, SETTLE], ids=["reserve", "settle"])
def test_a_transaction_conflict_is_retried_and_charged_exactly_once(env, faults, call):
    faults.conflict("TransactWriteItems", calls={call})
    m = meta()
    answer = env.proxy.chat(ALICE, chat_body(), m)
    assert faults.fired == 1
    assert answer.headers["x-keyledger-cost"] == "0.000050"
    assert env.upstream.calls == ["p1"]
    assert_charged_once(env, m)


@pytest.mark.parametrize("inject", ["conflict", "throttle", "server_error"])
def test_a_reservation_that_keeps_failing_is_refused_before_the_upstream_with_nothing_written(env, faults, inject):
    getattr(faults, inject)("TransactWriteItems", calls=None)
    m = meta()
    with pytest.raises(ServiceUnavailable) as err:
        env.proxy.chat(ALICE, chat_body(), m)
    assert err.value.status == 503
    assert env.upstream.calls == []
    faults.detach()
    assert_untouched(env, m)


@pytest.mark.parametrize("inject", ["throttle", "server_error"])
def test_a_failed_settle_charges_nothing_and_the_expiry_job_returns_the_hold(env, faults, inject):
    # the reservation goes through; the settle (and the release tried after it) keep failing
    getattr(faults, inject)("TransactWriteItems", calls=range(SETTLE, SETTLE + 20))
    m = meta()
    with pytest.raises(ServiceUnavailable):
        env.proxy.chat(ALICE, chat_body(), m)
    assert env.upstream.calls == ["p1"]
    faults.detach()
    assert charges() == []
    assert_ledger_consistent("u1")  # the hold is still there, but the books balance
    later = env.container.clock.now() + timedelta(seconds=env.container.settings.hold_ttl_seconds + 1)
    left = len(holds())
    assert left <= 1
    assert env.container.metering.release_expired_holds(later) == left
    bal = env.container.metering.balance("u1")
    assert (bal.available, bal.held) == (CREDIT, 0)
    assert charges() == [] and holds() == []
    assert_ledger_consistent("u1")


def test_a_settle_whose_answer_was_lost_is_charged_once_and_not_again(env, faults):
    faults.lose_answer("TransactWriteItems", calls={SETTLE})
    m = meta()
    try:
        env.proxy.chat(ALICE, chat_body(), m)
    except ServiceUnavailable:
        pass  # the caller may hear of a failure; the books must still be right
    faults.detach()
    assert_charged_once(env, m)
    later = env.container.clock.now() + timedelta(seconds=env.container.settings.hold_ttl_seconds + 1)
    assert env.container.metering.release_expired_holds(later) == 0
    assert_charged_once(env, m)


# --- upstream faults with the real UpstreamClient against the fake OpenAI server ---------------

@pytest.fixture
def upstream_env(container, openai_upstream):
    from chalicelib.catalog.routing import ModelRoute, ProviderTargetInfo
    from chalicelib.proxy.service import ProxyService
    from chalicelib.upstreams.client import UpstreamClient

    env = build_proxy_env(container, credit=str(CREDIT))
    provider = ProviderTargetInfo(provider_id="oa", name="oa", type="openai", base_url=openai_upstream.base_url,
                                  api_key=openai_upstream.api_key)
    env.catalog.routes["one"] = ModelRoute("m-one", "one", Decimal(1), Decimal(2), 1000, ("chat",),
                                           ((provider, "gpt-fake-mini"),))
    env.catalog.groups["default"].append("one")
    client = UpstreamClient(connect_timeout=1.0, read_timeout=0.5, max_retries=1, sleep=lambda s: None,
                            allow_private=True)
    container.proxy = ProxyService(env.keys, env.catalog, client, container.metering, container.clock)
    yield env
    client.close()


@pytest.mark.parametrize(("fault", "stream"), [
    *[(f, False) for f in ("500", "429", "timeout", "reset", "malformed", "401")],
    *[(f, True) for f in ("500", "reset", "malformed")],
])
def test_an_upstream_fault_is_a_clean_openai_error_and_charges_nothing(upstream_env, openai_upstream, fault,
                                                                        stream):
    from chalicelib.kernel.errors import AppError
    from chalicelib.web.http import error_body

    openai_upstream.set_fault(fault)
    m = meta()
    with pytest.raises(AppError) as caught:
        upstream_env.container.proxy.chat(ALICE, chat_body(model="one", stream=stream), m)
    err = caught.value
    assert err.status in (429, 502, 503, 504), (fault, err.status, err.code)
    body = error_body(err, "openai")["error"]
    assert body["message"] and body["type"] and "Traceback" not in body["message"]
    assert openai_upstream.api_key not in body["message"]
    assert holds() == [] and charges() == []
    bal = upstream_env.container.metering.balance("u1")
    assert (bal.available, bal.held) == (CREDIT, 0)
    assert usage.get_record("u1", m.request_id).status == err.status
    assert_ledger_consistent("u1")
