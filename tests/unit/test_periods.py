from __future__ import annotations

from datetime import UTC, datetime

import pytest
from chalicelib.kernel.periods import next_window, period_window

AT = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("period", "key", "start", "end"),
    [
        ("day", "2026-11-21", datetime(2026, 11, 21, tzinfo=UTC), datetime(2026, 11, 22, tzinfo=UTC)),
        ("week", "2026-W47", datetime(2026, 11, 16, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC)),
        ("month", "2026-11", datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)),
    ],
)
def test_periods_are_calendar_periods_in_utc_named_by_keys(period, key, start, end):
    w = period_window(period, AT)
    assert (w.key, w.start, w.end) == (key, start, end)


def test_december_rolls_into_january_and_iso_week_one_can_start_in_december():
    assert period_window("month", datetime(2026, 12, 31, 23, 59, tzinfo=UTC)).end == datetime(2027, 1, 1, tzinfo=UTC)
    assert period_window("week", datetime(2024, 12, 31, tzinfo=UTC)).key == "2025-W01"


def test_next_window_follows_without_gap():
    w = period_window("day", AT)
    assert next_window("day", w).start == w.end


def test_period_none_is_one_window_for_ever():
    assert period_window("none", AT).key == "all"
