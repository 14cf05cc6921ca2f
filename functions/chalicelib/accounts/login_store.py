"""Login counters in the `users` table: the per-IP throttle and per-username attempt budget.

`THROTTLE#<ip>`/`<minute>` counts sign-in attempts from one address in one minute;
`LOCKOUT#<lower username>`/`COUNTER` counts attempts in a window (conditionally, before any
verification) and holds the lock; `LOCKED#<lower username>#<ip>`/`<minute>` counts attempts
of one client while the name is locked. All expire by TTL. Usernames that do not exist get
counters too, so they behave the same. See docs/security.md.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute
from pynamodb.exceptions import DeleteError, PutError, UpdateError

from ..store.base import TableModel


class CounterItem(TableModel):
    """Throttle and lockout counters (short-lived, TTL)."""

    table = "users"
    ttl = NumberAttribute(null=True)
    count = NumberAttribute(default=0)  # type: ignore[assignment]  # the stored name; hides Model.count(), unused here
    window_start = NumberAttribute(null=True)
    locked_until = NumberAttribute(null=True)


def _conditional_failed(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


class LoginCountersStore:
    """Throttle and lockout counters (short-lived, conditional, TTL)."""

    def hit_ip_minute(self, ip: str, minute: int, ttl: int) -> int:
        """Count one login attempt from `ip` in this minute; returns the count so far."""
        item = CounterItem(f"THROTTLE#{ip}", str(minute))
        item.update(actions=[CounterItem.count.add(1), CounterItem.ttl.set(ttl)])
        return int(item.count)

    def take_attempt(self, username: str, now: int, *, threshold: int, window: int, duration: int) -> bool:
        """Count one sign-in attempt against the name's budget before anything is verified.

        True while the budget lasts: at most `threshold` attempts per window, however many run at
        once (the increment is conditional on `count < threshold`, one atomic write). False when
        it is spent; it stays spent until `duration` after the attempt that spent it, or the window
        ends. Every admitted attempt sets `locked_until` to now + duration, so the lock's end moves
        with the same write that fills the budget (no second write to race with)."""
        key = (f"LOCKOUT#{username.lower()}", "COUNTER")
        ttl = now + window + duration
        for _ in range(2):  # a concurrent reset between our two writes: try the increment once more
            try:
                CounterItem(*key).update(
                    actions=[CounterItem.count.add(1), CounterItem.locked_until.set(now + duration),
                             CounterItem.ttl.set(ttl)],
                    condition=(CounterItem.window_start > now - window) & (CounterItem.count < threshold))
                return True
            except UpdateError as exc:
                if not _conditional_failed(exc):
                    raise
            stale = CounterItem.window_start <= now - window
            lock_over = (CounterItem.count >= threshold) & (CounterItem.locked_until <= now)
            try:
                CounterItem(*key, count=1, window_start=now, locked_until=now + duration, ttl=ttl).save(
                    condition=CounterItem.pk.does_not_exist() | stale | lock_over)
                return True
            except PutError as exc:
                if not _conditional_failed(exc):
                    raise
        return False

    def take_locked_attempt(self, username: str, client: str, minute: int, limit: int) -> bool:
        """While a name's budget is spent: one of `limit` attempts per minute for this client
        (address); False past it. Per client, so an attacker's address cannot use up the owner's."""
        item = CounterItem(f"LOCKED#{username.lower()}#{client}", str(minute))
        try:
            item.update(actions=[CounterItem.count.add(1), CounterItem.ttl.set((minute + 2) * 60)],
                        condition=CounterItem.pk.does_not_exist() | (CounterItem.count < limit))
        except UpdateError as exc:
            if not _conditional_failed(exc):
                raise
            return False
        return True

    def clear_failures(self, username: str) -> None:
        """The budget is whole again (a successful sign-in, an admin's unlock)."""
        try:
            CounterItem(f"LOCKOUT#{username.lower()}", "COUNTER").delete()
        except DeleteError:  # nothing to clear
            pass
