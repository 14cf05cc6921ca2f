"""Ledger domain objects (plain dataclasses): a user's balance and one ledger entry."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from ..kernel.context import RequestMeta

ENTRY_TYPES = ("topup", "redeem", "charge", "refund", "renewal", "adjustment", "signup_credit")


@dataclass(frozen=True)
class Balance:
    user_id: str
    available: Decimal
    held: Decimal
    plan: str | None
    expires_at: str | None
    auto_renew: bool


@dataclass(frozen=True)
class LedgerEntry:
    user_id: str
    entry_id: str
    type: str
    amount: Decimal  # signed: credits > 0
    ref: str
    created_at: str
    meta: dict[str, Any]


class Crediting(Protocol):
    """Who adds money to a balance in one transaction with its entry (metering's `credit`)."""

    def credit(self, user_id: str, amount: Decimal, type: str, ref: str = "",
               meta: dict[str, Any] | None = None, *, entry_id: str | None = None,
               membership: dict[str, Any] | None = None, actor_id: str | None = None,
               request: RequestMeta | None = None) -> LedgerEntry: ...


class SpendRow(Protocol):
    """One day's spend on one provider (usage's daily provider rollup), as the balance reads it."""

    @property
    def value(self) -> str: ...
    @property
    def cost(self) -> int: ...  # micro-dollars


# --- what the ledger's services answer (routes turn them into their schemas) ---------------


@dataclass(frozen=True)
class ProviderSpend:
    provider: str  # the provider's name
    spent: Decimal


@dataclass(frozen=True)
class BalanceView:
    """Available and held money, and the spend per provider over `by_provider_from..to`."""

    available: Decimal
    held: Decimal
    by_provider: list[ProviderSpend]
    by_provider_from: str
    by_provider_to: str
    currency: str = "USD"


@dataclass(frozen=True)
class HistoryEntry:
    """A ledger entry as the owner reads it, with the balance after it."""

    entry_id: str
    type: str
    amount: Decimal
    balance_after: Decimal
    ref: str
    created_at: str
    note: str | None


@dataclass(frozen=True)
class TopUp:
    entry_id: str
    user_id: str
    amount: Decimal
    available: Decimal  # the balance after the top-up
    note: str
    created_at: str
    type: str = "topup"


@dataclass(frozen=True)
class CodeBatch:
    batch_id: str
    count: int
    amount: Decimal  # each code's worth
    expires_at: str | None
    note: str
    created_by: str
    created_at: str
    revoked_at: str | None


@dataclass(frozen=True)
class IssuedCode:
    code_id: str
    code: str  # the plaintext, shown once


@dataclass(frozen=True)
class CreatedBatch(CodeBatch):
    codes: list[IssuedCode]


@dataclass(frozen=True)
class CodeStatus:
    code_id: str
    status: str  # unused | redeemed | expired | revoked
    redeemed_by: str | None
    redeemed_at: str | None


@dataclass(frozen=True)
class BatchCodes(CodeBatch):
    codes: list[CodeStatus]


@dataclass(frozen=True)
class Redeemed:
    amount: Decimal
    available: Decimal
    entry_id: str


@dataclass(frozen=True)
class RevokedBatch:
    batch_id: str
    revoked: int  # codes revoked by this call
    revoked_at: str


@dataclass(frozen=True)
class Plan:
    plan_id: str
    name: str
    price: Decimal
    period: str
    days: int | None
    enabled: bool
    description: str
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class OfferedPlan:
    plan: str  # the plan's name
    plan_id: str
    price: Decimal
    period: str
    days: int | None
    description: str


@dataclass(frozen=True)
class Membership:
    plan: str | None  # the plan's name
    plan_id: str | None
    expires_at: str | None
    auto_renew: bool
    active: bool


@dataclass(frozen=True)
class Renewal:
    membership: Membership
    available: Decimal
