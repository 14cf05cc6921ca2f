"""Superadmin money and usage routes: top-ups, redemption codes, plans, a quota's usage."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chalice import Blueprint

from ..usage.schemas import QuotaStatsQuery, RequestsOut, StatsOut, stats_fields
from ..web.http import Request, api_route
from .schemas import (
    BatchCodesOut,
    BatchesOut,
    CodesIn,
    CreatedBatchOut,
    PageQuery,
    PlanIn,
    PlanOut,
    PlansOut,
    PlanUpdateIn,
    RevokedOut,
    TopupIn,
    TopupOut,
)

if TYPE_CHECKING:
    from ..keys.service import KeysService
    from ..usage.service import UsageViews
    from .codes import CodeService
    from .membership import MembershipService
    from .service import LedgerService

_ADMIN = ("admin",)


def blueprint(ledger: Callable[[], LedgerService], codes: Callable[[], CodeService],
              membership: Callable[[], MembershipService], keys: Callable[[], KeysService],
              usage: Callable[[], UsageViews]) -> Blueprint:
    """Superadmin money and usage routes."""
    bp = Blueprint(__name__)

    @api_route(bp, "/api/admin/users/{user_id}/topup", "POST", body=TopupIn, response=TopupOut, auth="admin",
               tags=_ADMIN, responses={404: "No such user"})
    def topup(req: Request, user_id: str) -> TopupOut:
        """Credit a user's balance (a `topup` ledger entry)."""
        b = req.body
        topped_up = ledger().topup(req.user, user_id, b.amount, b.note, req.meta)
        return TopupOut.model_validate(topped_up, from_attributes=True)

    @api_route(bp, "/api/admin/codes", query=PageQuery, response=BatchesOut, auth="admin", tags=_ADMIN)
    def list_codes(req: Request) -> BatchesOut:
        """Redemption code batches newest first (never a code's plaintext)."""
        items, next_cursor = codes().list_batches(req.query.cursor, req.query.limit)
        return BatchesOut.model_validate({"items": items, "next_cursor": next_cursor}, from_attributes=True)

    @api_route(bp, "/api/admin/codes", "POST", body=CodesIn, response=CreatedBatchOut, status=201, auth="admin",
               tags=_ADMIN)
    def create_codes(req: Request) -> CreatedBatchOut:
        """Generate a batch of codes; their plaintexts are shown in this answer only."""
        b = req.body
        created = codes().create_batch(req.user, count=b.count, amount=b.amount, expires_at=b.expires_at, note=b.note,
                                       meta=req.meta)
        return CreatedBatchOut.model_validate(created, from_attributes=True)

    @api_route(bp, "/api/admin/codes/{batch_id}", response=BatchCodesOut, auth="admin", tags=_ADMIN,
               responses={404: "No such batch"})
    def batch_codes(req: Request, batch_id: str) -> BatchCodesOut:
        """One batch with the state of each code (unused, redeemed by whom, expired)."""
        return BatchCodesOut.model_validate(codes().batch_codes(batch_id), from_attributes=True)

    @api_route(bp, "/api/admin/codes/{batch_id}/revoke", "POST", response=RevokedOut, auth="admin", tags=_ADMIN,
               responses={404: "No such batch"})
    def revoke_codes(req: Request, batch_id: str) -> RevokedOut:
        """Every unused code of the batch stops working; redeemed codes stay redeemed."""
        return RevokedOut.model_validate(codes().revoke_batch(req.user, batch_id, req.meta), from_attributes=True)

    @api_route(bp, "/api/admin/plans", response=PlansOut, auth="admin", tags=_ADMIN)
    def list_plans(req: Request) -> PlansOut:
        """Membership plans."""
        from .membership import plan_view

        items = [plan_view(p) for p in membership().plans(fresh=True)]
        return PlansOut.model_validate({"items": items}, from_attributes=True)

    @api_route(bp, "/api/admin/plans", "POST", body=PlanIn, response=PlanOut, status=201, auth="admin", tags=_ADMIN,
               responses={400: "Invalid period/days", 409: "Name taken"})
    def create_plan(req: Request) -> PlanOut:
        """A new membership plan: name, price, period (day/week/month/year, or `days` with days)."""
        b = req.body
        plan = membership().create_plan(req.user, name=b.name, price=b.price, period=b.period, days=b.days,
                                        description=b.description, meta=req.meta)
        return PlanOut.model_validate(plan, from_attributes=True)

    @api_route(bp, "/api/admin/plans/{plan_id}", "PUT", body=PlanUpdateIn, response=PlanOut, auth="admin",
               tags=_ADMIN, responses={400: "Invalid period/days", 404: "No such plan", 409: "Name taken"})
    def update_plan(req: Request, plan_id: str) -> PlanOut:
        """Edit a plan; `enabled: false` disables it (not offered, not auto-renewed). A field sent
        as null is left as it is, like a field left out."""
        changes = {k: v for k, v in req.body.model_dump(exclude_unset=True).items() if v is not None}
        plan = membership().update_plan(req.user, plan_id, changes, req.meta)
        return PlanOut.model_validate(plan, from_attributes=True)

    @api_route(bp, "/api/admin/quotas/{id}/requests", query=PageQuery, response=RequestsOut, auth="admin",
               tags=_ADMIN)
    def quota_requests(req: Request, id: str) -> RequestsOut:  # noqa: A002 - the path parameter's name
        """A quota's requests newest first."""
        keys().require_quota(id)
        items, next_cursor = usage().quota_requests(id, req.query.cursor, req.query.limit)
        return RequestsOut.model_validate({"items": items, "next_cursor": next_cursor}, from_attributes=True)

    @api_route(bp, "/api/admin/quotas/{id}/statistics", query=QuotaStatsQuery, response=StatsOut, auth="admin",
               tags=_ADMIN)
    def quota_statistics(req: Request, id: str) -> StatsOut:  # noqa: A002 - the path parameter's name
        """A quota's statistics per model or day."""
        keys().require_quota(id)
        q = req.query
        return StatsOut.model_validate(stats_fields(usage().quota_statistics(id, q.from_, q.to, q.group_by)))

    return bp
