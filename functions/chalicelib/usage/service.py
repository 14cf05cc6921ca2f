"""Usage statistics (from the daily rollups), request history, CSV export, quota views.

Statistics never scan request records: the settle step adds each request to rollup items
`USER#<user_id>`/`DAY#<day>#<dim>#<value>`, and a range is one Query on the sort key
(`DAY#<from>` .. `DAY#<to>#~`). Every dimension of a day sits under the same day prefix,
so the Query reads all of them and a filter keeps the asked one; DynamoDB returns up to
1 MB per call. A user with 10 rollup items a day (3 models, 2 providers, 2 keys, 3
quota x model) has 900 items in 90 days, ~105 KB: ONE Query call, ~13 read units
eventually consistent (see tests/integration/test_usage_views.py, which counts the calls).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from ..kernel.clock import Clock
from ..kernel.cursors import Cursors
from ..kernel.errors import ValidationFailed
from ..kernel.ids import id_ceiling, id_floor
from ..kernel.money import fmt, from_micros
from . import reads_store as usage_reads
from .store import Rollup, UsageRecord
from .types import RequestView, Statistics, StatLine, StatTotals

MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 30
EXPORT_MAX_ROWS = 20_000  # ~3 MB of CSV: within Lambda's 6 MB answer
GROUPS = ("model", "provider", "day", "key", "endpoint")
CSV_COLUMNS = ("request_id", "created_at", "model", "provider", "endpoint", "key_id", "quota_id", "input_tokens",
               "output_tokens", "cost", "status", "outcome", "latency_ms", "ip")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def day_range(today: date, first: date | None, last: date | None) -> tuple[date, date]:
    """Validate a day range: defaults to the last 30 days, `from <= to`, at most 366 days."""
    last = last or (today if first is None else min(today, first + timedelta(days=DEFAULT_RANGE_DAYS - 1)))
    first = first or last - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if first > last:
        raise ValidationFailed("`from` must not be after `to`.", code="invalid_range")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise ValidationFailed(f"A range covers at most {MAX_RANGE_DAYS} days.", code="invalid_range")
    return first, last


def safe_cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run: text starting with = + - @ tab or CR gets a
    leading apostrophe (OWASP CSV injection). Quoting is the csv module's (RFC 4180)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def record_view(r: UsageRecord, provider_names: Mapping[str, str]) -> RequestView:
    """A request as a person reads it: the provider by name (its id when the catalog no
    longer knows it, e.g. a user's own provider or a deleted one), also as `provider_id`."""
    return RequestView(request_id=r.request_id, model=r.model, provider=provider_names.get(r.provider, r.provider),
                       provider_id=r.provider, input_tokens=r.input_tokens, output_tokens=r.output_tokens,
                       cost=from_micros(r.cost), provider_overage=from_micros(r.overage), status=r.status,
                       outcome=r.outcome, latency_ms=r.latency_ms, ip=r.ip, key_id=r.key_id, quota_id=r.quota_id,
                       endpoint=r.endpoint, created_at=r.created_at)


def _aggregate(rollups: list[Rollup], by_day: bool, names: Mapping[str, str] | None = None) -> tuple[
        list[StatLine], StatTotals]:
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for r in rollups:
        value = (names or {}).get(r.value, r.value)
        s = sums[r.day if by_day else (value or "unknown")]
        s[0] += r.requests
        s[1] += r.input_tokens
        s[2] += r.output_tokens
        s[3] += r.cost
    return [stat_line(k, s) for k, s in sorted(sums.items())], stat_totals(sums)


def stat_line(key: str, s: list[int], name: str | None = None) -> StatLine:
    """One group's sums ([requests, input tokens, output tokens, cost in micro-dollars])."""
    return StatLine(requests=s[0], input_tokens=s[1], output_tokens=s[2], cost=from_micros(s[3]), key=key, name=name)


def stat_totals(sums: Mapping[str, list[int]]) -> StatTotals:
    return StatTotals(requests=sum(s[0] for s in sums.values()), input_tokens=sum(s[1] for s in sums.values()),
                      output_tokens=sum(s[2] for s in sums.values()),
                      cost=from_micros(sum(s[3] for s in sums.values())))


class UsageViews:
    def __init__(self, clock: Clock, cursors: Cursors,
                 provider_names: Callable[[], Mapping[str, str]] = dict) -> None:
        self._clock = clock
        self._cursors = cursors
        self._provider_names = provider_names  # id -> name: records and rollups keep ids, people read names

    def _named(self, r: UsageRecord) -> RequestView:
        return record_view(r, self._provider_names())

    def statistics(self, user_id: str, first: date | None, last: date | None, group_by: str) -> Statistics:
        """Requests, tokens and cost per model, provider (by name), day, key or endpoint (the inbound
        API: chat, responses, messages, completions, embeddings) over a day range (UTC)."""
        first, last = day_range(self._clock.now().date(), first, last)
        dim = "model" if group_by == "day" else group_by
        rollups = usage_reads.user_rollups(user_id, first.isoformat(), last.isoformat(), dim)
        names = self._provider_names() if group_by == "provider" else None
        return Statistics(*_aggregate(rollups, group_by == "day", names), first.isoformat(), last.isoformat(),
                          group_by)

    def quota_statistics(self, quota_id: str, first: date | None, last: date | None,
                         group_by: str) -> Statistics:
        """One quota's statistics per model or day (gsi1 of the usage table, one Query)."""
        if group_by not in ("model", "day"):
            raise ValidationFailed("A quota's statistics group by model or day.", code="invalid_group_by")
        first, last = day_range(self._clock.now().date(), first, last)
        rollups = usage_reads.quota_rollups(quota_id, first.isoformat(), last.isoformat())
        return Statistics(*_aggregate(rollups, group_by == "day"), first.isoformat(), last.isoformat(), group_by)

    def history(self, user_id: str, cursor: str | None, limit: int,
                model: str | None) -> tuple[list[RequestView], str | None]:
        """The user's requests newest first; `model` keeps one model's."""
        scope = f"usage:{user_id}:{model or ''}"
        rows, last = usage_reads.records_page(user_id, limit, self._cursors.decode(cursor, scope), model)
        return [self._named(r) for r in rows], self._cursors.encode(last, scope)

    def quota_requests(self, quota_id: str, cursor: str | None,
                       limit: int) -> tuple[list[RequestView], str | None]:
        """A quota's requests newest first (admin)."""
        scope = f"quota-requests:{quota_id}"
        rows, last = usage_reads.quota_records_page(quota_id, limit, self._cursors.decode(cursor, scope))
        return [self._named(r) for r in rows], self._cursors.encode(last, scope)

    def export_csv(self, user_id: str, first: date | None, last: date | None) -> tuple[str, bool]:
        """The requests of a day range as CSV (header + one row per request, oldest first,
        decimal strings); True when cut at EXPORT_MAX_ROWS."""
        first, last = day_range(self._clock.now().date(), first, last)
        start = datetime(first.year, first.month, first.day, tzinfo=UTC)
        end = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1) - timedelta(milliseconds=1)
        rows, truncated = usage_reads.records_between(user_id, id_floor(start), id_ceiling(end), EXPORT_MAX_ROWS)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(CSV_COLUMNS)
        for r in rows:
            view = self._named(r)
            cells = (getattr(view, c) for c in CSV_COLUMNS)
            writer.writerow([safe_cell(fmt(v) if isinstance(v, Decimal) else v) for v in cells])
        return out.getvalue(), truncated
