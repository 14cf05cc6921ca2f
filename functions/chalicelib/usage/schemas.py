"""Request and response models of the usage routes (API.md)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..kernel.money import Money
from ..web.fields import Cursor, Day, In, Limit
from .types import Statistics


class StatsQuery(In):
    from_: Day | None = Field(default=None, alias="from")
    to: Day | None = None
    group_by: Literal["model", "provider", "day", "key", "endpoint"] = "model"


class QuotaStatsQuery(In):
    from_: Day | None = Field(default=None, alias="from")
    to: Day | None = None
    group_by: Literal["model", "day"] = "model"


class RangeQuery(In):
    from_: Day | None = Field(default=None, alias="from")
    to: Day | None = None


class StatItem(BaseModel):
    key: str
    requests: int
    input_tokens: int
    output_tokens: int
    cost: Money


class StatTotals(BaseModel):
    requests: int
    input_tokens: int
    output_tokens: int
    cost: Money


class StatsOut(BaseModel):
    model_config = ConfigDict(serialize_by_alias=True)

    items: list[StatItem]
    totals: StatTotals
    from_: str = Field(serialization_alias="from", validation_alias="from")
    to: str
    group_by: str


class UsageHistoryQuery(In):
    cursor: Cursor | None = None
    limit: Limit = 50
    model: Annotated[str, Field(min_length=1, max_length=128)] | None = None


class RequestOut(BaseModel):
    request_id: str
    model: str
    provider: str
    provider_id: str | None = None
    input_tokens: int
    output_tokens: int
    cost: Money
    status: int
    latency_ms: int
    ip: str
    created_at: str
    outcome: str
    key_id: str
    quota_id: str
    endpoint: str


class RequestsOut(BaseModel):
    items: list[RequestOut]
    next_cursor: str | None


class AdminStatsQuery(In):
    from_: Day | None = Field(default=None, alias="from")
    to: Day | None = None
    group_by: Literal["user", "model", "provider", "day", "endpoint"] = "model"


class AdminStatItem(StatItem):
    name: str | None = None  # the username, for group_by=user


class AdminStatsOut(StatsOut):
    items: list[AdminStatItem]  # type: ignore[assignment]


class OverviewTotals(StatTotals):
    users: int
    active_users: int  # users with at least one request in the range
    active_keys: int  # keys used at least once in the range


class TopItem(StatItem):
    name: str | None  # model or provider name, username (null for a deleted user)
    user_id: str | None = None


class DayPoint(BaseModel):
    day: str
    requests: int
    cost: Money


class HealthCheckOut(BaseModel):
    at: str
    ok: bool
    latency_ms: int
    error: str | None


class OverviewProviderHealth(BaseModel):
    name: str
    healthy: bool
    last_error: str | None
    checked_at: str | None
    latency_ms: int | None
    history: list[HealthCheckOut]


class OverviewOut(BaseModel):
    model_config = ConfigDict(serialize_by_alias=True)

    totals: OverviewTotals
    top_users: list[TopItem]
    top_models: list[TopItem]
    top_providers: list[TopItem]
    by_day: list[DayPoint]
    providers: list[OverviewProviderHealth]
    from_: str = Field(serialization_alias="from", validation_alias="from")
    to: str


def stats_fields(stats: Statistics) -> dict[str, Any]:
    """The fields of a statistics answer (StatsOut, AdminStatsOut): the range is its `from` and `to`."""
    return {**asdict(stats), "from": stats.first, "to": stats.last}
