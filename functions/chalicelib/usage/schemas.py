"""Request and response models of the usage routes (API.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..kernel.money import Money
from ..web.fields import Cursor, Day, In, Limit


class StatsQuery(In):
    from_: Day | None = Field(default=None, alias="from")
    to: Day | None = None
    group_by: Literal["model", "provider", "day", "key"] = "model"


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
