"""The metering service on moto: reserve, settle, release, credit."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from chalicelib.kernel.errors import InsufficientBalance, QuotaExceeded, RateLimited, Unauthorized
from chalicelib.kernel.ids import new_id
from chalicelib.ledger import store as ledger
from chalicelib.metering import quota_store as quota_usage
from chalicelib.metering.quota_store import KeyStateItem, key_pk
from chalicelib.metering.types import RecordFields
from chalicelib.usage import store as usage

from tests.support.metering import assert_ledger_consistent, make_key, make_route, revoke, usage_of
from tests.support.usage_stream import drain_usage_stream

# 100 prompt tokens at $1/M + 1000 output tokens at $2/M = $0.0021 held.
HOLD = Decimal("0.0021")


@pytest.fixture
def metering(container):
    return container.metering


def _reserve(metering, key, route, clock, request_id=None, prompt=100, max_out=None):
    return metering.reserve(key, route, prompt, max_out, request_id or new_id(clock.now()), clock.now(), ip="10.0.0.1")


def test_reserve_moves_the_worst_case_from_available_to_held(metering, clock):
    metering.credit("u1", Decimal("1"), "topup", "t1")
    key, route = make_key(limit_cost="5", limit_tokens=100000), make_route()
    hold = _reserve(metering, key, route, clock)
    assert hold.amount == HOLD
    bal = metering.balance("u1")
    assert (bal.available, bal.held) == (Decimal("1") - HOLD, HOLD)
    period = quota_usage.get_period_usage("q1", "2026-11")
    assert (period.cost, period.tokens, period.held_cost, period.held_tokens) == (2100, 1100, 2100, 1100)
    assert ledger.get_hold("u1", hold.request_id) is not None
    assert_ledger_consistent("u1")


def test_settle_debits_the_actual_cost_and_writes_record_rollups_and_last_used(metering, clock):
    metering.credit("u1", Decimal("1"), "topup", "t1")
    key, route = make_key(limit_cost="5"), make_route()
    hold = _reserve(metering, key, route, clock)
    clock.advance(seconds=2)
    result = metering.settle(hold, usage_of(50, 200), RecordFields(provider="p1", latency_ms=1234))
    # 50 x $1/M + 200 x $2/M = $0.00045
    assert result.charged == result.cost == Decimal("0.00045") and not result.already_settled
    bal = metering.balance("u1")
    assert (bal.available, bal.held) == (Decimal("0.99955"), Decimal(0))
    assert ledger.get_hold("u1", hold.request_id) is None
    charge = [e for e in ledger.list_entries("u1") if e.type == "charge"]
    assert [(c.entry_id, c.amount) for c in charge] == [(hold.request_id, -450)]
    period = quota_usage.get_period_usage("q1", "2026-11")
    assert (period.cost, period.tokens, period.held_cost, period.held_tokens, period.requests) == (450, 250, 0, 0, 1)
    record = usage.get_record("u1", hold.request_id)
    assert (record.model, record.provider, record.input_tokens, record.output_tokens, record.cost,
            record.latency_ms, record.status, record.ip, record.key_id) == \
        ("gpt-test", "p1", 50, 200, 450, 1234, 200, "10.0.0.1", "k-q1")
    assert usage.rollups("u1", "2026-11-21", "2026-11-21") == []  # the stream adds it, not the request
    assert drain_usage_stream() == 1
    rollups = {(r.dim, r.value): r for r in usage.rollups("u1", "2026-11-21", "2026-11-21")}
    assert set(rollups) == {("model", "gpt-test"), ("provider", "p1"), ("key", "k-q1"), ("endpoint", "chat"),
                            ("quota", "q1#gpt-test")}
    assert rollups[("model", "gpt-test")].cost == 450 and rollups[("model", "gpt-test")].requests == 1
    assert KeyStateItem.get(key_pk(key.key_hash), "KEY").last_used_at == "2026-11-21T10:00:02Z"
    assert_ledger_consistent("u1")


def test_a_retried_settle_charges_once(metering, clock):
    metering.credit("u1", Decimal("1"), "topup", "t1")
    hold = _reserve(metering, make_key(), make_route(), clock)
    first = metering.settle(hold, usage_of(50, 200), RecordFields())
    second = metering.settle(hold, usage_of(50, 200), RecordFields())
    assert not first.already_settled and second.already_settled
    assert metering.balance("u1").available == Decimal("0.99955")
    assert len([e for e in ledger.list_entries("u1") if e.type == "charge"]) == 1
    assert_ledger_consistent("u1")


def test_a_balance_below_the_worst_case_is_refused_before_anything_is_written(metering, clock):
    metering.credit("u1", Decimal("0.002"), "topup", "t1")
    with pytest.raises(InsufficientBalance):
        _reserve(metering, make_key(limit_cost="5"), make_route(), clock, request_id="R1")
    assert metering.balance("u1").available == Decimal("0.002")
    assert ledger.get_hold("u1", "R1") is None
    assert quota_usage.get_period_usage("q1", "2026-11").cost == 0


def test_a_user_without_a_balance_item_is_refused_with_402(metering, clock):
    with pytest.raises(InsufficientBalance):
        _reserve(metering, make_key(), make_route(), clock)


def test_cost_and_token_quotas_refuse_with_429(metering, clock):
    metering.credit("u1", Decimal("1"), "topup", "t1")
    key = make_key(limit_cost="0.005")
    _reserve(metering, key, make_route(), clock)
    _reserve(metering, key, make_route(), clock)
    with pytest.raises(QuotaExceeded):  # 3 x 0.0021 > 0.005
        _reserve(metering, key, make_route(), clock)
    tkey = make_key(quota_id="q2", limit_tokens=2500)
    _reserve(metering, tkey, make_route(), clock)
    _reserve(metering, tkey, make_route(), clock)
    with pytest.raises(QuotaExceeded):  # 3 x 1100 tokens > 2500
        _reserve(metering, tkey, make_route(), clock)
    assert_ledger_consistent("u1")


def test_a_request_larger_than_the_whole_quota_is_refused_without_a_write(metering, clock):
    metering.credit("u1", Decimal("1"), "topup", "t1")
    with pytest.raises(QuotaExceeded):
        _reserve(metering, make_key(limit_tokens=1000), make_route(), clock)
    assert metering.balance("u1").held == 0


def test_the_rpm_window_refuses_with_retry_after_until_the_next_minute(metering, clock):
    metering.credit("u1", Decimal("1"), "topup", "t1")
    key = make_key(rpm=2)
    clock.advance(seconds=45)
    _reserve(metering, key, make_route(), clock)
    _reserve(metering, key, make_route(), clock)
    with pytest.raises(RateLimited) as err:
        _reserve(metering, key, make_route(), clock)
    assert err.value.headers["Retry-After"] == "15"
    assert metering.balance("u1").held == 2 * HOLD
    clock.advance(seconds=15)
    _reserve(metering, key, make_route(), clock)


def test_a_revoked_key_is_refused_by_the_reservation_itself(metering, clock):
    metering.credit("u1", Decimal("1"), "topup", "t1")
    key = make_key()
    revoke(key)
    with pytest.raises(Unauthorized) as err:
        _reserve(metering, key, make_route(), clock)
    assert err.value.code == "invalid_api_key"
    assert metering.balance("u1").held == 0


def test_release_charges_nothing_and_records_the_failure(metering, clock):
    metering.credit("u1", Decimal("1"), "topup", "t1")
    hold = _reserve(metering, make_key(limit_cost="1"), make_route(), clock)
    assert metering.release(hold, RecordFields(provider="p1", status=504, error="upstream timeout"))
    assert not metering.release(hold, RecordFields(status=504))
    bal = metering.balance("u1")
    assert (bal.available, bal.held) == (Decimal("1"), Decimal(0))
    period = quota_usage.get_period_usage("q1", "2026-11")
    assert (period.cost, period.tokens, period.held_cost) == (0, 0, 0)
    record = usage.get_record("u1", hold.request_id)
    assert (record.status, record.outcome, record.cost, record.error) == (504, "upstream_error", 0, "upstream timeout")
    assert_ledger_consistent("u1")


def test_expired_holds_are_released_once(metering, clock):
    metering.credit("u1", Decimal("1"), "topup", "t1")
    key = make_key()
    stale = _reserve(metering, key, make_route(), clock)
    clock.advance(seconds=600)
    fresh = _reserve(metering, key, make_route(), clock)
    later = clock.now() + timedelta(seconds=400)  # past the first hold's 900 s, not the second's
    assert metering.release_expired_holds(later) == 1
    assert metering.release_expired_holds(later) == 0
    assert ledger.get_hold("u1", stale.request_id) is None
    assert ledger.get_hold("u1", fresh.request_id) is not None
    assert usage.get_record("u1", stale.request_id).outcome == "expired"
    assert metering.settle(stale, usage_of(1, 1), RecordFields()).already_settled
    assert metering.balance("u1").held == HOLD
    assert_ledger_consistent("u1")


def test_a_cost_above_the_hold_charges_the_hold_and_records_the_excess_as_provider_overage(metering, clock):
    metering.credit("u1", Decimal("1"), "topup", "t1")
    hold = _reserve(metering, make_key(limit_cost="0.0021"), make_route(), clock)  # holds 0.0021
    result = metering.settle(hold, usage_of(5000, 0), RecordFields())  # the upstream says it cost 0.005
    assert (result.cost, result.charged, result.overage) == (Decimal("0.005"), Decimal("0.0021"), Decimal("0.0029"))
    assert usage.get_record("u1", hold.request_id).overage == 2900
    assert metering.balance("u1").available == Decimal("1") - Decimal("0.0021")
    assert metering.quota_usage(hold.quota_id, hold.period_key).used_cost <= Decimal("0.0021")
    assert_ledger_consistent("u1")


@pytest.mark.parametrize(("reported_in", "reported_out"), [(-5, -1), (10**30, 10**30), (True, "7")])
def test_absurd_token_counts_from_an_upstream_settle_within_the_hold(metering, clock, reported_in, reported_out):
    metering.credit("u1", Decimal("1"), "topup", "t1")
    hold = _reserve(metering, make_key(), make_route(), clock)
    result = metering.settle(hold, usage_of(reported_in, reported_out), RecordFields())
    assert Decimal(0) <= result.charged <= hold.amount
    assert ledger.get_hold("u1", hold.request_id) is None
    assert_ledger_consistent("u1")


def test_credit_and_debit_write_one_entry_each_and_debit_cannot_overdraw(metering):
    metering.credit("u1", Decimal("2.5"), "topup", "admin", {"note": "hello"})
    metering.debit("u1", Decimal("1"), "renewal", "plan-basic",
                   membership={"plan": "basic", "expires_at": "2026-12-21T10:00:00Z", "auto_renew": True})
    with pytest.raises(InsufficientBalance):
        metering.debit("u1", Decimal("1.500001"), "renewal", "plan-basic")
    bal = metering.balance("u1")
    assert (bal.available, bal.plan, bal.expires_at, bal.auto_renew) == \
        (Decimal("1.5"), "basic", "2026-12-21T10:00:00Z", True)
    assert [(e.type, e.amount) for e in ledger.list_entries("u1", newest_first=False)] == \
        [("topup", 2_500_000), ("renewal", -1_000_000)]
    assert_ledger_consistent("u1")


def test_sign_up_credit_is_granted_on_activation_when_configured(container, settings):
    from dataclasses import replace

    container.settings = replace(settings, signup_credit=Decimal("1.00"))
    container.on_user_activated("u9", None)
    assert container.metering.balance("u9").available == Decimal("1")
    assert [e.type for e in ledger.list_entries("u9")] == ["signup_credit"]
    assert [(log.user_id, log.action) for log in container.audit_store.logs_of_type("billing")] == \
        [("u9", "ledger.signup_credit")]


def test_no_sign_up_credit_by_default(container):
    container.on_user_activated("u8", None)
    assert ledger.list_entries("u8") == []


def test_the_scheduled_job_releases_expired_holds(client, container, clock):
    container.metering.credit("u1", Decimal("1"), "topup", "t1")
    hold = _reserve(container.metering, make_key(), make_route(), clock)
    clock.advance(seconds=container.settings.hold_ttl_seconds + 1)
    event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                            resources=[])
    result = client.lambda_.invoke("release-expired-holds", event)
    assert result.payload == {"released": 1}
    assert ledger.get_hold("u1", hold.request_id) is None
    assert container.metering.balance("u1").held == 0
