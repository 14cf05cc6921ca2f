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
