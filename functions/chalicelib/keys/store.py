"""The `keys` table: quotas and API keys (the metering area adds period usage and RPM items).

An API key item is found by the SHA-256 of the key (`KEY#<sha256>`, one GetItem on every
proxied request) and carries its quota's limits denormalised; every quota change updates
both items in one TransactWrite so they cannot disagree. Both are listed per user by gsi1.
The key item's `last_used_at` is set by the metering area in its settle step.
Amounts are integer micro-dollars.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from pynamodb.attributes import BooleanAttribute, ListAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from ..catalog.types import QuotaLimits
from ..kernel.clock import iso, parse_iso, parse_iso_or_none
from ..kernel.errors import BadRequest, Conflict, NotFound
from ..kernel.money import from_micros, to_micros
from ..store.base import Gsi1, TableModel, string_list
from .types import ApiKey, Quota

REPLACED_KEY_RETENTION = timedelta(days=30)  # replaced keys stay visible (refused) for a while


class KeysItem(TableModel):
    """Declares the keys table (keys, gsi1, ttl); every keys item type derives from it."""

    table: ClassVar[str] = "keys"
    creates_table: ClassVar[bool] = True
    ttl_attribute: ClassVar[str | None] = "ttl"

    class Meta(TableModel.Meta):
        pass

    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    ttl = TTLAttribute(null=True)
    gsi1: Gsi1[Any] = Gsi1()  # Any: QuotaItem.gsi1 reads QuotaItems, KeyItem.gsi1 KeyItems (a copy each)


class _LimitsMixin:
    """The limit attributes a quota and its key both carry."""

    period = UnicodeAttribute()
    limit_cost_micro = NumberAttribute(null=True)
    limit_tokens = NumberAttribute(null=True)
    rpm = NumberAttribute(null=True)
    warn_at = ListAttribute(of=UnicodeAttribute, default=list)
    auto_renew = BooleanAttribute(default=True)
    allow_own_providers = BooleanAttribute(null=True)  # absent on items older than the setting: allowed


def _limit_values(lim: QuotaLimits) -> dict[str, Any]:
    return {
        "period": lim.period,
        "limit_cost_micro": to_micros(lim.limit_cost) if lim.limit_cost is not None else None,
        "limit_tokens": lim.limit_tokens, "rpm": lim.rpm,
        "warn_at": [str(f) for f in lim.warn_at], "auto_renew": lim.auto_renew,
        "allow_own_providers": lim.allow_own_providers,
    }


def _limits_of(item: Any) -> QuotaLimits:
    return QuotaLimits(
        period=item.period,
        limit_cost=from_micros(item.limit_cost_micro) if item.limit_cost_micro is not None else None,
        limit_tokens=int(item.limit_tokens) if item.limit_tokens is not None else None,
        rpm=int(item.rpm) if item.rpm is not None else None,
        warn_at=tuple(Decimal(f) for f in item.warn_at or ()),
        auto_renew=bool(item.auto_renew),
        allow_own_providers=item.allow_own_providers is not False,
    )


class QuotaItem(_LimitsMixin, KeysItem):
    creates_table: ClassVar[bool] = False

    user_id = UnicodeAttribute()
    group_id = UnicodeAttribute()
    ends_at = UnicodeAttribute(null=True)
    key_id = UnicodeAttribute()
    key_hash = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    @classmethod
    def from_domain(cls, q: Quota) -> QuotaItem:
        return cls(
            f"QUOTA#{q.quota_id}", "QUOTA", gsi1pk=f"USER#{q.user_id}", gsi1sk=f"QUOTA#{q.quota_id}",
            user_id=q.user_id, group_id=q.group_id, ends_at=iso(q.ends_at) if q.ends_at else None,
            key_id=q.key_id, key_hash=q.key_hash, created_at=iso(q.created_at), updated_at=iso(q.updated_at),
            **_limit_values(q.limits),
        )

    def to_domain(self) -> Quota:
        return Quota(
            quota_id=self.pk.removeprefix("QUOTA#"), user_id=self.user_id, group_id=self.group_id,
            limits=_limits_of(self), key_id=self.key_id, key_hash=self.key_hash,
            created_at=parse_iso(self.created_at), updated_at=parse_iso(self.updated_at),
            ends_at=parse_iso_or_none(self.ends_at),
        )


class ApiKeyItem(_LimitsMixin, KeysItem):
    creates_table: ClassVar[bool] = False

    key_id = UnicodeAttribute()
    prefix = UnicodeAttribute()
    user_id = UnicodeAttribute()
    quota_id = UnicodeAttribute()
    group_id = UnicodeAttribute()
    status = UnicodeAttribute()
    expires_at = UnicodeAttribute(null=True)
    ip_allow = string_list(default=list)
    quota_ends_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    last_used_at = UnicodeAttribute(null=True)  # written by the metering area's settle step
    replaced_at = UnicodeAttribute(null=True)
    disabled_by = UnicodeAttribute(null=True)  # why a disabled key is: `user_status` is undone on re-enable
    rev = NumberAttribute(null=True)  # absent on items written before revisions: 0

    @classmethod
    def from_domain(cls, k: ApiKey) -> ApiKeyItem:
        return cls(
            f"KEY#{k.key_hash}", "KEY", gsi1pk=f"USER#{k.user_id}", gsi1sk=f"KEY#{k.key_id}",
            key_id=k.key_id, prefix=k.prefix, user_id=k.user_id, quota_id=k.quota_id, group_id=k.group_id,
            status=k.status, expires_at=iso(k.expires_at) if k.expires_at else None, ip_allow=list(k.ip_allow),
            quota_ends_at=iso(k.quota_ends_at) if k.quota_ends_at else None, created_at=iso(k.created_at),
            rev=k.rev, **_limit_values(k.limits),
        )

    def to_domain(self) -> ApiKey:
        return ApiKey(
            key_id=self.key_id, key_hash=self.pk.removeprefix("KEY#"), prefix=self.prefix, user_id=self.user_id,
            quota_id=self.quota_id, group_id=self.group_id, status=self.status, limits=_limits_of(self),
            created_at=parse_iso(self.created_at), expires_at=parse_iso_or_none(self.expires_at),
            ip_allow=tuple(self.ip_allow or ()), quota_ends_at=parse_iso_or_none(self.quota_ends_at),
            last_used_at=parse_iso_or_none(self.last_used_at), rev=int(self.rev or 0),
        )


def _connection() -> Connection:
    return Connection(region=KeysItem.Meta.region, host=KeysItem.Meta.host)


def _limit_actions(lim: QuotaLimits, cls: type[Any]) -> list[Any]:
    return [getattr(cls, k).set(v) if v is not None else getattr(cls, k).remove()
            for k, v in _limit_values(lim).items()]


def _encode_cursor(last: dict[str, Any] | None) -> str | None:
    return base64.urlsafe_b64encode(json.dumps(last).encode()).decode() if last else None


def _decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError) as exc:
        raise BadRequest("The cursor is not valid.", code="invalid_cursor") from exc
    if not isinstance(value, dict):
        raise BadRequest("The cursor is not valid.", code="invalid_cursor")
    return value


class KeysStore:
    """Storage for quotas and their keys."""

    def get_key(self, key_hash: str) -> ApiKey | None:
        """The one read of the proxy's hot path: GetItem by hash, strongly consistent so a
        key replaced or disabled a moment ago is already refused."""
        try:
            return ApiKeyItem.get(f"KEY#{key_hash}", "KEY", consistent_read=True).to_domain()
        except ApiKeyItem.DoesNotExist:
            return None

    def get_quota(self, quota_id: str) -> Quota:
        try:
            return QuotaItem.get(f"QUOTA#{quota_id}", "QUOTA", consistent_read=True).to_domain()
        except QuotaItem.DoesNotExist as exc:
            raise NotFound("No such quota.", code="quota_not_found") from exc

    def quotas_of_user(self, user_id: str) -> list[Quota]:
        rows = QuotaItem.gsi1.query(f"USER#{user_id}", QuotaItem.gsi1sk.startswith("QUOTA#"))
        return [r.to_domain() for r in rows]

    def keys_of_user(self, user_id: str) -> list[ApiKey]:
        rows = ApiKeyItem.gsi1.query(f"USER#{user_id}", ApiKeyItem.gsi1sk.startswith("KEY#"))
        return [r.to_domain() for r in rows]

    def list_quotas(self, limit: int, cursor: str | None) -> tuple[list[Quota], str | None]:
        """Every quota, paged (admin listing without a user filter)."""
        rows = QuotaItem.scan(QuotaItem.sk == "QUOTA", limit=limit, last_evaluated_key=_decode_cursor(cursor))
        items = [r.to_domain() for r in rows]
        return items, _encode_cursor(rows.last_evaluated_key)

    def quota_ids_in_group(self, group_id: str) -> list[str]:
        """Ids of the quotas on a model group: a filtered scan of quota items, made only when an
        admin deletes a group (rare), so no index is kept for it."""
        rows = QuotaItem.scan((QuotaItem.sk == "QUOTA") & (QuotaItem.group_id == group_id))
        return [r.pk.removeprefix("QUOTA#") for r in rows]

    def create_quota(self, quota: Quota, key: ApiKey) -> None:
        with TransactWrite(connection=_connection()) as tx:
            tx.save(QuotaItem.from_domain(quota), condition=QuotaItem.pk.does_not_exist())
            tx.save(ApiKeyItem.from_domain(key), condition=ApiKeyItem.pk.does_not_exist())

    def update_quota(self, old: Quota, new: Quota, key_options: dict[str, Any] | None = None) -> None:
        """Quota and key item change together; the condition on the key hash makes a
        concurrent key reset fail this write rather than leave the new key stale. The key's
        revision goes up, so a warm container's remembered copy is refused at reservation.
        `key_options` may set the key's `expires_at` (datetime or None) and `ip_allow`."""
        actions = _limit_actions(new.limits, ApiKeyItem)
        actions.append(ApiKeyItem.quota_ends_at.set(iso(new.ends_at)) if new.ends_at
                       else ApiKeyItem.quota_ends_at.remove())
        opts = key_options or {}
        if "expires_at" in opts:
            actions.append(ApiKeyItem.expires_at.set(iso(opts["expires_at"])) if opts["expires_at"]
                           else ApiKeyItem.expires_at.remove())
        if "ip_allow" in opts:
            actions.append(ApiKeyItem.ip_allow.set(list(opts["ip_allow"])))
        actions.append(ApiKeyItem.rev.add(1))  # a request admitted on the old values now fails its reservation
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.save(QuotaItem.from_domain(new), condition=QuotaItem.key_hash == old.key_hash)
                tx.update(ApiKeyItem(f"KEY#{old.key_hash}", "KEY"), actions=actions,
                          condition=ApiKeyItem.pk.exists())
        except TransactWriteError as exc:
            if exc.cause_response_code != "TransactionCanceledException":
                raise
            raise Conflict("The quota changed meanwhile; reload and retry.", code="quota_changed") from exc

    def get_keys(self, hashes: list[str]) -> dict[str, ApiKey]:
        """Several key items by hash (BatchGet), for admin listings."""
        found = ApiKeyItem.batch_get([(f"KEY#{h}", "KEY") for h in dict.fromkeys(hashes)])
        return {k.key_hash: k for k in (i.to_domain() for i in found)}

    def replace_key(self, quota: Quota, new_key: ApiKey, at: datetime) -> None:
        """New key item, old key item `replaced`, quota pointing at the new one: all or nothing."""
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.save(ApiKeyItem.from_domain(new_key), condition=ApiKeyItem.pk.does_not_exist())
                tx.update(ApiKeyItem(f"KEY#{quota.key_hash}", "KEY"), actions=[
                    ApiKeyItem.status.set("replaced"), ApiKeyItem.replaced_at.set(iso(at)),
                    ApiKeyItem.ttl.set(at + REPLACED_KEY_RETENTION),
                ], condition=ApiKeyItem.pk.exists())
                tx.update(QuotaItem(f"QUOTA#{quota.quota_id}", "QUOTA"), actions=[
                    QuotaItem.key_id.set(new_key.key_id), QuotaItem.key_hash.set(new_key.key_hash),
                    QuotaItem.updated_at.set(iso(at)),
                ], condition=QuotaItem.key_hash == quota.key_hash)
        except TransactWriteError as exc:
            if exc.cause_response_code != "TransactionCanceledException":
                raise
            raise Conflict("The key was reset meanwhile; reload and retry.", code="quota_changed") from exc

    def delete_quota(self, quota: Quota) -> None:
        """Quota and its key go together: the key stops working at once."""
        with TransactWrite(connection=_connection()) as tx:
            tx.delete(QuotaItem(f"QUOTA#{quota.quota_id}", "QUOTA"))
            tx.delete(ApiKeyItem(f"KEY#{quota.key_hash}", "KEY"))

    def disable_key(self, key_hash: str, reason: str) -> bool:
        """Active -> disabled, remembering why (`disabled_by`); False when the key was not active
        (already replaced or disabled)."""
        try:
            ApiKeyItem(f"KEY#{key_hash}", "KEY").update(
                actions=[ApiKeyItem.status.set("disabled"), ApiKeyItem.disabled_by.set(reason)],
                condition=ApiKeyItem.status == "active")
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def restore_key(self, key_hash: str, reason: str) -> bool:
        """Disabled -> active, only for a key disabled for `reason`; the revision goes up so no
        remembered copy outlives the change. False when the key was not disabled that way."""
        try:
            ApiKeyItem(f"KEY#{key_hash}", "KEY").update(
                actions=[ApiKeyItem.status.set("active"), ApiKeyItem.disabled_by.remove(), ApiKeyItem.rev.add(1)],
                condition=(ApiKeyItem.status == "disabled") & (ApiKeyItem.disabled_by == reason))
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            return False
        return True
