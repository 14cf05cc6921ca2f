"""ULID range bounds for time-filtered queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from chalicelib.kernel.ids import id_ceiling, id_floor, new_id


def test_bounds_enclose_ids_made_in_that_millisecond():
    at = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    assert id_floor(at) <= new_id(at) <= id_ceiling(at)


def test_a_bound_before_1970_is_the_smallest_id_not_an_error():
    # found by fuzzing /api/logs?from=0236-11-16T04:54:12-10:45 (it answered 500)
    ancient = datetime(236, 11, 16, 4, 54, 12, tzinfo=timezone(-timedelta(hours=10, minutes=45)))
    assert id_floor(ancient) == "0" * 26
    assert id_ceiling(ancient) == "0" * 10 + "Z" * 16


def test_the_latest_datetime_is_still_a_valid_bound():
    latest = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert id_floor(latest) > new_id(datetime(2026, 1, 1, tzinfo=UTC))
