"""Notifications a user reads in the portal: quota warnings, low balance, membership expiring /
renewed / renewal failed. Other services and the jobs call `notify`; an event with a `dedupe`
key is notified once however often (or concurrently) a job runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ..audit.service import AuditService
from ..kernel.clock import Clock, iso
from ..kernel.context import RequestMeta
from ..kernel.errors import NotFound
from ..kernel.ids import new_id
from ..kernel.money import from_micros, to_micros
from . import notes_store

KINDS = ("quota_warning", "low_balance", "membership_expiring", "membership_renewed",
         "membership_renewal_failed", "membership_expired", "provider_low_balance")

AvailableOf = Callable[[str], Decimal]  # user_id -> available balance


@dataclass(frozen=True)
class Notification:
    notification_id: str
    kind: str
    message: str
    detail: dict[str, Any]
    created_at: str
    read: bool


@dataclass(frozen=True)
class NotificationSettings:
    low_balance_threshold: Decimal | None


class NotificationService:
    def __init__(self, clock: Clock, audit: AuditService, retention_days: int, available_of: AvailableOf) -> None:
        self._clock = clock
        self._audit = audit
        self._retention = timedelta(days=retention_days)
        self._available_of = available_of

    def notify(self, user_id: str, kind: str, message: str, detail: dict[str, Any] | None = None,
               dedupe: str | None = None) -> bool:
        """Add one unread notification; with `dedupe`, only the first time for that key. True if added."""
        now = self._clock.now()
        row = notes_store.NotificationRow(new_id(now), user_id, kind, message, dict(detail or {}), iso(now), False)
        return notes_store.put_notification(row, int((now + self._retention).timestamp()),
                                            None if dedupe is None else f"{kind}#{dedupe}")

    def list(self, user_id: str, limit: int = 50) -> list[Notification]:
        """The user's notifications, newest first."""
        return [Notification(r.notification_id, r.kind, r.message, r.detail, r.created_at, r.read)
                for r in notes_store.notifications(user_id, limit)]

    def mark_read(self, user_id: str, notification_id: str) -> None:
        """NotFound when the user has no such notification (another user's included)."""
        if not notes_store.mark_read(user_id, notification_id):
            raise NotFound("No such notification.", code="notification_not_found")

    def settings(self, user_id: str) -> NotificationSettings:
        row = notes_store.get_settings(user_id)
        return NotificationSettings(None if row.low_balance is None else from_micros(row.low_balance))

    def set_low_balance_threshold(self, user_id: str, threshold: Decimal | None,
                                  meta: RequestMeta | None = None) -> NotificationSettings:
        """Notify when the available balance falls below `threshold` (None: never)."""
        notes_store.put_low_balance(user_id, None if threshold is None else to_micros(threshold),
                                    iso(self._clock.now()))
        self._audit.record(user_id=user_id, type="account", action="notification_settings_changed", meta=meta,
                           detail={"low_balance_threshold": None if threshold is None else str(threshold)})
        return NotificationSettings(threshold)

    def check_low_balances(self, now: datetime) -> int:
        """The job: one notice when a watched balance falls below its threshold; the notice
        is armed again once the balance is back at or above it. Returns notices sent."""
        sent = 0
        for row in notes_store.watched_balances():
            if row.low_balance is None:
                continue
            threshold = from_micros(row.low_balance)
            available = self._available_of(row.user_id)
            low = available < threshold
            if low == row.low_notified or not notes_store.set_low_notified(row.user_id, low):
                continue  # nothing changed, or an overlapping run claimed the change
            if low:
                self.notify(row.user_id, "low_balance",
                            f"Your available balance is {available} USD, below your alert of {threshold} USD.",
                            {"available": str(available), "threshold": str(threshold), "at": iso(now)})
                sent += 1
        return sent
