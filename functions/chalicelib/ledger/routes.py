"""The caller's money: balance, history, redemption, membership renewal (API.md: Balance)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chalice import Blueprint

from ..web.http import Request, api_route
from .schemas import (
    AutoRenewIn,
    BalanceOut,
    HistoryOut,
    MembershipOut,
    OfferedPlansOut,
    PageQuery,
    RedeemIn,
    RedeemOut,
    RenewIn,
    RenewOut,
)

if TYPE_CHECKING:
    from .codes import CodeService
    from .membership import MembershipService
    from .service import LedgerService


def blueprint(ledger: Callable[[], LedgerService], codes: Callable[[], CodeService],
              membership: Callable[[], MembershipService]) -> Blueprint:
    """The caller's balance, history, redemption and membership."""
    bp = Blueprint(__name__)

    @api_route(bp, "/api/balance", response=BalanceOut, tags=("balance",))
    def balance(req: Request) -> BalanceOut:
        """Available and held money, and spend per provider over the last 30 days."""
        return BalanceOut.model_validate(ledger().balance(req.user.user_id), from_attributes=True)

    @api_route(bp, "/api/balance/history", query=PageQuery, response=HistoryOut, tags=("balance",))
    def history(req: Request) -> HistoryOut:
        """Ledger entries newest first, each with the balance after it; page with `cursor`."""
        items, next_cursor = ledger().history(req.user.user_id, req.query.cursor, req.query.limit)
        return HistoryOut.model_validate({"items": items, "next_cursor": next_cursor}, from_attributes=True)

    @api_route(bp, "/api/balance/redeem", "POST", body=RedeemIn, response=RedeemOut, tags=("balance",),
               responses={400: "Invalid or already used code"})
    def redeem(req: Request) -> RedeemOut:
        """Redeem a code once: its amount is added to the balance."""
        return RedeemOut.model_validate(codes().redeem(req.user.user_id, req.body.code, req.meta), from_attributes=True)

    @api_route(bp, "/api/balance/renew", "POST", body=RenewIn, response=RenewOut, tags=("balance",),
               responses={402: "Balance too low", 404: "No such plan"})
    def renew(req: Request) -> RenewOut:
        """Pay one period of a plan from the balance; the membership is extended."""
        renewal = membership().renew(req.user.user_id, req.body.plan, req.meta)
        return RenewOut.model_validate(renewal, from_attributes=True)

    @api_route(bp, "/api/membership/auto-renew", "PUT", body=AutoRenewIn, response=MembershipOut, tags=("balance",))
    def auto_renew(req: Request) -> MembershipOut:
        """Turn automatic renewal at expiry on or off."""
        changed = membership().set_auto_renew(req.user.user_id, req.body.enabled, req.meta)
        return MembershipOut.model_validate(changed, from_attributes=True)

    @api_route(bp, "/api/plans", response=OfferedPlansOut, tags=("balance",))
    def plans(req: Request) -> OfferedPlansOut:
        """The membership plans a user can buy, with their prices, cheapest first."""
        return OfferedPlansOut.model_validate({"items": membership().offered_plans()}, from_attributes=True)

    return bp
