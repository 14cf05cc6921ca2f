"""Concurrent requests cannot overspend a balance or a quota.

Every admitted request costs exactly its reservation (the fake upstream reports the
worst case), so the money and the quota fit exactly K requests: whatever the order in
which 40 threads reach the reservation, at most K get through.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from chalicelib.kernel.errors import AppError, InsufficientBalance, QuotaExceeded
from chalicelib.ledger import store as ledger

from tests.support.metering import assert_ledger_consistent
from tests.support.proxy_env import ALICE, build_proxy_env, chat_body, meta
from tests.support.proxy_fakes import worst_case_usage

REQUESTS = 40
K = 7
# chat_body(): 18 prompt tokens (bound) + 100 output tokens; $0.000218 at $1/$2 per M.
WORST_COST = Decimal("0.000218")
WORST_TOKENS = 118


def _fire(env) -> tuple[int, list[type[AppError]]]:
    env.upstream.behaviour["p1"] = lambda target, body: worst_case_usage(body)

    def one(_: int) -> type[AppError] | None:
        try:
            env.proxy.chat(ALICE, chat_body(model="solo"), meta())
        except AppError as err:
            return type(err)
        return None

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        outcomes = list(pool.map(one, range(REQUESTS)))
    refused = [o for o in outcomes if o is not None]
    return REQUESTS - len(refused), refused


def _no_hold_left(user_id: str) -> None:
    assert [e for e in ledger.holds_expiring_before("9999")] == []
    assert ledger.get_balance(user_id).held == 0


def test_forty_concurrent_requests_against_a_balance_for_k_admit_at_most_k(container):
    env = build_proxy_env(container, credit=str(WORST_COST * K))
    admitted, refused = _fire(env)
    assert admitted == K
    assert set(refused) == {InsufficientBalance}
    assert container.metering.balance("u1").available == 0
    assert len([e for e in ledger.list_entries("u1") if e.type == "charge"]) == K
    assert_ledger_consistent("u1")
    _no_hold_left("u1")


def test_forty_concurrent_requests_against_a_token_quota_for_k_admit_at_most_k(container):
    env = build_proxy_env(container, credit="10", limit_tokens=WORST_TOKENS * K)
    admitted, refused = _fire(env)
    assert admitted == K
    assert set(refused) == {QuotaExceeded}
    usage = container.metering.quota_usage("q1", "2026-11")
    assert (usage.used_tokens, usage.held_tokens) == (WORST_TOKENS * K, 0)
    assert container.metering.balance("u1").available == Decimal("10") - WORST_COST * K
    assert_ledger_consistent("u1")
    _no_hold_left("u1")
