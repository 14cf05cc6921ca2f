"""Request and response models of the balance and ledger admin routes (API.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from ..kernel.money import Money, PositiveMoney
from ..web.fields import Cursor, In, JsonBool, Limit, NoCoercion, When

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
    revoked_at: str | None = None


class RevokedOut(BaseModel):
    batch_id: str
    revoked: int
    revoked_at: str


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


PlanName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.-]*$")]
PlanPeriod = Literal["day", "week", "month", "year", "days"]
PlanDays = Annotated[int, Field(ge=1, le=3660), NoCoercion]


class PlanIn(In):
    name: PlanName
    price: PositiveMoney
    period: PlanPeriod
    days: PlanDays | None = None
    description: Note = ""


class PlanUpdateIn(In):
    """Only the fields sent change; `enabled: false` withdraws the plan from sale."""

    name: PlanName | None = None
    price: PositiveMoney | None = None
    period: PlanPeriod | None = None
    days: PlanDays | None = None
    description: Note | None = None
    enabled: JsonBool | None = None


class PlanOut(BaseModel):
    plan_id: str
    name: str
    price: Money
    period: str
    days: int | None
    enabled: bool
    description: str = ""
    created_at: str
    updated_at: str | None = None


class PlansOut(BaseModel):
    items: list[PlanOut]


class OfferedPlanOut(BaseModel):
    plan: str
    plan_id: str
    price: Money
    period: str
    days: int | None
    description: str


class OfferedPlansOut(BaseModel):
    items: list[OfferedPlanOut]
