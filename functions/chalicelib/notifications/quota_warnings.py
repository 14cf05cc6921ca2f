"""Quota warnings: when a quota's usage in its current period crosses one of its `warn_at`
fractions, the user gets ONE log item and notification per threshold per period and, where WEBHOOK_URL is
set, a signed webhook. "Once" is a conditional put of a marker item, so a job run twice
(or twice at once) warns once."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from ..audit.service import AuditService
from ..kernel.clock import Clock, iso
from ..kernel.periods import period_window
from ..keys.types import QuotaUsage
from . import store as markers_table
from .service import NotificationService
from .webhooks import WebhookSender


@dataclass(frozen=True)
class QuotaWatch:
    """What the job needs of a quota (the keys area owns quotas)."""

    quota_id: str
    user_id: str
    period: str
    limit_cost: Decimal | None
    limit_tokens: int | None
    warn_at: tuple[Decimal, ...]


UsageOf = Callable[[str, str], tuple[Decimal, int]]  # (quota_id, period_key) -> (cost, tokens)


def used_fraction(q: QuotaWatch, cost: Decimal, tokens: int) -> Decimal:
    """The larger of cost/limit_cost and tokens/limit_tokens (0 without limits)."""
    parts = [Decimal(0)]
    if q.limit_cost:
        parts.append(cost / q.limit_cost)
    if q.limit_tokens:
        parts.append(Decimal(tokens) / Decimal(q.limit_tokens))
    return max(parts)


class QuotaWarningService:
    def __init__(self, clock: Clock, audit: AuditService, webhooks: WebhookSender, usage_of: UsageOf,
                 quotas: Callable[[], Iterable[QuotaWatch]], notifications: NotificationService) -> None:
        self._clock = clock
        self._notifications = notifications
        self._audit = audit
        self._webhooks = webhooks
        self._usage_of = usage_of
        self._quotas = quotas

    def run(self, now: datetime) -> int:
        """Warn for every threshold crossed in the current period; returns how many warnings."""
        warned = 0
        for q in self._quotas():
            if q.warn_at and (q.limit_cost or q.limit_tokens):
                warned += self.check(q, now)
        return warned

    def check(self, q: QuotaWatch, now: datetime) -> int:
        window = period_window(q.period, now)
        cost, tokens = self._usage_of(q.quota_id, window.key)
        fraction = used_fraction(q, cost, tokens)
        ttl = None if q.period == "none" else int((window.end + timedelta(days=35)).timestamp())
        warned = 0
        for threshold in sorted(set(q.warn_at)):
            if fraction < threshold:
                break
            if not markers_table.mark_warned(q.quota_id, window.key, _label(threshold), iso(now), ttl):
                continue
            warned += 1
            detail = {"quota_id": q.quota_id, "period": window.key, "threshold": _label(threshold),
                      "used_fraction": str(round(fraction, 4)), "used_cost": str(cost), "used_tokens": tokens,
                      "limit_cost": None if q.limit_cost is None else str(q.limit_cost),
                      "limit_tokens": q.limit_tokens, "level": "warning"}
            self._audit.record(user_id=q.user_id, type="usage", action="quota_warning", detail=detail)
            percent = format((threshold * 100).normalize(), "f")
            self._notifications.notify(q.user_id, "quota_warning", f"Your quota {q.quota_id} has used {percent}% of "
                                       f"its {q.period} limit.", detail)
            if self._webhooks.enabled:
                self._webhooks.send({"type": "quota.warning", "user_id": q.user_id, "at": iso(now), **detail})
        return warned


def _label(threshold: Decimal) -> str:
    """`0.8` and `0.80` are one threshold: one marker."""
    return format(threshold.normalize(), "f")


def quota_watches(list_quotas: Callable[..., tuple[list[QuotaUsage], str | None]]) -> Iterator[QuotaWatch]:
    """Every quota with its limits and warn_at, from the keys domain's `list_quotas` (paged)."""
    cursor = None
    for _ in range(10_000):  # bounded: 1M quotas
        views, cursor = list_quotas(user_id=None, limit=100, cursor=cursor)
        for v in views:
            yield QuotaWatch(v.quota_id, v.user_id, v.period, v.limit_cost, v.limit_tokens, v.warn_at)
        if not cursor:
            return
