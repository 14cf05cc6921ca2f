"""Request and response schemas of a user's own providers (`/api/my/providers`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..kernel.money import NonNegativeMoney
from .schemas import BalanceOut
from .types import OwnProvider, OwnProviderSpec

# Written before the `/` in `<name>/<upstream model>`, so it holds no `/` and no space.
OwnName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
BaseUrl = Annotated[str, Field(min_length=8, max_length=2048)]
ProviderKey = Annotated[str, Field(min_length=1, max_length=4096)]
BalanceKind = Literal["auto", "none", "deepseek", "openrouter", "moonshot", "siliconflow"]
OwnType = Literal["openai", "anthropic"]  # own_providers.OWN_PROVIDER_TYPES


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OwnProviderIn(_In):
    name: OwnName
    type: OwnType
    base_url: BaseUrl
    api_key: ProviderKey
    # How the remaining credit is read: by the base URL's host (auto), not at all, or a named kind.
    balance_kind: BalanceKind = "auto"
    # Notify me when the balance (in the provider's currency) falls below this; null: never.
    low_balance_threshold: NonNegativeMoney | None = None

    def to_spec(self) -> OwnProviderSpec:
        return OwnProviderSpec(name=self.name, type=self.type, base_url=self.base_url, api_key=self.api_key,
                               balance_kind=self.balance_kind, low_balance_threshold=self.low_balance_threshold)


class OwnProviderUpdate(_In):
    name: OwnName | None = None
    type: OwnType | None = None
    base_url: BaseUrl | None = None
    api_key: ProviderKey | None = None
    balance_kind: BalanceKind | None = None
    low_balance_threshold: NonNegativeMoney | None = None  # null clears the alert

    def to_spec(self) -> OwnProviderSpec:
        return OwnProviderSpec(name=self.name, type=self.type, base_url=self.base_url, api_key=self.api_key,
                               balance_kind=self.balance_kind, low_balance_threshold=self.low_balance_threshold,
                               clear_threshold="low_balance_threshold" in self.model_fields_set
                               and self.low_balance_threshold is None)


class OwnProviderOut(BaseModel):
    provider_id: str
    name: str
    type: str
    base_url: str
    api_key_hint: str
    balance_kind: str | None
    low_balance_threshold: Decimal | None
    balance: BalanceOut | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, p: OwnProvider) -> OwnProviderOut:
        balance = (None if p.balance is None else
                   BalanceOut(amount=p.balance.amount, currency=p.balance.currency, checked_at=p.balance.checked_at))
        return cls(provider_id=p.provider_id, name=p.name, type=p.type, base_url=p.base_url,
                   api_key_hint=p.api_key_hint, balance_kind=p.balance_kind,
                   low_balance_threshold=p.low_balance_threshold, balance=balance, created_at=p.created_at,
                   updated_at=p.updated_at)


class OwnProviderList(BaseModel):
    items: list[OwnProviderOut]


class OwnModelList(BaseModel):
    items: list[str]  # upstream model ids, each usable as `<provider name>/<id>`
