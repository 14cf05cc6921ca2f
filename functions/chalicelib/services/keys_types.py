"""Quota and API key domain objects (plain dataclasses); `KeyInfo` for the proxy is in domain.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .catalog_types import QuotaLimits


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
