"""Admin: the overview and statistics across all users (API.md: Admin)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chalice import Blueprint

from ..web.http import Request, api_route
from .schemas import AdminStatsOut, AdminStatsQuery, OverviewOut, RangeQuery, stats_fields

if TYPE_CHECKING:
    from .overview import AdminUsageViews

TAGS = ("admin",)


def blueprint(admin_usage: Callable[[], AdminUsageViews]) -> Blueprint:
    """Admin: the overview and statistics across all users."""
    bp = Blueprint(__name__)

    @api_route(bp, "/api/admin/overview", query=RangeQuery, response=OverviewOut, auth="admin", tags=TAGS)
    def overview(req: Request) -> OverviewOut:
        """Totals, top users/models/providers by cost, requests per day and provider health (default: last 30 days)."""
        ov = admin_usage().overview(req.query.from_, req.query.to)
        return OverviewOut.model_validate({**vars(ov), "from": ov.first, "to": ov.last}, from_attributes=True)

    @api_route(bp, "/api/admin/usage/statistics", query=AdminStatsQuery, response=AdminStatsOut, auth="admin",
               tags=TAGS)
    def statistics(req: Request) -> AdminStatsOut:
        """Requests, tokens and cost of all users grouped by user, model, provider, day or endpoint."""
        q = req.query
        return AdminStatsOut.model_validate(stats_fields(admin_usage().statistics(q.from_, q.to, q.group_by)))

    return bp
