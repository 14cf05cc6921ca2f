"""The admin's view across users: overview (totals, tops, provider health) and statistics.

Built from the deployment-wide rollups (`ALL#<shard>`, usage/store.py), written in the same
transaction as each request's per-user rollups; a range is one Query per shard, never a scan
of request records. Providers appear by name: rollups keep the provider id (names change),
and the catalog's names are applied when a person reads them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal

from ..catalog.types import ProviderStatus
from ..kernel.clock import Clock
from ..kernel.money import from_micros
from . import reads_store as usage_reads
from .service import day_range, stat_line, stat_totals
from .store import Rollup
from .types import DayPoint, Overview, OverviewTotals, Statistics, TopUser

TOP = 10
ADMIN_GROUPS = ("user", "model", "provider", "day")

Names = Callable[[], Mapping[str, str]]  # id -> name (providers), read from the catalog's snapshot
Usernames = Callable[[list[str]], Mapping[str, str]]  # user ids -> usernames (accounts)


def _sums(rows: Iterable[Rollup], key: Callable[[Rollup], str]) -> dict[str, list[int]]:
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for r in rows:
        s = sums[key(r) or "unknown"]
        s[0] += r.requests
        s[1] += r.input_tokens
        s[2] += r.output_tokens
        s[3] += r.cost
    return sums


def _top(sums: Mapping[str, list[int]]) -> list[tuple[str, list[int]]]:
    return sorted(sums.items(), key=lambda kv: (-kv[1][3], -kv[1][0], kv[0]))[:TOP]


class AdminUsageViews:
    def __init__(self, clock: Clock, provider_names: Names, usernames: Usernames,
                 count_users: Callable[[], int], provider_health: Callable[[], list[ProviderStatus]]) -> None:
        self._clock = clock
        self._provider_names = provider_names
        self._usernames = usernames
        self._count_users = count_users
        self._provider_health = provider_health

    def _range(self, first: date | None, last: date | None) -> tuple[str, str]:
        a, b = day_range(self._clock.now().date(), first, last)
        return a.isoformat(), b.isoformat()

    def statistics(self, first: date | None, last: date | None, group_by: str) -> Statistics:
        """Requests, tokens and cost of every user, per user, model, provider (by name) or day.
        Items of `user` carry the username as `name`."""
        a, b = self._range(first, last)
        dim = {"user": "key", "day": "model"}.get(group_by, group_by)
        rows = usage_reads.deployment_rollups(a, b, dim)
        names = self._provider_names() if group_by == "provider" else {}
        key: Callable[[Rollup], str] = {
            "user": lambda r: r.user_id, "day": lambda r: r.day,
            "provider": lambda r: names.get(r.value, r.value)}.get(group_by, lambda r: r.value)
        sums = _sums(rows, key)
        usernames = self._usernames(sorted(sums)) if group_by == "user" else {}
        items = [stat_line(k, s, usernames.get(k)) for k, s in sorted(sums.items())]
        return Statistics(items, stat_totals(sums), a, b, group_by)

    def overview(self, first: date | None, last: date | None) -> Overview:
        """Totals, the top users, models and providers by cost, requests per day, and each
        provider's health: one Query per rollup shard, the catalog snapshot, one user count."""
        a, b = self._range(first, last)
        rows = usage_reads.deployment_rollups(a, b, None)
        by_model = _sums((r for r in rows if r.dim == "model"), lambda r: r.value)
        names = self._provider_names()
        by_provider = _sums((r for r in rows if r.dim == "provider"), lambda r: names.get(r.value, r.value))
        key_rows = [r for r in rows if r.dim == "key"]
        by_user = _sums(key_rows, lambda r: r.user_id)
        by_day = _sums((r for r in rows if r.dim == "model"), lambda r: r.day)
        top_users = _top(by_user)
        usernames = self._usernames([uid for uid, _ in top_users])
        totals = OverviewTotals(**vars(stat_totals(by_model)), users=self._count_users(),
                                active_users=len(by_user), active_keys=len({r.value for r in key_rows}))
        return Overview(
            first=a, last=b, totals=totals,
            top_users=[TopUser(**vars(stat_line(uid, s, usernames.get(uid))), user_id=uid) for uid, s in top_users],
            top_models=[stat_line(m, s, m) for m, s in _top(by_model)],
            top_providers=[stat_line(p, s, p) for p, s in _top(by_provider)],
            by_day=[DayPoint(day=d, requests=s[0], cost=from_micros(s[3])) for d, s in sorted(by_day.items())],
            providers=self._provider_health(),
        )

    def spend_by_user(self, first: date | None, last: date | None) -> dict[str, Decimal]:
        """What each user spent over a day range (default: the last 30 days), for the admin
        user list; users who spent nothing are absent."""
        a, b = self._range(first, last)
        sums = _sums(usage_reads.deployment_rollups(a, b, "key"), lambda r: r.user_id)
        return {uid: from_micros(s[3]) for uid, s in sums.items()}
