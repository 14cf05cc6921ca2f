"""The `audit` table: the operation log (append-only, TTL) and per-user IP records.

Layout (docs/internals.md): log item `USER#<user_id>`/`LOG#<ulid>` with gsi1 `TYPE#<type>`/`<ulid>`
and `ttl`; IP record `USER#<user_id>`/`IP#<ip>` with first_seen/last_seen/count.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.expressions.condition import Condition

from ..store.base import Gsi1, TableItem, TableModel


class LogItem(TableItem):
    table = "audit"
    gsi1: Gsi1[LogItem] = Gsi1()

    log_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    type = UnicodeAttribute()
    action = UnicodeAttribute()
    ip = UnicodeAttribute(default="")
    user_agent = UnicodeAttribute(default="")
    request_id = UnicodeAttribute(default="")
    actor_id = UnicodeAttribute(null=True)
    detail = UnicodeAttribute(default="{}")  # JSON text: keeps Decimals and nesting exact
    created_at = UnicodeAttribute()


class IpItem(TableModel):
    table = "audit"
    ip = UnicodeAttribute()
    first_seen = UnicodeAttribute(null=True)
    last_seen = UnicodeAttribute(null=True)
    count = NumberAttribute(default=0)  # type: ignore[assignment]  # the stored name; hides Model.count(), unused here


@dataclass(frozen=True)
class LogEntry:
    log_id: str
    user_id: str
    type: str
    action: str
    ip: str
    user_agent: str
    request_id: str
    actor_id: str | None
    detail: dict[str, Any]
    created_at: str


@dataclass(frozen=True)
class IpRecord:
    ip: str
    first_seen: str
    last_seen: str
    count: int


def _entry(item: LogItem) -> LogEntry:
    return LogEntry(log_id=item.log_id, user_id=item.user_id, type=item.type, action=item.action,
                    ip=item.ip or "", user_agent=item.user_agent or "", request_id=item.request_id or "",
                    actor_id=item.actor_id, detail=json.loads(item.detail or "{}"), created_at=item.created_at)


class AuditStore:
    """Every read and write of the audit table."""

    def append(self, entry: LogEntry, ttl: int) -> None:
        LogItem(f"USER#{entry.user_id}", f"LOG#{entry.log_id}", gsi1pk=f"TYPE#{entry.type}", gsi1sk=entry.log_id,
                ttl=ttl, log_id=entry.log_id, user_id=entry.user_id, type=entry.type, action=entry.action,
                ip=entry.ip, user_agent=entry.user_agent, request_id=entry.request_id, actor_id=entry.actor_id,
                detail=json.dumps(entry.detail, default=str, separators=(",", ":")),
                created_at=entry.created_at).save(condition=LogItem.pk.does_not_exist())

    def user_logs(self, user_id: str, low: str, high: str, *, type: str | None = None,
                  actions: tuple[str, ...] = (), limit: int = 50,
                  start: dict[str, Any] | None = None) -> tuple[list[LogEntry], dict[str, Any] | None]:
        """A user's log items with ids in [low, high], newest first; returns (page, next start key)."""
        cond: Condition | None = None
        if type:
            cond = LogItem.type == type
        if actions:
            piece = LogItem.action.is_in(*actions)
            cond = piece if cond is None else cond & piece
        it = LogItem.query(f"USER#{user_id}", LogItem.sk.between(f"LOG#{low}", f"LOG#{high}"),
                           filter_condition=cond, scan_index_forward=False, limit=limit,
                           last_evaluated_key=start, page_size=max(limit, 50))
        return [_entry(i) for i in it], it.last_evaluated_key

    def type_logs(self, type: str, low: str, high: str, limit: int) -> list[LogEntry]:
        """Log items of one type across users with ids in [low, high], newest first (gsi1)."""
        it = LogItem.gsi1.query(f"TYPE#{type}", LogItem.gsi1sk.between(low, high), scan_index_forward=False,
                                limit=limit)
        return [_entry(i) for i in it]

    def logs_of_type(self, type: str, limit: int = 50) -> list[LogEntry]:
        """The newest log items of one type across users (admin views, tests)."""
        return [_entry(i) for i in LogItem.gsi1.query(f"TYPE#{type}", scan_index_forward=False, limit=limit)]

    def touch_ip(self, user_id: str, ip: str, now_iso: str) -> None:
        """Count one sighting of `ip` for the user: first_seen kept, last_seen moved, count + 1."""
        item = IpItem(f"USER#{user_id}", f"IP#{ip}")
        item.update(actions=[IpItem.ip.set(ip), IpItem.first_seen.set(IpItem.first_seen | now_iso),
                             IpItem.last_seen.set(now_iso), IpItem.count.add(1)])

    def ip_records(self, user_id: str, limit: int = 200) -> list[IpRecord]:
        items = IpItem.query(f"USER#{user_id}", IpItem.sk.startswith("IP#"), limit=limit)
        return [IpRecord(ip=i.ip, first_seen=i.first_seen or "", last_seen=i.last_seen or "", count=int(i.count or 0))
                for i in items]

    def all_items(self) -> list[dict[str, Any]]:
        """Every raw item (tests look for leaked secrets)."""
        client = LogItem._get_connection().connection.client
        return list(client.scan(TableName=LogItem.Meta.table_name)["Items"])
