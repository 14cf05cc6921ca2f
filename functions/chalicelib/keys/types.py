"""Quota and API key domain objects (plain dataclasses).

`KeyInfo` is what the proxy and metering read of a key: one GetItem by key hash, with the
quota's limits denormalised onto the key item so the proxy needs no second read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ..catalog.types import QuotaLimits


@dataclass(frozen=True)
class Quota:
    """A user's allowance on one model group, with its one active key."""

    quota_id: str
    user_id: str
    group_id: str
    limits: QuotaLimits
    key_id: str
    key_hash: str
    created_at: datetime
    updated_at: datetime
    ends_at: datetime | None = None  # auto_renew false: the end of the period it was created in


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    key_hash: str
    prefix: str
    user_id: str
    quota_id: str
    group_id: str
    status: str  # active | disabled | replaced
    limits: QuotaLimits  # the quota's, denormalised so the proxy needs one read
    created_at: datetime
    expires_at: datetime | None = None
    ip_allow: tuple[str, ...] = ()
    quota_ends_at: datetime | None = None
    last_used_at: datetime | None = None
    rev: int = 0  # bumped by every change a lookup would see; the reservation checks it


@dataclass(frozen=True)
class IssuedKey:
    """A freshly made key: the plaintext exists only in this object, shown once."""

    key_id: str
    key: str
    prefix: str
    quota_id: str

    def as_dict(self) -> dict[str, str]:
        return {"key_id": self.key_id, "key": self.key, "prefix": self.prefix, "quota_id": self.quota_id}


@dataclass(frozen=True)
class KeyInfo:
    key_id: str
    key_hash: str
    prefix: str
    user_id: str
    quota_id: str
    group: str  # model group id
    status: str  # "active" | "disabled" | "replaced"
    expires_at: datetime | None
    ip_allow: tuple[str, ...]  # CIDRs; empty = any
    period: str  # day | week | month | none
    limit_cost: Decimal | None  # USD per period; None = no cost limit
    limit_tokens: int | None
    rpm: int | None  # requests per minute; None = unlimited
    quota_ends_at: datetime | None = None  # one-off quota (auto_renew false): end of its period
    rev: int = 0  # the key item's revision this information was read at
    allow_own_providers: bool = True  # the quota lets this key use the user's own providers


# --- what the keys service answers (routes turn them into their schemas) ---

@dataclass(frozen=True)
class KeyView:
    """A quota's key as its owner and the admins see it: never the key, only its prefix.
    Only `key_id` is known when the key item was not read."""

    key_id: str
    prefix: str | None = None
    status: str | None = None
    created_at: datetime | None = None
    last_used_at: datetime | None = None
    expires_at: datetime | None = None
    ip_allow: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuotaView:
    """A quota with its group's name, its limits, this period's window and its key."""

    quota_id: str
    user_id: str
    group: str | None  # None once the group is gone
    group_id: str
    period: str
    limit_cost: Decimal | None
    limit_tokens: int | None
    rpm: int | None
    warn_at: tuple[Decimal, ...]
    auto_renew: bool
    allow_own_providers: bool
    period_key: str
    period_start: datetime | None
    period_end: datetime | None
    ends_at: datetime | None
    created_at: datetime
    updated_at: datetime
    key: KeyView


@dataclass(frozen=True)
class QuotaUsage(QuotaView):
    """A quota with what this period has used of it."""

    used_cost: Decimal = Decimal(0)
    used_tokens: int = 0
