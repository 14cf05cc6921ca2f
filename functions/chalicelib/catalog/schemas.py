"""Request and response schemas of the catalog, quota and key routes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ..kernel.money import Money, NonNegativeMoney
from ..upstreams.types import BedrockSettings, ProviderType
from ..web.fields import JsonBool, NoCoercion, When
from .types import QuotaLimits


def _zero_is_no_limit(value: int) -> int | None:
    return value or None


# Requests per minute; 0 and null both mean no limit (as DEFAULT_RPM=0 does), stored and shown as null.
Rpm = Annotated[int, Field(ge=0, le=1_000_000), NoCoercion, AfterValidator(_zero_is_no_limit)]

Name = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^\S(.*\S)?$")]
Capability = Literal["chat", "embeddings", "vision", "tools"]
PeriodName = Literal["day", "week", "month", "none"]
Fraction = Annotated[Decimal, Field(gt=0, le=1, allow_inf_nan=False)]
Cidr = Annotated[str, Field(min_length=1, max_length=64)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- providers ---

class BedrockIn(_In):
    """A `bedrock` provider's settings: no API key, the deployment's IAM role signs the calls."""

    region: Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$", max_length=32)]
    # A cross-region inference profile's geography: bare model ids are called as `<profile>.<model>`.
    inference_profile: Annotated[str, Field(pattern=r"^[a-z]{2,6}(-[a-z]+)?$")] | None = None
    role_arn: Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$",
                                   max_length=2048)] | None = None

    def to_settings(self) -> BedrockSettings:
        return BedrockSettings(region=self.region, inference_profile=self.inference_profile, role_arn=self.role_arn)


class BedrockOut(BaseModel):
    region: str
    inference_profile: str | None
    role_arn: str | None


class ProviderIn(_In):
    name: Name
    type: ProviderType
    # Required for openai/anthropic; a bedrock provider has none (its region decides).
    base_url: Annotated[str, Field(min_length=8, max_length=2048)] | None = None
    api_key: Annotated[str, Field(max_length=4096)] = ""
    bedrock: BedrockIn | None = None
    # An `openai` provider that serves `/responses` itself: /v1/responses is passed through to it.
    responses_api: JsonBool = False


class ProviderUpdate(_In):
    name: Name | None = None
    type: ProviderType | None = None
    base_url: Annotated[str, Field(min_length=8, max_length=2048)] | None = None
    api_key: Annotated[str, Field(max_length=4096)] | None = None
    bedrock: BedrockIn | None = None
    responses_api: JsonBool | None = None


class ProviderHealthOut(BaseModel):
    healthy: bool
    last_test_ok: bool | None
    last_test_at: datetime | None
    last_test_detail: str | None
    last_latency_ms: int | None
    last_error: str | None
    last_error_at: datetime | None
    consecutive_failures: int
    unhealthy_until: datetime | None


class BalanceOut(BaseModel):
    """A provider's remaining credit as it last reported it (in its own currency)."""

    amount: Money
    currency: str
    checked_at: datetime


class ProviderOut(BaseModel):
    provider_id: str
    name: str
    type: str
    base_url: str
    api_key_hint: str
    health: ProviderHealthOut
    bedrock: BedrockOut | None = None
    responses_api: bool = False
    created_at: datetime
    updated_at: datetime
    balance: BalanceOut | None = None  # for providers whose host reports its remaining credit


class ProviderList(BaseModel):
    items: list[ProviderOut]


class ProbeOut(BaseModel):
    ok: bool
    latency_ms: int
    detail: str


class SyncOut(BaseModel):
    added: int
    updated: int
    unchanged: int


# --- models ---

class ModelIn(_In):
    name: Name
    provider: Annotated[str, Field(min_length=1, max_length=64)]
    upstream_model: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    input_price: NonNegativeMoney
    output_price: NonNegativeMoney
    capabilities: Annotated[list[Capability], Field(max_length=4)] = ["chat"]
    max_output_tokens: Annotated[int, Field(ge=1, le=10_000_000), NoCoercion] = 4096
    enabled: JsonBool = True


class ModelUpdate(_In):
    name: Name | None = None
    provider: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    upstream_model: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    input_price: NonNegativeMoney | None = None
    output_price: NonNegativeMoney | None = None
    capabilities: Annotated[list[Capability], Field(max_length=4)] | None = None
    max_output_tokens: Annotated[int, Field(ge=1, le=10_000_000), NoCoercion] | None = None
    enabled: JsonBool | None = None


