"""Request and response models of the balance, usage and ledger admin routes (API.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..kernel.money import Money, PositiveMoney
from ..web.fields import Day, JsonBool, NoCoercion, When

Cursor = Annotated[str, Field(max_length=4096)]
Limit = Annotated[int, Field(ge=1, le=100)]




class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- balance --------------------------------------------------------------------------


class ProviderSpend(BaseModel):
    provider: str
    spent: Money


class BalanceOut(BaseModel):
    available: Money
    held: Money
    currency: Literal["USD"]
    by_provider: list[ProviderSpend]
    by_provider_from: str
    by_provider_to: str


class PageQuery(In):
    cursor: Cursor | None = None
    limit: Limit = 50


class EntryOut(BaseModel):
    entry_id: str
    type: str
    amount: Money
    balance_after: Money
    ref: str
    created_at: str
    note: str | None = None


class HistoryOut(BaseModel):
    items: list[EntryOut]
    next_cursor: str | None


class RedeemIn(In):
    code: Annotated[str, Field(min_length=4, max_length=64)]


class RedeemOut(BaseModel):
    amount: Money
    available: Money
    entry_id: str


class RenewIn(In):
    plan: Annotated[str, Field(min_length=1, max_length=64)]


class MembershipOut(BaseModel):
    plan: str | None
    plan_id: str | None = None
    expires_at: str | None
    auto_renew: bool
    active: bool = False


class RenewOut(BaseModel):
    membership: MembershipOut
    available: Money


class AutoRenewIn(In):
    enabled: JsonBool


# --- usage ----------------------------------------------------------------------------


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


# --- admin ----------------------------------------------------------------------------

# No control characters (CR/LF included): a note is shown in the portal, the CSV export and logs.
Note = Annotated[str, Field(max_length=500, pattern=r"^[^\x00-\x1f\x7f]*$")]


class TopupIn(In):
    amount: PositiveMoney
    note: Note = ""


class TopupOut(BaseModel):
    entry_id: str
    user_id: str
    type: str
    amount: Money
    available: Money
    note: str
    created_at: str


class CodesIn(In):
    count: Annotated[int, Field(ge=1, le=500), NoCoercion]
    amount: PositiveMoney
    expires_at: When | None = None
    note: Note = ""


class BatchOut(BaseModel):
    batch_id: str
    count: int
    amount: Money
    expires_at: str | None
    note: str
    created_by: str
    created_at: str


class NewCode(BaseModel):
    code_id: str
    code: str


class CreatedBatchOut(BatchOut):
    codes: list[NewCode]


class CodeState(BaseModel):
    code_id: str
    status: str
    redeemed_by: str | None
    redeemed_at: str | None


class BatchCodesOut(BatchOut):
    codes: list[CodeState]


class BatchesOut(BaseModel):
    items: list[BatchOut]
    next_cursor: str | None


class PlanIn(In):
    name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.-]*$")]
    price: PositiveMoney
    period: Literal["day", "week", "month", "year", "days"]
    days: Annotated[int, Field(ge=1, le=3660), NoCoercion] | None = None


class PlanOut(BaseModel):
    plan_id: str
    name: str
    price: Money
    period: str
    days: int | None
    enabled: bool
    created_at: str


class PlansOut(BaseModel):
    items: list[PlanOut]
