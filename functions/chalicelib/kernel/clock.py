"""Time is injected so periods, TOTP, expiry and schedules can be tested."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock tests move by hand."""

    def __init__(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)

    def advance(self, **delta: float) -> datetime:
        self._at += timedelta(**delta)
        return self._at


def iso(at: datetime) -> str:
    """ISO 8601 UTC with a `Z`, seconds precision: `2026-11-21T10:00:00Z`."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    """Parse ISO 8601 (date or datetime); naive values are taken as UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ", "+"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_iso_or_none(text: str | None) -> datetime | None:
    """`parse_iso` for a stored attribute that may be absent or empty."""
    return parse_iso(text) if text else None
