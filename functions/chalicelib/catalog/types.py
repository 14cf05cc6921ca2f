"""Catalog domain objects (plain dataclasses): providers, models, groups, quota limits.

Table items (`catalog/store.py`) convert to and from these at the table edge; the
admin API's pydantic schemas convert from them at the route edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import get_args

from ..kernel.errors import BadRequest
from ..kernel.periods import QUOTA_PERIODS
from ..upstreams.types import BedrockSettings, ProviderType

PROVIDER_TYPES: tuple[str, ...] = get_args(ProviderType)  # the one list: upstreams.types.ProviderType
CAPABILITIES = ("chat", "embeddings", "vision", "tools")


@dataclass(frozen=True)
class HealthCheck:
    """One health check of a provider (the periodic job's or an admin's connection test)."""

    at: datetime
    ok: bool
    latency_ms: int
    error: str | None = None


@dataclass(frozen=True)
class ProviderHealth:
    """What the admin sees about a provider's recent behaviour (tests and proxy calls)."""

    last_test_ok: bool | None = None
    last_test_at: datetime | None = None
    last_test_detail: str | None = None
    last_latency_ms: int | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    consecutive_failures: int = 0
    unhealthy_until: datetime | None = None
    history: tuple[HealthCheck, ...] = ()  # the recent checks, newest first

    def healthy_at(self, now: datetime) -> bool:
        return self.unhealthy_until is None or self.unhealthy_until <= now


@dataclass(frozen=True)
class Provider:
    provider_id: str
    name: str
    type: str
    base_url: str
    api_key_enc: str = field(repr=False)  # Fernet token; decrypted only to call the upstream
    api_key_hint: str
    created_at: datetime
    updated_at: datetime
    health: ProviderHealth = field(default_factory=ProviderHealth)
    bedrock: BedrockSettings | None = None  # type "bedrock": region, profile, role (its base_url is informative)
    responses_api: bool = False  # type "openai": serves /responses itself, so /v1/responses passes through


@dataclass(frozen=True)
class CatalogModel:
    model_id: str
    name: str
    provider_id: str
    upstream_model: str
    input_price: Decimal  # USD per 1M tokens
    output_price: Decimal
    capabilities: tuple[str, ...]
    max_output_tokens: int
    enabled: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class QuotaLimits:
    """A quota's limits: a group's default, or one user's quota."""

    period: str = "month"
    limit_cost: Decimal | None = None  # USD per period
    limit_tokens: int | None = None
    rpm: int | None = None
    warn_at: tuple[Decimal, ...] = ()
    auto_renew: bool = True
    allow_own_providers: bool = True  # its keys may route `<own provider>/<model>` (bring your own key)


@dataclass(frozen=True)
class Group:
    group_id: str
    name: str
    models: tuple[str, ...]  # public model names
    default_quota: QuotaLimits
    created_at: datetime
    updated_at: datetime


def validate_limits(lim: QuotaLimits) -> QuotaLimits:
    if lim.period not in QUOTA_PERIODS:
        raise BadRequest(f"period must be one of {', '.join(QUOTA_PERIODS)}.", code="invalid_period")
    if any(not (Decimal(0) < f <= Decimal(1)) for f in lim.warn_at):
        raise BadRequest("warn_at fractions must be > 0 and <= 1.", code="invalid_warn_at")
    if lim.limit_cost is not None and lim.limit_cost < 0:
        raise BadRequest("limit_cost must not be negative.", code="invalid_limit")
    return replace(lim, warn_at=tuple(sorted(set(lim.warn_at))))


@dataclass(frozen=True)
class ProviderBalance:
    """A provider's remaining credit as it last reported it."""

    amount: Decimal
    currency: str
    checked_at: datetime


@dataclass(frozen=True)
class OwnProvider:
    """A user's own upstream (bring your own key): only its owner's requests ever use it."""

    provider_id: str
    user_id: str
    name: str
    type: str
    base_url: str
    api_key_enc: str = field(repr=False)  # Fernet token; decrypted only to call the upstream
    api_key_hint: str
    created_at: datetime
    updated_at: datetime
    balance_kind: str | None = None  # how its remaining credit is read (upstreams.balances); None: not read
    low_balance_threshold: Decimal | None = None  # the owner is notified when the balance falls below it
    balance: ProviderBalance | None = None
    low_balance_notified: bool = False  # armed again once the balance is back at or above the threshold


@dataclass(frozen=True)
class OwnProviderSpec:
    """What a user sends to create or change a provider (None: unchanged on update)."""

    name: str | None = None
    type: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    balance_kind: str | None = None  # "auto" (by the base URL's host), "none", or a kind
    low_balance_threshold: Decimal | None = None
    clear_threshold: bool = False


@dataclass(frozen=True)
class ConnectionTest:
    ok: bool
    latency_ms: int
    detail: str


# --- what the catalog services answer (routes turn them into their schemas) ---

@dataclass(frozen=True)
class ProviderHealthView:
    """A provider's health as read at one moment: `healthy` is decided then."""

    healthy: bool
    last_test_ok: bool | None
    last_test_at: datetime | None
    last_test_detail: str | None
    last_latency_ms: int | None
    last_error: str | None
    last_error_at: datetime | None
    consecutive_failures: int
    unhealthy_until: datetime | None


@dataclass(frozen=True)
class ProviderView:
    """A provider as the admin sees it: never the key, only its hint."""

    provider_id: str
    name: str
    type: str
    base_url: str
    api_key_hint: str
    created_at: datetime
    updated_at: datetime
    bedrock: BedrockSettings | None
    responses_api: bool
    health: ProviderHealthView


@dataclass(frozen=True)
class ListedProvider(ProviderView):
    """A provider in the admin's list, with its remaining credit when its host reports one."""

    balance: ProviderBalance | None = None


@dataclass(frozen=True)
class ModelView:
    """A model as the admin API names it: its provider's id as `provider`."""

    model_id: str
    name: str
    provider: str
    upstream_model: str
    input_price: Decimal
    output_price: Decimal
    capabilities: tuple[str, ...]
    max_output_tokens: int
    enabled: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class SyncResult:
    """What a model sync did: models added, given capabilities, left as they were."""

    added: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class CheckView:
    """One health check as the admin overview shows it (its time as ISO text)."""

    at: str
    ok: bool
    latency_ms: int
    error: str | None


@dataclass(frozen=True)
class ProviderStatus:
    """A provider in the admin overview: healthy now, its last error and recent checks."""

    name: str
    healthy: bool
    last_error: str | None
    checked_at: str | None
    latency_ms: int | None
    history: tuple[CheckView, ...]
