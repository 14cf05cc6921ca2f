"""A hypothesis state machine over every way money moves: top-ups, redemptions, renewals,
charges (reserve + settle, or release), refunds and adjustments. After every step the
ledger holds its invariant: the sum of the entries == available + held, both >= 0, and
both equal what a plain model of the rules expects."""

from __future__ import annotations

from decimal import Decimal

import pytest
from chalicelib.kernel.context import Caller
from chalicelib.kernel.errors import InsufficientBalance
from chalicelib.kernel.ids import new_id
from chalicelib.kernel.money import to_micros
from chalicelib.ledger import store as ledger
from chalicelib.ledger.codes import InvalidCode
from chalicelib.metering.types import RecordFields, cost_of
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from tests.support.ledger import ensure_tables
from tests.support.metering import ledger_sum, make_key, make_route, usage_of

ADMIN = Caller(user_id="admin", username="admin", role="superadmin", session_id="s", token_id="t")
PLAN_PRICE = 3_000_000
amounts = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("5"), places=6)
tokens = st.integers(min_value=0, max_value=400_000)


def machine_for(container):
    route = make_route(input_price="2", output_price="8", max_output_tokens=500_000)

    class LedgerMachine(RuleBasedStateMachine):
        @initialize()
        def fresh_user(self):
            self.user = "prop-" + new_id()
            self.key = make_key(self.user, quota_id="q-" + self.user)
            self.available = 0
            self.holds = []  # (hold, micros)

        @rule(amount=amounts)
        def top_up(self, amount):
            container.metering.credit(self.user, amount, "topup", "admin")
            self.available += to_micros(amount)

        @rule(amount=amounts, twice=st.booleans())
        def redeem(self, amount, twice):
            code = container.codes.create_batch(ADMIN, count=1, amount=amount, expires_at=None,
                                                note="").codes[0].code
            container.codes.redeem(self.user, code)
            self.available += to_micros(amount)
            if twice:
                with pytest.raises(InvalidCode):
                    container.codes.redeem(self.user, code)

        @rule()
        def renew(self):
            try:
                container.membership.renew(self.user, "Prop")
            except InsufficientBalance:
                assert self.available < PLAN_PRICE
                return
            self.available -= PLAN_PRICE

        @rule(prompt=tokens, max_out=tokens)
        def reserve(self, prompt, max_out):
            worst = to_micros(cost_of(prompt, max_out, route.input_price, route.output_price))
            try:
                hold = container.metering.reserve(self.key, route, prompt, max_out, new_id(), container.clock.now())
            except InsufficientBalance:
                assert self.available < worst
                return
            self.available -= worst
            self.holds.append((hold, worst, prompt, max_out))

        @rule(data=st.data())
        def settle(self, data):
            if not self.holds:
                return
            hold, worst, prompt, max_out = self.holds.pop(data.draw(st.integers(0, len(self.holds) - 1)))
            used_in = data.draw(st.integers(0, prompt))
            used_out = data.draw(st.integers(0, max_out))
            result = container.metering.settle(hold, usage_of(used_in, used_out), RecordFields(provider="p"))
            self.available += worst - to_micros(result.charged)

        @rule()
        def release(self):
            if self.holds:
                hold, worst, _, _ = self.holds.pop()
                assert container.metering.release(hold, RecordFields(status=502))
                self.available += worst

        @rule(amount=amounts)
        def refund(self, amount):
            container.metering.credit(self.user, amount, "refund", "ticket")
            self.available += to_micros(amount)

        @rule(amount=amounts)
        def adjust_down(self, amount):
            try:
                container.metering.debit(self.user, amount, "adjustment", "correction")
            except InsufficientBalance:
                assert self.available < to_micros(amount)
                return
            self.available -= to_micros(amount)

        @invariant()
        def ledger_balances(self):
            bal = ledger.get_balance(self.user)
            held = sum(w for _, w, _, _ in self.holds)
            assert bal.available >= 0 and bal.held >= 0
            assert (bal.available, bal.held) == (self.available, held)
            assert ledger_sum(self.user) == bal.available + bal.held

    return LedgerMachine


def test_money_moves_keep_the_ledger_invariant(container):
    ensure_tables()
    container.membership.create_plan(ADMIN, name="Prop", price=Decimal(PLAN_PRICE) / 1_000_000, period="day",
                                     days=None)
    run_state_machine_as_test(machine_for(container), settings=settings(
        max_examples=12, stateful_step_count=12, deadline=None, derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
