"""Identifiers: ULIDs, so ids sort by creation time (useful as sort keys)."""

from __future__ import annotations

from datetime import datetime

from ulid import ULID

# A ULID holds milliseconds since 1970 in 48 bits: bounds outside that range are clamped to it
# (a `from` before 1970 means "from the start"), never an error.
_MAX_MS = 2**48 - 1


def new_id(at: datetime | None = None) -> str:
    """A new ULID string; pass `at` to place it at a given time (tests, backfills)."""
    return str(ULID.from_datetime(at) if at is not None else ULID())


def id_floor(at: datetime) -> str:
    """The smallest ULID of the millisecond `at`: a sort-key bound for time ranges."""
    return str(ULID.from_timestamp(_clamped(at)))[:10] + "0" * 16


def id_ceiling(at: datetime) -> str:
    """The largest ULID of the millisecond `at`."""
    return str(ULID.from_timestamp(_clamped(at)))[:10] + "Z" * 16


def _clamped(at: datetime) -> float:
    return min(max(at.timestamp(), 0.0), _MAX_MS / 1000)
