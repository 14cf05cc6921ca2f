"""The `ledger` table: one balance item per user, append-only entries, request holds.

Layout (docs/internals.md):
- balance + membership `USER#<user_id>`/`BALANCE`: `available`, `held` (integer
  micro-dollars, so update arithmetic is exact), `plan`, `expires_at`, `auto_renew`;
- entry `USER#<user_id>`/`ENTRY#<ulid>`: `type`, signed `amount` (micro-dollars), `ref`,
  `created_at`, `meta` (JSON text); a charge's ulid is its request id; entries older than the
  retention are folded into the `opening` entry `ENTRY#<26 zeros>` (ledger/retention.py);
- hold `USER#<user_id>`/`HOLD#<request_id>` with gsi1 `HOLDS#<0..15>`/`<expires_at iso>`, the
  shard chosen by the request id: no index partition takes every request of the deployment
  (one partition sustains 1,000 writes/s; a put and a delete per request capped the whole
  deployment near 500 requests/s). The expiry job reads every shard.

Invariant kept by every writer: the sum of a user's entry amounts equals
`available + held`. Writers add their pieces to a `Txn`; this module never commits a
money change on its own, so a change and its entry are always one transaction.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import Attribute, BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action

from ..store.base import Gsi1, IndexedItem, TableItem, TableModel
from ..store.txn import Txn

BALANCE_SK = "BALANCE"
HOLD_SHARDS = 16
LEGACY_HOLDS = "HOLDS"  # the one partition of holds made before sharding: read until it is empty


def holds_shard(request_id: str) -> str:
    return f"HOLDS#{zlib.crc32(request_id.encode()) % HOLD_SHARDS}"


def user_pk(user_id: str) -> str:
    return f"USER#{user_id}"


class BalanceItem(TableItem):
    table = "ledger"
    gsi1: Gsi1[BalanceItem] = Gsi1()

    available = NumberAttribute(default=0)  # micro-dollars
    held = NumberAttribute(default=0)  # micro-dollars
    plan = UnicodeAttribute(null=True)
    expires_at = UnicodeAttribute(null=True)  # ISO 8601 UTC
    auto_renew = BooleanAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)


class EntryItem(TableModel):
    table = "ledger"

    entry_id = UnicodeAttribute()
    type = UnicodeAttribute()  # topup|redeem|charge|refund|renewal|adjustment|signup_credit|opening
    amount = NumberAttribute()  # signed micro-dollars: credits > 0, debits < 0
    ref = UnicodeAttribute(default="")
    created_at = UnicodeAttribute()
    meta = UnicodeAttribute(default="{}")  # JSON text
    folded_through = UnicodeAttribute(null=True)  # the `opening` entry only (ledger/retention_store.py)


class HoldItem(IndexedItem):
    table = "ledger"

    hold_index: Gsi1[HoldItem] = Gsi1()

    request_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    amount = NumberAttribute()  # micro-dollars held
    quota_id = UnicodeAttribute()
    period_key = UnicodeAttribute()
    tokens = NumberAttribute()  # tokens reserved on the quota period
    key_id = UnicodeAttribute(default="")
    key_hash = UnicodeAttribute(default="")
    model = UnicodeAttribute(default="")
    ip = UnicodeAttribute(default="")
    created_at = UnicodeAttribute()
    expires_at = UnicodeAttribute()


@dataclass(frozen=True)
class BalanceRow:
    user_id: str
    available: int
    held: int
    plan: str | None
    expires_at: str | None
    auto_renew: bool


@dataclass(frozen=True)
class EntryRow:
    user_id: str
    entry_id: str
    type: str
    amount: int
    ref: str
    created_at: str
    meta: dict[str, Any]


@dataclass(frozen=True)
class HoldRow:
    user_id: str
    request_id: str
    amount: int
    quota_id: str
    period_key: str
    tokens: int
    key_id: str
    key_hash: str
    model: str
    ip: str
    created_at: str
    expires_at: str


# --- reads ---------------------------------------------------------------------------


def get_balance(user_id: str, consistent: bool = True) -> BalanceRow:
    """The balance item; a user who never had money has a zero balance."""
    try:
        item = BalanceItem.get(user_pk(user_id), BALANCE_SK, consistent_read=consistent)
    except DoesNotExist:
        return BalanceRow(user_id, 0, 0, None, None, False)
    return BalanceRow(user_id, int(item.available or 0), int(item.held or 0), item.plan,
                      item.expires_at, bool(item.auto_renew))


def get_balances(user_ids: list[str]) -> dict[str, BalanceRow]:
    """Balance items of several users (BatchGetItem); users without one get a zero balance."""
    rows = {uid: BalanceRow(uid, 0, 0, None, None, False) for uid in user_ids}
    for item in BalanceItem.batch_get([(user_pk(uid), BALANCE_SK) for uid in dict.fromkeys(user_ids)]):
        uid = item.pk.removeprefix("USER#")
        rows[uid] = BalanceRow(uid, int(item.available or 0), int(item.held or 0), item.plan, item.expires_at,
                               bool(item.auto_renew))
    return rows


def list_entries(user_id: str, limit: int | None = None, newest_first: bool = True) -> list[EntryRow]:
    """A user's entries in time order (entry ids are ULIDs); paging is the ledger area's."""
    items = EntryItem.query(user_pk(user_id), EntryItem.sk.startswith("ENTRY#"),
                            scan_index_forward=not newest_first, limit=limit)
    return [_entry(i) for i in items]


def get_hold(user_id: str, request_id: str) -> HoldRow | None:
    try:
        return _hold(HoldItem.get(user_pk(user_id), f"HOLD#{request_id}", consistent_read=True))
    except DoesNotExist:
        return None


def holds_expiring_before(expires_iso: str, limit: int = 100) -> list[HoldRow]:
    """Holds whose expiry is before `expires_iso` (the release job), oldest first: up to `limit`
    from each shard (one Query each), merged, the oldest `limit` kept."""
    found: list[HoldRow] = []
    for shard in [*(f"HOLDS#{n}" for n in range(HOLD_SHARDS)), LEGACY_HOLDS]:
        found += [_hold(i) for i in HoldItem.hold_index.query(shard, HoldItem.gsi1sk < expires_iso, limit=limit)]
    return sorted(found, key=lambda h: h.expires_at)[:limit]


def _entry(item: EntryItem) -> EntryRow:
    return EntryRow(item.pk.removeprefix("USER#"), item.entry_id, item.type, int(item.amount),
                    item.ref, item.created_at, json.loads(item.meta or "{}"))


def _hold(item: HoldItem) -> HoldRow:
    return HoldRow(item.user_id, item.request_id, int(item.amount), item.quota_id, item.period_key,
                   int(item.tokens), item.key_id, item.key_hash, item.model, item.ip,
                   item.created_at, item.expires_at)


# --- transaction pieces ------------------------------------------------------------------


def move_to_held(txn: Txn, user_id: str, micros: int) -> None:
    """Label `balance`: available -= micros, held += micros, refused below zero."""
    item = BalanceItem(user_pk(user_id), BALANCE_SK)
    actions = [BalanceItem.available.add(-micros), BalanceItem.held.add(micros)]
    # A zero hold (free model) needs no money, not even a balance item.
    condition = BalanceItem.available >= micros if micros > 0 else None
    txn.update("balance", item, actions, condition)


def settle_held(txn: Txn, user_id: str, held: int, charged: int, now_iso: str) -> None:
    """Label `balance`: release `held` and debit `charged`; the excess over the hold
    is taken from available only if available covers it (never below zero)."""
    item = BalanceItem(user_pk(user_id), BALANCE_SK)
    actions = [BalanceItem.held.add(-held), BalanceItem.available.add(held - charged),
               BalanceItem.updated_at.set(now_iso)]
    excess = charged - held
    condition = BalanceItem.available >= excess if excess > 0 else None
    txn.update("balance", item, actions, condition)


def change_available(txn: Txn, user_id: str, micros: int, now_iso: str,
                     membership: dict[str, Any] | None = None) -> None:
    """Label `balance`: available += micros (a debit when negative, refused below zero);
    `membership` may set plan / expires_at / auto_renew in the same write."""
    item = BalanceItem(user_pk(user_id), BALANCE_SK)
    actions: list[Action] = [BalanceItem.available.add(micros), BalanceItem.held.add(0),
                             BalanceItem.updated_at.set(now_iso)]
    membership_attributes: dict[str, Attribute[Any]] = {
        "plan": BalanceItem.plan, "expires_at": BalanceItem.expires_at, "auto_renew": BalanceItem.auto_renew}
    for name, value in (membership or {}).items():
        attr = membership_attributes[name]
        actions.append(attr.remove() if value is None else attr.set(value))
    condition = BalanceItem.available >= -micros if micros < 0 else None
    txn.update("balance", item, actions, condition)


def put_entry(txn: Txn, user_id: str, entry_id: str, type_: str, micros: int, ref: str,
              created_at: str, meta: dict[str, Any] | None = None) -> None:
    """Label `entry`: append an entry; an entry id is written once (idempotency)."""
    item = EntryItem(user_pk(user_id), f"ENTRY#{entry_id}", entry_id=entry_id, type=type_, amount=micros,
                     ref=ref, created_at=created_at,
                     meta=json.dumps(meta or {}, separators=(",", ":"), default=str))
    txn.put("entry", item, EntryItem.pk.does_not_exist())


def put_hold(txn: Txn, hold: HoldRow) -> None:
    """Label `hold`: a new hold; a request id holds money once."""
    item = HoldItem(user_pk(hold.user_id), f"HOLD#{hold.request_id}", gsi1pk=holds_shard(hold.request_id),
                    gsi1sk=hold.expires_at,
                    request_id=hold.request_id, user_id=hold.user_id, amount=hold.amount,
                    quota_id=hold.quota_id, period_key=hold.period_key, tokens=hold.tokens,
                    key_id=hold.key_id, key_hash=hold.key_hash, model=hold.model, ip=hold.ip,
                    created_at=hold.created_at, expires_at=hold.expires_at)
    txn.put("hold", item, HoldItem.pk.does_not_exist())


def delete_hold(txn: Txn, user_id: str, request_id: str) -> None:
    """Label `hold`: remove a hold that must still exist (a second settle or release fails here)."""
    txn.delete("hold", HoldItem(user_pk(user_id), f"HOLD#{request_id}"), HoldItem.pk.exists())
