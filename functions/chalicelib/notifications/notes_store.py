"""Notifications a user reads, in the `audit` table (next to their operation log).

Layout: notification `USER#<user_id>`/`NOTE#<ulid>` (`ttl`); the "sent once" marker of an event
`USER#<user_id>`/`NOTEKEY#<dedupe key>` (`ttl`), written in the same transaction as the
notification on condition that it does not exist; per-user settings `USER#<user_id>`/`NOTESETTINGS`
(`low_balance` micro-dollars, `low_notified`), in gsi1 `NOTESETTINGS`/`<user_id>` while a
threshold is set (the low-balance job reads that partition, never a scan).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError

from ..store.base import Gsi1, IndexedItem, TableModel
from ..store.txn import Txn, TxnCancelled, commit_with_retry

_SETTINGS_INDEX = "NOTESETTINGS"


class NotificationItem(TableModel):
    table = "audit"

    notification_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    message = UnicodeAttribute()
    detail = UnicodeAttribute(default="{}")  # JSON text
    created_at = UnicodeAttribute()
    read = BooleanAttribute(default=False)
    ttl = NumberAttribute(null=True)


class NoteKeyItem(TableModel):
    table = "audit"

    created_at = UnicodeAttribute()
    ttl = NumberAttribute(null=True)


class NoteSettingsItem(IndexedItem):
    table = "audit"

    gsi1: Gsi1[NoteSettingsItem] = Gsi1()
    low_balance = NumberAttribute(null=True)  # micro-dollars; None: no low-balance notice
    low_notified = BooleanAttribute(default=False)
    updated_at = UnicodeAttribute(default="")


@dataclass(frozen=True)
class NotificationRow:
    notification_id: str
    user_id: str
    kind: str
    message: str
    detail: dict[str, Any]
    created_at: str
    read: bool


@dataclass(frozen=True)
class NoteSettingsRow:
    user_id: str
    low_balance: int | None
    low_notified: bool


def put_notification(row: NotificationRow, ttl: int, dedupe: str | None) -> bool:
    """Write `row`; with `dedupe`, only the first time that key is seen for the user (False after)."""
    pk = f"USER#{row.user_id}"

    def build() -> Txn:
        txn = Txn()
        if dedupe is not None:
            marker = NoteKeyItem(pk, f"NOTEKEY#{dedupe}", created_at=row.created_at, ttl=ttl)
            txn.put("marker", marker, condition=NoteKeyItem.pk.does_not_exist())
        txn.put("note", NotificationItem(pk, f"NOTE#{row.notification_id}", notification_id=row.notification_id,
                                         kind=row.kind, message=row.message, detail=json.dumps(row.detail, default=str),
                                         created_at=row.created_at, read=False, ttl=ttl))
        return txn

    try:
        commit_with_retry(build, time.sleep)
    except TxnCancelled:
        return False
    return True


def notifications(user_id: str, limit: int) -> list[NotificationRow]:
    """Newest first."""
    items = NotificationItem.query(f"USER#{user_id}", NotificationItem.sk.startswith("NOTE#"),
                                   scan_index_forward=False, limit=limit)
    return [_row(user_id, i) for i in items]


def mark_read(user_id: str, notification_id: str) -> bool:
    """False when the user has no such notification."""
    item = NotificationItem(f"USER#{user_id}", f"NOTE#{notification_id}")
    try:
        item.update(actions=[NotificationItem.read.set(True)], condition=NotificationItem.pk.exists())
    except UpdateError as exc:
        if getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def get_settings(user_id: str) -> NoteSettingsRow:
    try:
        item = NoteSettingsItem.get(f"USER#{user_id}", "NOTESETTINGS")
    except NoteSettingsItem.DoesNotExist:
        return NoteSettingsRow(user_id, None, False)
    return NoteSettingsRow(user_id, None if item.low_balance is None else int(item.low_balance),
                           bool(item.low_notified))


def put_low_balance(user_id: str, micros: int | None, now_iso: str) -> None:
    """Set (or clear) the threshold; a new threshold may notify again."""
    indexed = micros is not None
    NoteSettingsItem(f"USER#{user_id}", "NOTESETTINGS", low_balance=micros, low_notified=False, updated_at=now_iso,
                     gsi1pk=_SETTINGS_INDEX if indexed else None, gsi1sk=user_id if indexed else None).save()


def set_low_notified(user_id: str, notified: bool) -> bool:
    """Flip the flag; False when it already had that value (another run got there first), so of
    two overlapping job runs only one sends the notice."""
    item = NoteSettingsItem(f"USER#{user_id}", "NOTESETTINGS")
    try:
        item.update(actions=[NoteSettingsItem.low_notified.set(notified)],
                    condition=NoteSettingsItem.pk.exists() & (NoteSettingsItem.low_notified != notified))
    except UpdateError as exc:
        if getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def watched_balances() -> list[NoteSettingsRow]:
    """Every user with a low-balance threshold."""
    return [NoteSettingsRow(i.gsi1sk or "", None if i.low_balance is None else int(i.low_balance),
                            bool(i.low_notified))
            for i in NoteSettingsItem.gsi1.query(_SETTINGS_INDEX)]


def _row(user_id: str, i: NotificationItem) -> NotificationRow:
    return NotificationRow(i.notification_id, user_id, i.kind, i.message, json.loads(i.detail or "{}"),
                           i.created_at, bool(i.read))
