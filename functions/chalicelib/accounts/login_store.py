"""Login counters in the `users` table: the per-IP throttle and per-username lockout.

`THROTTLE#<ip>`/`<minute>` counts sign-in attempts from one address in one minute;
`LOCKOUT#<lower username>`/`COUNTER` counts failures in a window and holds the lock. Both
expire by TTL. Usernames that do not exist get counters too, so they behave the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute
from pynamodb.exceptions import DeleteError, DoesNotExist, UpdateError

from ..store.base import TableModel


class CounterItem(TableModel):
    """Throttle and lockout counters (short-lived, TTL)."""

    table = "users"
    ttl = NumberAttribute(null=True)
    count = NumberAttribute(default=0)  # type: ignore[assignment]  # the stored name; hides Model.count(), unused here
    window_start = NumberAttribute(null=True)
    locked_until = NumberAttribute(null=True)


@dataclass(frozen=True)
class Lockout:
    count: int
    window_start: int
    locked_until: int


def _conditional_failed(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


class LoginCountersStore:
    """Throttle and lockout counters (short-lived, conditional, TTL)."""

    def hit_ip_minute(self, ip: str, minute: int, ttl: int) -> int:
        """Count one login attempt from `ip` in this minute; returns the count so far."""
        item = CounterItem(f"THROTTLE#{ip}", str(minute))
        item.update(actions=[CounterItem.count.add(1), CounterItem.ttl.set(ttl)])
        return int(item.count)

    def get_lockout(self, username: str) -> Lockout | None:
        try:
            item = CounterItem.get(f"LOCKOUT#{username.lower()}", "COUNTER", consistent_read=True)
        except DoesNotExist:
            return None
        return Lockout(int(item.count or 0), int(item.window_start or 0), int(item.locked_until or 0))

    def add_failure(self, username: str, now: int, window: int, ttl: int) -> Lockout:
        """Count one failure in the current window (a stale window starts again at 1)."""
        key = (f"LOCKOUT#{username.lower()}", "COUNTER")
        item = CounterItem(*key)
        try:
            item.update(actions=[CounterItem.count.add(1), CounterItem.ttl.set(ttl)],
                        condition=CounterItem.window_start > now - window)
        except UpdateError as exc:
            if not _conditional_failed(exc):
                raise
            item = CounterItem(*key, count=1, window_start=now, locked_until=0, ttl=ttl)
            item.save()
        return Lockout(int(item.count or 0), int(item.window_start or now), int(item.locked_until or 0))

    def lock(self, username: str, until: int, ttl: int) -> None:
        item = CounterItem(f"LOCKOUT#{username.lower()}", "COUNTER")
        item.update(actions=[CounterItem.locked_until.set(until), CounterItem.ttl.set(ttl)])

    def clear_failures(self, username: str) -> None:
        try:
            CounterItem(f"LOCKOUT#{username.lower()}", "COUNTER").delete()
        except DeleteError:  # nothing to clear
            pass

