"""The ledger store the ledger's services receive: balances, paged entries, and the two
transaction pieces they compose (a credit or debit, its entry). The items and the pieces
themselves are in `store.py`, where metering composes them too."""

from __future__ import annotations

from typing import Any

from ..store.txn import Txn
from . import store
from .store import BalanceRow, EntryItem, EntryRow, _entry, user_pk

StartKey = dict[str, str]


class LedgerStore:
    """Reads of the balance and entry items, and the balance and entry writes of a transaction."""

    def balance(self, user_id: str, consistent: bool = True) -> BalanceRow:
        """The balance item; a user who never had money has a zero balance."""
        return store.get_balance(user_id, consistent)

    def balances(self, user_ids: list[str]) -> dict[str, BalanceRow]:
        """Balance items of several users (BatchGetItem); users without one get a zero balance."""
        return store.get_balances(user_ids)

    def entries_page(self, user_id: str, limit: int, start: StartKey | None) -> tuple[list[EntryRow], StartKey | None]:
        """Up to `limit` entries older than `start` (exclusive), newest first (entry ids are
        ULIDs). One item more is read so the last page carries no start key."""
        items = EntryItem.query(user_pk(user_id), EntryItem.sk.startswith("ENTRY#"), scan_index_forward=False,
                                consistent_read=True, limit=limit + 1,
                                last_evaluated_key={k: {"S": v} for k, v in start.items()} if start else None)
        rows = list(items)
        if len(rows) <= limit:
            return [_entry(i) for i in rows], None
        last = rows[limit - 1]
        return [_entry(i) for i in rows[:limit]], {"pk": last.pk, "sk": last.sk}

    def change_available(self, txn: Txn, user_id: str, micros: int, now_iso: str,
                         membership: dict[str, Any] | None = None) -> None:
        """Label `balance` (see store.change_available)."""
        store.change_available(txn, user_id, micros, now_iso, membership)

    def put_entry(self, txn: Txn, user_id: str, entry_id: str, type_: str, micros: int, ref: str,
                  created_at: str, meta: dict[str, Any] | None = None) -> None:
        """Label `entry` (see store.put_entry)."""
        store.put_entry(txn, user_id, entry_id, type_, micros, ref, created_at, meta)