class ModelOut(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    model_id: str
    name: str
    provider: str
    upstream_model: str
    input_price: Money
    output_price: Money
    capabilities: list[str]
    max_output_tokens: int
    enabled: bool
    created_at: datetime
    updated_at: datetime


class ModelList(BaseModel):
    items: list[ModelOut]


# --- groups ---

class LimitsIn(_In):
    period: PeriodName = "month"
    limit_cost: NonNegativeMoney | None = None
    limit_tokens: Annotated[int, Field(ge=0), NoCoercion] | None = None
    rpm: Rpm | None = None
    warn_at: Annotated[list[Fraction], Field(max_length=10)] = []
    auto_renew: JsonBool = True
    allow_own_providers: JsonBool = True

    def to_limits(self) -> QuotaLimits:
        return QuotaLimits(period=self.period, limit_cost=self.limit_cost, limit_tokens=self.limit_tokens,
                           rpm=self.rpm, warn_at=tuple(self.warn_at), auto_renew=self.auto_renew,
                           allow_own_providers=self.allow_own_providers)


class LimitsOut(BaseModel):
    period: str
    limit_cost: Money | None
    limit_tokens: int | None
    rpm: int | None
    warn_at: list[Decimal]
    auto_renew: bool
    allow_own_providers: bool = True


class GroupIn(_In):
    name: Name
    models: Annotated[list[Name], Field(max_length=500)] = []
    default_quota: LimitsIn = LimitsIn()


class GroupUpdate(_In):
    name: Name | None = None
    models: Annotated[list[Name], Field(max_length=500)] | None = None
    default_quota: LimitsIn | None = None


class GroupOut(BaseModel):
    group_id: str
    name: str
    models: list[str]
    default_quota: LimitsOut
    created_at: datetime
    updated_at: datetime


class GroupList(BaseModel):
    items: list[GroupOut]


# --- quotas and keys ---

class KeyOut(BaseModel):
    key_id: str
    prefix: str | None = None
    status: str | None = None
    created_at: datetime | None = None
    last_used_at: datetime | None = None
    expires_at: datetime | None = None
    ip_allow: list[str] = []


class QuotaOut(BaseModel):
    quota_id: str
    user_id: str
    group: str | None
    group_id: str
    period: str
    limit_cost: Money | None
    limit_tokens: int | None
    rpm: int | None
    warn_at: list[Decimal]
    auto_renew: bool
    allow_own_providers: bool = True  # the quota's keys may use the user's own providers
    used_cost: Money = Decimal(0)
    used_tokens: int = 0
    period_key: str
    period_start: datetime | None
    period_end: datetime | None
    ends_at: datetime | None
    created_at: datetime
    updated_at: datetime
    key: KeyOut


class QuotaList(BaseModel):
    items: list[QuotaOut]
    next_cursor: str | None = None


class IssuedKeyOut(BaseModel):
    key_id: str
    key: str
    prefix: str
    quota_id: str


class QuotaCreated(QuotaOut):
    api_key: IssuedKeyOut
    # The limit fields the request left out, taken from the group's default_quota.
    defaults_applied: list[str] = []


class IssuedKeyList(BaseModel):
    items: list[IssuedKeyOut]


class QuotaIn(_In):
    user_id: Annotated[str, Field(min_length=1, max_length=64)]
    group: Annotated[str, Field(min_length=1, max_length=128)]
    period: PeriodName | None = None
    limit_cost: NonNegativeMoney | None = None
    limit_tokens: Annotated[int, Field(ge=0), NoCoercion] | None = None
    rpm: Rpm | None = None
    warn_at: Annotated[list[Fraction], Field(max_length=10)] | None = None
    auto_renew: JsonBool | None = None
    allow_own_providers: JsonBool | None = None
    expires_at: When | None = None
    ip_allow: Annotated[list[Cidr], Field(max_length=50)] = []


class QuotaUpdate(_In):
    period: PeriodName | None = None
    limit_cost: NonNegativeMoney | None = None
    limit_tokens: Annotated[int, Field(ge=0), NoCoercion] | None = None
    rpm: Rpm | None = None
    warn_at: Annotated[list[Fraction], Field(max_length=10)] | None = None
    auto_renew: JsonBool | None = None
    allow_own_providers: JsonBool | None = None
    expires_at: When | None = None
    ip_allow: Annotated[list[Cidr], Field(max_length=50)] | None = None


class QuotaQuery(_In):
    user_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Annotated[str, Field(max_length=2048)] | None = None
