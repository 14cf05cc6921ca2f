"""Commit a ledger transaction, retrying (bounded, with backoff) only when a concurrent
transaction touched the same items; a failed condition is the caller's to map."""

from __future__ import annotations

from collections.abc import Callable

from ..kernel.errors import ServiceUnavailable
from ..store.txn import StorageError, Txn, TxnConflict

ATTEMPTS = 5


def commit(build: Callable[[], Txn], sleep: Callable[[float], None]) -> None:
    """Build and commit; `TxnCancelled` (a failed condition) propagates to the caller."""
    for attempt in range(ATTEMPTS):
        try:
            build().commit()
            return
        except TxnConflict:
            sleep(0.01 * (2**attempt))
        except StorageError as exc:
            raise ServiceUnavailable() from exc
    raise ServiceUnavailable("The service is busy; retry shortly.")
