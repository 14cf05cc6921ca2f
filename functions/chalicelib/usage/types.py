"""What the usage services answer (routes turn them into their schemas)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


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
