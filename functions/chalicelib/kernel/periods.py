"""Quota periods are calendar periods in UTC, named by keys.

`2026-11-21` (day), `2026-W47` (ISO week), `2026-11` (month), `all` (none). A new period
starts empty simply because its key is new: no job has to reset anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

Period = Literal["day", "week", "month", "none"]
QUOTA_PERIODS: tuple[str, ...] = ("day", "week", "month", "none")
_NONE_START = datetime(1970, 1, 1, tzinfo=UTC)
_NONE_END = datetime(9999, 12, 31, tzinfo=UTC)


@dataclass(frozen=True)
class PeriodWindow:
    key: str
    start: datetime
    end: datetime  # exclusive


def period_window(period: str, at: datetime) -> PeriodWindow:
    """The period of kind `period` that contains the instant `at`."""
    at = at.astimezone(UTC)
    day = datetime(at.year, at.month, at.day, tzinfo=UTC)
    if period == "day":
        return PeriodWindow(day.strftime("%Y-%m-%d"), day, day + timedelta(days=1))
    if period == "week":
        start = day - timedelta(days=day.weekday())
        year, week, _ = start.isocalendar()
        return PeriodWindow(f"{year}-W{week:02d}", start, start + timedelta(days=7))
    if period == "month":
        start = day.replace(day=1)
        end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
        return PeriodWindow(start.strftime("%Y-%m"), start, end)
    if period == "none":
        return PeriodWindow("all", _NONE_START, _NONE_END)
    raise ValueError(f"unknown period {period!r}")


def next_window(period: str, current: PeriodWindow) -> PeriodWindow:
    return period_window(period, current.end)
