"""Metering items in the `keys` table (the keys area's model creates that table).

- period usage `QUOTA#<quota_id>`/`PERIOD#<period_key>`: `cost` and `tokens` count what is
  used plus what is held (so a reservation's condition sees in-flight requests), with the
  held parts also kept apart (`held_cost`, `held_tokens`) and `requests` settled;
- RPM window `QUOTA#<quota_id>`/`RPM#<epoch_minute>`: `count`, `ttl` (a fixed window);
- the key item `KEY#<sha256>`/`KEY`: read here only through `status` and `rev` (a
  reservation's condition, so a revoked or changed key stops without a second read) and
  `last_used_at`, an ISO string set after the settle, at most once a minute per key.
Costs are integer micro-dollars.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, UpdateError

from ..store.base import TableModel
from ..store.txn import StorageError, Txn


class QuotaPeriodItem(TableModel):
    table = "keys"

    cost = NumberAttribute(default=0)  # micro-dollars, used + held
    tokens = NumberAttribute(default=0)  # used + held
    held_cost = NumberAttribute(default=0)
    held_tokens = NumberAttribute(default=0)
    requests = NumberAttribute(default=0)


class RpmWindowItem(TableModel):
    table = "keys"

    count = NumberAttribute(default=0)  # type: ignore[assignment]  # the stored name; hides Model.count(), unused here
    ttl = NumberAttribute(null=True)


class KeyStateItem(TableModel):
    """The two attributes of the keys area's key item that metering reads or writes."""

    table = "keys"

    status = UnicodeAttribute(null=True)
    last_used_at = UnicodeAttribute(null=True)
    rev = NumberAttribute(null=True)


@dataclass(frozen=True)
class PeriodUsage:
    cost: int  # used + held, micro-dollars
    tokens: int
    held_cost: int
    held_tokens: int
    requests: int

    @property
    def used_cost(self) -> int:
        return self.cost - self.held_cost

    @property
    def used_tokens(self) -> int:
        return self.tokens - self.held_tokens


def quota_pk(quota_id: str) -> str:
    return f"QUOTA#{quota_id}"


def key_pk(key_hash: str) -> str:
    return f"KEY#{key_hash}"


def get_period_usage(quota_id: str, period_key: str, consistent: bool = False) -> PeriodUsage:
    """A quota's usage in one period; a period nobody used yet is all zeros."""
    try:
        item = QuotaPeriodItem.get(quota_pk(quota_id), f"PERIOD#{period_key}", consistent_read=consistent)
    except DoesNotExist:
        return PeriodUsage(0, 0, 0, 0, 0)
    return PeriodUsage(int(item.cost or 0), int(item.tokens or 0), int(item.held_cost or 0),
                       int(item.held_tokens or 0), int(item.requests or 0))


def get_rpm_count(quota_id: str, minute: int, consistent: bool = True) -> int:
    try:
        return int(RpmWindowItem.get(quota_pk(quota_id), f"RPM#{minute}", consistent_read=consistent).count or 0)
    except DoesNotExist:
        return 0


# --- transaction pieces ------------------------------------------------------------------


def reserve_period(txn: Txn, quota_id: str, period_key: str, cost: int, tokens: int,
                   cost_room: int | None, token_room: int | None) -> None:
    """Label `quota`: add a reservation, refused when it would pass a limit.

    `cost_room` / `token_room` are `limit - reservation` (None: no such limit); the
    condition is `used + held <= room`, only for the limits that exist."""
    item = QuotaPeriodItem(quota_pk(quota_id), f"PERIOD#{period_key}")
    actions = [QuotaPeriodItem.cost.add(cost), QuotaPeriodItem.tokens.add(tokens),
               QuotaPeriodItem.held_cost.add(cost), QuotaPeriodItem.held_tokens.add(tokens)]
    condition = None
    for attr, room in ((QuotaPeriodItem.cost, cost_room), (QuotaPeriodItem.tokens, token_room)):
        if room is None:
            continue
        piece = attr.does_not_exist() | (attr <= room)
        condition = piece if condition is None else condition & piece
    txn.update("quota", item, actions, condition)


def settle_period(txn: Txn, quota_id: str, period_key: str, held_cost: int, held_tokens: int,
                  cost: int, tokens: int, requests: int = 1) -> None:
    """Label `quota`: replace a reservation by what was used (no condition: the work is done)."""
    item = QuotaPeriodItem(quota_pk(quota_id), f"PERIOD#{period_key}")
    txn.update("quota", item, [
        QuotaPeriodItem.cost.add(cost - held_cost), QuotaPeriodItem.tokens.add(tokens - held_tokens),
        QuotaPeriodItem.held_cost.add(-held_cost), QuotaPeriodItem.held_tokens.add(-held_tokens),
        QuotaPeriodItem.requests.add(requests),
    ])


def count_request(txn: Txn, quota_id: str, minute: int, rpm: int, ttl: int) -> None:
    """Label `rpm`: one more request in this minute's window, refused at `rpm`."""
    item = RpmWindowItem(quota_pk(quota_id), f"RPM#{minute}")
    condition = RpmWindowItem.count.does_not_exist() | (RpmWindowItem.count < rpm)
    txn.update("rpm", item, [RpmWindowItem.count.add(1), RpmWindowItem.ttl.set(ttl)], condition)


def check_key_active(txn: Txn, key_hash: str, rev: int) -> None:
    """Label `key`: the key item still says `active` and is at revision `rev`, the one the
    request was admitted on (revocation or a change needs no second read)."""
    same_rev = (KeyStateItem.rev == rev) if rev else (KeyStateItem.rev.does_not_exist() | (KeyStateItem.rev == 0))
    txn.check("key", KeyStateItem, key_pk(key_hash), "KEY", (KeyStateItem.status == "active") & same_rev)


def touch_key(key_hash: str, now_iso: str, stale_before_iso: str) -> None:
    """Set `last_used_at` (one UpdateItem) on a key item that exists and was last used before
    `stale_before_iso`: at most one write a minute per key, whatever the number of containers."""
    item = KeyStateItem(key_pk(key_hash), "KEY")
    stale = KeyStateItem.last_used_at.does_not_exist() | (KeyStateItem.last_used_at < stale_before_iso)
    try:
        item.update([KeyStateItem.last_used_at.set(now_iso)], condition=KeyStateItem.pk.exists() & stale)
    except UpdateError as exc:
        if getattr(exc, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise StorageError(f"last use not written: {type(exc.cause).__name__}") from exc
