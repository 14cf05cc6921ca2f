"""Retention (issue 18 item 6): request records carry a TTL, and ledger entries older than the
window fold into one `opening` entry while sum(entries) == available + held holds before, after
and between the fold's transactions, a crash or a re-run included."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal

import pytest
from chalicelib.bootstrap import Container
from chalicelib.kernel.ids import new_id
from chalicelib.ledger import retention_store
from chalicelib.ledger import store as ledger
from chalicelib.ledger.retention import LedgerRetention
from chalicelib.metering.types import RecordFields
from chalicelib.store.txn import StorageError, Txn, TxnCancelled
from chalicelib.usage.store import UsageRecordItem

from tests.support.ddb_faults import DynamoFaults
from tests.support.ledger import ensure_tables, paid_request
from tests.support.metering import assert_ledger_consistent, ledger_sum, make_key, make_route, usage_of

USER = "u-ret"
DAYS = 30


@pytest.fixture(autouse=True)
def _tables(container):
    ensure_tables()


def retention(days: int = DAYS, batch: int = 3) -> LedgerRetention:
    return LedgerRetention(days, lambda limit, start: ([USER], None), batch=batch)


@pytest.fixture
def history(container, clock):
    """Seven credits and debits 40..34 days ago (past the window), two in it, and a live hold:
    returns the ids of the old entries, oldest first."""
    start = clock.now()
    old = []
    for n in range(7):
        clock.set(start - timedelta(days=40 - n))
        entry = (container.metering.credit(USER, Decimal(n + 2), "topup", "t") if n % 3 != 2
                 else container.metering.debit(USER, Decimal("1.5"), "adjustment", "t"))
        old.append(entry.entry_id)
    for n in range(2):
        clock.set(start - timedelta(days=2 - n))
        container.metering.credit(USER, Decimal("0.25"), "topup", "t")
    clock.set(start)
    container.metering.reserve(make_key(USER), make_route(), 1000, 1000, new_id(start), start)
    assert ledger.get_balance(USER).held > 0
    return old


def old_sum(ids: list[str]) -> int:
    return sum(e.amount for e in ledger.list_entries(USER) if e.entry_id in ids)


def test_entries_past_the_window_fold_into_one_opening_entry_and_the_sum_still_equals_the_balance(
        container, clock, history):
    total, balance = old_sum(history), ledger.get_balance(USER)
    last_folded = next(e for e in ledger.list_entries(USER) if e.entry_id == history[-1])

    assert retention().fold_user(USER, clock.now()) == 7  # three transactions of at most 3 entries

    rows = ledger.list_entries(USER, newest_first=False)
    assert [r.type for r in rows] == ["opening", "topup", "topup"]
    opening = rows[0]
    assert opening.amount == total and opening.created_at == last_folded.created_at
    assert opening.meta["folded"] == 7
    assert ledger.get_balance(USER) == balance  # the balance item is not touched
    assert_ledger_consistent(USER)


def test_a_second_run_folds_nothing_and_a_later_one_adds_to_the_same_opening(container, clock, history):
    service = retention()
    service.fold_user(USER, clock.now())
    before = ledger.list_entries(USER)

    assert service.fold_user(USER, clock.now()) == 0
    assert ledger.list_entries(USER) == before

    clock.advance(days=DAYS)  # the two recent top-ups age past the window
    assert service.fold_user(USER, clock.now()) == 2
    rows = ledger.list_entries(USER)
    assert [r.type for r in rows] == ["opening"] and rows[0].meta["folded"] == 9
    assert_ledger_consistent(USER)


def test_a_crash_between_two_batches_keeps_the_sum_and_the_next_run_finishes_the_fold(container, clock, history):
    total = old_sum(history)
    faults = DynamoFaults().attach()
    faults.throttle("TransactWriteItems", calls={2})  # the second batch's transaction fails
    with pytest.raises(StorageError):
        retention().fold_user(USER, clock.now())
    faults.detach()

    assert_ledger_consistent(USER)
    rows = ledger.list_entries(USER, newest_first=False)
    assert rows[0].type == "opening" and rows[0].meta["folded"] == 3
    assert [r.entry_id for r in rows[1:5]] == history[3:]  # batches two and three wait

    assert retention().fold_user(USER, clock.now()) == 4
    rows = ledger.list_entries(USER, newest_first=False)
    assert rows[0].amount == total and rows[0].meta["folded"] == 7 and len(rows) == 3
    assert_ledger_consistent(USER)


def test_a_fold_whose_answer_was_lost_is_not_counted_twice(container, clock, history):
    total = old_sum(history)
    faults = DynamoFaults().attach()
    faults.lose_answer("TransactWriteItems", calls={1})  # committed, but the job sees a timeout
    with pytest.raises(StorageError):
        retention().fold_user(USER, clock.now())
    faults.detach()

    assert retention().fold_user(USER, clock.now()) == 4
    assert ledger.list_entries(USER, newest_first=False)[0].amount == total
    assert_ledger_consistent(USER)


def test_a_fold_built_on_an_opening_another_fold_replaced_is_cancelled_whole(container, clock, history):
    stale = retention_store.get_opening(USER)  # None: read before the other fold
    batch = retention_store.entries_before(USER, history[-1], 10)
    assert retention().fold_user(USER, clock.now() - timedelta(days=8, hours=12)) == 2  # the oldest two
    balance_sum = ledger_sum(USER)

    txn = Txn()
    retention_store.fold(txn, USER, batch[2:], stale,
                         retention_store.Opening(1, batch[-1].entry_id, batch[-1].created_at, 4))
    with pytest.raises(TxnCancelled) as cancelled:
        txn.commit()
    assert cancelled.value.failed == ["opening"]
    assert ledger_sum(USER) == balance_sum
    assert_ledger_consistent(USER)


def test_an_entry_written_late_with_an_id_before_the_opening_is_folded_by_the_next_run(container, clock, history):
    retention().fold_user(USER, clock.now())
    through = retention_store.get_opening(USER)
    paid_request(container, USER, request_id=new_id(clock.now() - timedelta(days=41)))  # older than every entry
    assert_ledger_consistent(USER)

    assert retention().fold_user(USER, clock.now()) == 1
    after = retention_store.get_opening(USER)
    assert after is not None and through is not None
    assert after.folded_through == through.folded_through  # it adds its amount, it does not move the mark back
    assert after.amount < through.amount and after.folded == 8
    assert_ledger_consistent(USER)


def test_retention_zero_keeps_every_entry(container, clock, history):
    report = LedgerRetention(0, lambda limit, start: ([USER], None)).fold_all(clock.now())
    assert (report.users, report.folded) == (0, 0)
    assert len(ledger.list_entries(USER)) == 9


def test_a_request_record_expires_the_retention_after_the_request_and_zero_keeps_it(container, settings, clock):
    container.metering.credit(USER, Decimal(5), "topup", "t")
    rid = paid_request(container, USER)
    item = UsageRecordItem.get(f"USER#{USER}", f"REQ#{rid}")
    assert item.ttl == int(clock.now().timestamp()) + settings.usage_retention_days * 86400

    keep = Container(dataclasses.replace(settings, usage_retention_days=0), clock=clock)
    hold = keep.metering.reserve(make_key(USER), make_route(), 10, 10, new_id(clock.now()), clock.now())
    keep.metering.settle(hold, usage_of(10, 10), RecordFields(provider="p1"))
    assert UsageRecordItem.get(f"USER#{USER}", f"REQ#{hold.request_id}").ttl is None
