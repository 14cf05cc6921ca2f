"""Racing redemptions of one code: exactly one wins, the others get `invalid_code`."""

from __future__ import annotations

import threading
from decimal import Decimal

from chalicelib.kernel.context import Caller
from chalicelib.kernel.errors import AppError
from chalicelib.ledger import store as ledger
from chalicelib.ledger.codes import CodeService

from tests.support.ledger import ensure_tables
from tests.support.metering import assert_ledger_consistent

ADMIN = Caller(user_id="admin", username="admin", role="superadmin", session_id="s", token_id="t")
RACERS = 8


def test_racing_redemptions_of_one_code_credit_exactly_once(container):
    ensure_tables()
    code = container.codes.create_batch(ADMIN, count=1, amount=Decimal("7"), expires_at=None,
                                        note="").codes[0].code
    start = threading.Barrier(RACERS)
    outcomes: dict[str, str] = {}

    def redeem(user_id: str) -> None:
        start.wait(timeout=10)
        try:
            container.codes.redeem(user_id, code)
            outcomes[user_id] = "ok"
        except AppError as exc:
            outcomes[user_id] = exc.code

    threads = [threading.Thread(target=redeem, args=(f"racer-{n}",)) for n in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes.values()) == ["invalid_code"] * (RACERS - 1) + ["ok"]
    winner = next(u for u, o in outcomes.items() if o == "ok")
    for n in range(RACERS):
        user = f"racer-{n}"
        assert ledger.get_balance(user).available == (7_000_000 if user == winner else 0)
        assert_ledger_consistent(user)


def test_racing_redemptions_that_all_pass_the_first_read_still_credit_once(container):
    """The read before the transaction is only a fast path: here every racer has read the
    code as unused before any of them writes, and the transaction's condition decides."""
    from chalicelib.ledger.codes_store import CodeRow, CodesStore

    ensure_tables()
    code = container.codes.create_batch(ADMIN, count=1, amount=Decimal("3"), expires_at=None,
                                        note="").codes[0].code
    gate = threading.Barrier(RACERS)

    class ReadThenWait(CodesStore):
        def get_code(self, code_hash: str) -> CodeRow | None:
            row = super().get_code(code_hash)
            gate.wait(timeout=10)
            return row

    codes = CodeService(ReadThenWait(), container.ledger_store, container.clock, container.settings.secret_key,
                        container.audit, container.cursors)
    outcomes: list[str] = []

    def redeem(n: int) -> None:
        try:
            codes.redeem(f"late-{n}", code)
            outcomes.append("ok")
        except AppError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=redeem, args=(n,)) for n in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["invalid_code"] * (RACERS - 1) + ["ok"]
