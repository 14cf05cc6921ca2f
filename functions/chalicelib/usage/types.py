"""What the usage services answer (routes turn them into their schemas)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..catalog.types import ProviderStatus


@dataclass(frozen=True)
class RequestView:
    """A request as a person reads it: the provider by name, its id as `provider_id`."""

    request_id: str
    model: str
    provider: str
    provider_id: str
    input_tokens: int
    output_tokens: int
    cost: Decimal
    provider_overage: Decimal
    status: int
    outcome: str
    latency_ms: int
    ip: str
    key_id: str
    quota_id: str
    endpoint: str
    created_at: str


@dataclass(frozen=True)
class StatTotals:
    requests: int
    input_tokens: int
    output_tokens: int
    cost: Decimal


@dataclass(frozen=True)
class StatLine(StatTotals):
    """One group's figures: `key` is the model, provider name, day, key id or user id."""

    key: str
    name: str | None = None  # the username, when grouped by user (admin)


@dataclass(frozen=True)
class Statistics:
    items: list[StatLine]
    totals: StatTotals
    first: str  # the day range, inclusive (the answer's `from` and `to`)
    last: str
    group_by: str


@dataclass(frozen=True)
class OverviewTotals(StatTotals):
    users: int
    active_users: int  # users with at least one request in the range
    active_keys: int  # keys used at least once in the range


@dataclass(frozen=True)
class TopUser(StatLine):
    """A top user: `key` and `user_id` are its id, `name` its username (None once deleted)."""

    user_id: str | None = None


@dataclass(frozen=True)
class DayPoint:
    day: str
    requests: int
    cost: Decimal


@dataclass(frozen=True)
class Overview:
    """The admin's overview of a day range (the answer's `from` and `to`)."""

    first: str
    last: str
    totals: OverviewTotals
    top_users: list[TopUser]
    top_models: list[StatLine]
    top_providers: list[StatLine]
    by_day: list[DayPoint]
    providers: list[ProviderStatus]
