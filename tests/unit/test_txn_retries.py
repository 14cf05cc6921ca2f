"""The one transaction helper retries only conflicts, a bounded number of times, with jittered
exponential waits (so racing writers do not retry in lockstep)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from chalicelib.kernel.errors import ServiceUnavailable
from chalicelib.store.txn import (
    BACKOFF_SECONDS,
    COMMIT_ATTEMPTS,
    StorageError,
    TxnCancelled,
    TxnConflict,
    commit_with_retry,
)


def _build(*outcomes: Exception | None) -> Callable[[], Any]:
    """A transaction builder whose commits meet `outcomes` in turn (the last one repeats)."""
    queue = list(outcomes)

    class _Txn:
        def commit(self) -> None:
            outcome = queue.pop(0) if len(queue) > 1 else queue[0]
            if outcome is not None:
                raise outcome

    return _Txn


def test_conflicts_are_retried_with_jittered_exponential_waits_then_succeed():
    waits: list[float] = []
    draws = iter([0.0, 1.0])
    commit_with_retry(_build(TxnConflict("c"), TxnConflict("c"), None), waits.append, jitter=lambda: next(draws))
    assert waits == [BACKOFF_SECONDS * 0.5, BACKOFF_SECONDS * 2 * 1.5]


def test_two_writers_with_different_draws_wait_different_times():
    waits_a: list[float] = []
    waits_b: list[float] = []
    commit_with_retry(_build(TxnConflict("c"), None), waits_a.append, jitter=lambda: 0.1)
    commit_with_retry(_build(TxnConflict("c"), None), waits_b.append, jitter=lambda: 0.9)
    assert waits_a != waits_b


def test_retries_are_bounded_and_end_in_a_503():
    waits: list[float] = []
    with pytest.raises(ServiceUnavailable):
        commit_with_retry(_build(TxnConflict("c")), waits.append)
    assert len(waits) == COMMIT_ATTEMPTS
    assert max(waits) <= BACKOFF_SECONDS * 2 ** (COMMIT_ATTEMPTS - 1) * 1.5


def test_a_failed_condition_is_not_retried_and_other_storage_errors_are_a_503():
    waits: list[float] = []
    with pytest.raises(TxnCancelled):
        commit_with_retry(_build(TxnCancelled(["balance"], {})), waits.append)
    with pytest.raises(ServiceUnavailable):
        commit_with_retry(_build(StorageError("throttled")), waits.append)
    assert waits == []
