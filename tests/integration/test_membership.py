"""Membership rules on moto: period arithmetic, renewal races, the MEMBERSHIP_REQUIRED check."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from chalicelib.kernel.context import Caller
from chalicelib.kernel.errors import AppError
from chalicelib.ledger import store as ledger
from chalicelib.ledger.membership import MembershipRequired, MembershipService, add_period
from chalicelib.ledger.membership_store import MembershipStore

from tests.support.ledger import ensure_tables
from tests.support.metering import assert_ledger_consistent

ADMIN = Caller(user_id="admin", username="admin", role="superadmin", session_id="s", token_id="t")


@pytest.fixture
def plans(container):
    ensure_tables()
    container.membership.create_plan(ADMIN, name="Month", price=Decimal("4"), period="month", days=None)
    return container.membership


@pytest.mark.parametrize(("start", "period", "days", "end"), [
    (datetime(2026, 1, 31, 12, tzinfo=UTC), "month", None, datetime(2026, 2, 28, 12, tzinfo=UTC)),
    (datetime(2026, 12, 15, tzinfo=UTC), "month", None, datetime(2027, 1, 15, tzinfo=UTC)),
    (datetime(2028, 2, 29, tzinfo=UTC), "year", None, datetime(2029, 2, 28, tzinfo=UTC)),
    (datetime(2026, 11, 21, tzinfo=UTC), "week", None, datetime(2026, 11, 28, tzinfo=UTC)),
    (datetime(2026, 11, 21, tzinfo=UTC), "days", 45, datetime(2027, 1, 5, tzinfo=UTC)),
])
def test_a_plan_period_is_added_on_the_calendar(start, period, days, end):
    assert add_period(start, period, days) == end


def test_racing_renewals_each_pay_for_and_get_one_period(plans, container):
    container.metering.credit("u1", Decimal("40"), "topup", "t")
    outcomes: list[str] = []

    def renew() -> None:
        try:
            plans.renew("u1", "Month")
            outcomes.append("ok")
        except AppError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=renew) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    paid = len([e for e in ledger.list_entries("u1") if e.type == "renewal"])
    assert paid == outcomes.count("ok") >= 1
    expires = datetime(2026, 11, 21, 10, tzinfo=UTC)
    for _ in range(paid):
        expires = add_period(expires, "month", None)
    assert ledger.get_balance("u1").expires_at == expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert_ledger_consistent("u1")


def test_membership_required_refuses_users_without_an_active_membership(plans, container, clock):
    strict = MembershipService(MembershipStore(), container.codes_store, container.ledger_store, clock, container.audit,
                               membership_required=True, cache_seconds=30)
    with pytest.raises(MembershipRequired) as err:
        strict.require_membership("u1", clock.now())
    assert (err.value.status, err.value.code) == (403, "membership_required")
    container.metering.credit("u1", Decimal("4"), "topup", "t")
    plans.renew("u1", "Month")
    strict.require_membership("u1", clock.now())
    later = clock.now() + timedelta(days=31)
    with pytest.raises(MembershipRequired):
        strict.require_membership("u1", later)
    plans.require_membership("u2", clock.now())  # the default (off) lets everyone through
