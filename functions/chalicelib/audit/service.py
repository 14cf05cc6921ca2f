"""The operation log: every state-changing service call records one item here."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ..kernel.clock import Clock, iso
from ..kernel.context import RequestMeta
from ..kernel.cursors import Cursors
from ..kernel.errors import ValidationFailed
from ..kernel.ids import id_ceiling, id_floor, new_id
from ..kernel.settings import Settings
from .store import AuditStore, IpRecord, LogEntry

TYPES = ("auth", "security", "account", "keys", "billing", "admin", "system", "usage")
LOGIN_ACTIONS = ("login", "login_failed")
ANONYMOUS = "anonymous"
# Keys that never belong in `detail`: a last line of defence against a careless caller.
_SECRET_KEYS = {"password", "code", "totp_code", "recovery_code", "recovery_codes", "key", "api_key"}
_SECRET_SUFFIXES = ("password", "secret", "token", "_hash")


class AuditService:
    def __init__(self, table: AuditStore, clock: Clock, settings: Settings, cursors: Cursors) -> None:
        self._table = table
        self._clock = clock
        self._settings = settings
        self._cursors = cursors

    def record(self, *, user_id: str | None, type: str, action: str, meta: RequestMeta | None = None,
               detail: dict[str, Any] | None = None, actor_id: str | None = None) -> str:
        """Append one log item under `user_id` (None: not tied to a known user); returns its id.

        `detail` must not hold secrets; keys that look like one are dropped."""
        if type not in TYPES:
            raise ValueError(f"unknown audit type {type!r}")
        now = self._clock.now()
        entry = LogEntry(
            log_id=new_id(now), user_id=user_id or ANONYMOUS, type=type, action=action,
            ip=meta.ip if meta else "", user_agent=meta.user_agent if meta else "",
            request_id=meta.request_id if meta else "", actor_id=actor_id,
            detail=_scrub(detail or {}), created_at=iso(now),
        )
        ttl = int((now + timedelta(days=self._settings.audit_retention_days)).timestamp())
        self._table.append(entry, ttl)
        return entry.log_id

    def touch_ip(self, user_id: str, ip: str) -> None:
        """Remember that `user_id` signed in from `ip` (first/last seen, count)."""
        self._table.touch_ip(user_id, ip or "0.0.0.0", iso(self._clock.now()))  # noqa: S104 - "address unknown"

    def ip_records(self, user_id: str) -> list[IpRecord]:
        """The addresses a user signed in from, most recently seen first."""
        return sorted(self._table.ip_records(user_id), key=lambda r: r.last_seen, reverse=True)

    def login_history(self, user_id: str, limit: int = 50) -> list[LogEntry]:
        """The user's recent sign-in attempts (successes and failures), newest first."""
        items, _ = self._table.user_logs(user_id, "0" * 26, "Z" * 26, type="auth", actions=LOGIN_ACTIONS,
                                         limit=limit)
        return items

    def logs(self, user_id: str, *, type: str | None = None, since: datetime | None = None,
             until: datetime | None = None, cursor: str | None = None,
             limit: int = 50) -> tuple[list[LogEntry], str | None]:
        """A user's log, newest first, filtered by type and time; `cursor` continues a page."""
        low = id_floor(since) if since else "0" * 26
        high = id_ceiling(until) if until else "Z" * 26
        scope = f"logs:{user_id}"
        start = self._cursors.decode(cursor, scope)
        items, last = self._table.user_logs(user_id, low, high, type=type, limit=limit, start=start)
        next_cursor = self._cursors.encode(last, scope) if len(items) >= limit else None
        return items, next_cursor

    def all_logs(self, *, type: str | None = None, user_id: str | None = None, since: datetime | None = None,
                 until: datetime | None = None, cursor: str | None = None,
                 limit: int = 50) -> tuple[list[LogEntry], str | None]:
        """The operation log across users (admin), newest first; `user_id` keeps one user's.

        Without a user: one Query per type partition of gsi1 (`TYPE#<type>`, ids in the time
        range), merged by id; the cursor holds the last id shown, so a page is at most
        `limit` items from each of the 8 types, whatever the deployment's size."""
        if type is not None and type not in TYPES:
            raise ValidationFailed(f"type must be one of {', '.join(TYPES)}.", code="invalid_type", param="type")
        if user_id:
            return self.logs(user_id, type=type, since=since, until=until, cursor=cursor, limit=limit)
        low = id_floor(since) if since else "0" * 26
        high = id_ceiling(until) if until else "Z" * 26
        scope = f"admin-logs:{type or ''}"
        state = self._cursors.decode(cursor, scope)
        before = state.get("before") if state else None
        if before is not None:
            if not isinstance(before, str):
                raise ValidationFailed("The cursor is not valid; start again without it.", code="invalid_cursor")
            high = min(high, before)
        merged: list[LogEntry] = []
        for t in (type,) if type else TYPES:
            merged += [e for e in self._table.type_logs(t, low, high, limit + 1) if e.log_id != before]
        merged.sort(key=lambda e: e.log_id, reverse=True)
        page = merged[:limit]
        more = len(merged) > limit
        return page, self._cursors.encode({"before": page[-1].log_id}, scope) if more else None

    def logs_of_type(self, type: str, limit: int = 50) -> list[LogEntry]:
        return self._table.logs_of_type(type, limit)


def _scrub(detail: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in detail.items()
            if k.lower() not in _SECRET_KEYS and not k.lower().endswith(_SECRET_SUFFIXES)}
