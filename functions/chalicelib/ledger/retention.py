"""Ledger retention: entries older than `LEDGER_RETENTION_DAYS` are folded into one `opening`
entry per user, so the table stops growing with a user's age while the balance still equals
the sum of the entries kept (docs/internals.md, "Retention").

A fold is one transaction per batch of at most `FOLD_BATCH` entries: delete each (it must
still exist) and replace the opening entry by one whose amount is the old amount plus theirs
(it must still be the opening this run read). The balance item is not in it: the sum of the
entries does not change, so `sum(entries) == available + held` holds before and after every
batch, and no charge or credit shares an item with a fold. A crash between batches leaves a
smaller fold, which the next run continues; a re-run finds nothing more to fold.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..kernel.ids import id_floor
from ..store.txn import StorageError, Txn, TxnCancelled
from . import retention_store as entries
from .retention_store import Opening
from .store import EntryRow

FOLD_BATCH = 50  # entries per transaction (DynamoDB takes 100 items; the opening is one more)
USERS_PAGE = 100
log = logging.getLogger("keyledger.ledger")

Start = dict[str, Any]
UsersPage = Callable[[int, Start | None], tuple[list[str], Start | None]]


@dataclass(frozen=True)
class FoldReport:
    users: int  # users whose entries were read
    folded: int  # entries folded into openings
    failed: int  # users whose fold stopped early (the next run continues it)


class LedgerRetention:
    def __init__(self, retention_days: int, users_page: UsersPage, batch: int = FOLD_BATCH) -> None:
        self._days = retention_days
        self._users_page = users_page  # (limit, start) -> (user ids, next start)
        self._batch = batch

    def fold_all(self, now: datetime) -> FoldReport:
        """Fold every user's entries older than the retention window (nothing when it is 0)."""
        users = folded = failed = 0
        if not self._days:
            return FoldReport(0, 0, 0)
        start: Start | None = None
        while True:
            ids, start = self._users_page(USERS_PAGE, start)
            for user_id in ids:
                users += 1
                try:
                    folded += self.fold_user(user_id, now)
                except (TxnCancelled, StorageError) as exc:
                    failed += 1
                    log.warning("user %s: ledger fold stopped (%s); the next run continues it", user_id, exc)
            if start is None:
                return FoldReport(users, folded, failed)

    def fold_user(self, user_id: str, now: datetime) -> int:
        """Fold the user's entries older than the window, a batch per transaction; returns how
        many were folded. TxnCancelled: another fold moved the opening meanwhile."""
        if not self._days:
            return 0
        before_id = id_floor(now - timedelta(days=self._days))
        opening = entries.get_opening(user_id)
        total = 0
        while batch := entries.entries_before(user_id, before_id, self._batch):
            after = _folded(opening, batch)
            txn = Txn()
            entries.fold(txn, user_id, batch, opening, after)
            txn.commit()
            opening, total = after, total + len(batch)
        return total


def _folded(opening: Opening | None, batch: list[EntryRow]) -> Opening:
    """The opening entry once `batch` (oldest first) is folded into `opening`. An entry written
    late with an old id (a charge settled after its fold) adds its amount but does not move
    `folded_through` back."""
    newest = batch[-1]
    if opening is not None and opening.folded_through > newest.entry_id:
        through, created_at = opening.folded_through, opening.created_at
    else:
        through, created_at = newest.entry_id, newest.created_at
    amount = (opening.amount if opening else 0) + sum(e.amount for e in batch)
    return Opening(amount, through, created_at, (opening.folded if opening else 0) + len(batch))
