"""Domain objects shared between areas (plain dataclasses, not table items).

The keys area produces `KeyInfo` (one GetItem by key hash, with the quota's limits
denormalised onto the key item so the proxy needs no second read); the catalog area
produces `ModelRoute`s; the metering area consumes both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


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


@dataclass(frozen=True)
class ProviderTargetInfo:
    provider_id: str
    name: str
    type: str  # "openai" | "anthropic"
    base_url: str
    api_key: str = field(repr=False)  # decrypted, never logged
    healthy: bool = True


@dataclass(frozen=True)
class ModelRoute:
    """A public model name and the providers that can serve it, primary first."""

    model_id: str
    name: str
    input_price: Decimal  # USD per 1M tokens
    output_price: Decimal
    max_output_tokens: int
    capabilities: tuple[str, ...]
    targets: tuple[tuple[ProviderTargetInfo, str], ...]  # (provider, upstream_model)
