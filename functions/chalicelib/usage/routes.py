"""The caller's usage: statistics from the rollups, request history, CSV export (API.md: Usage)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chalice import Blueprint

from ..web.http import Raw, Request, api_route
from .schemas import RangeQuery, RequestsOut, StatsOut, StatsQuery, UsageHistoryQuery, stats_fields

if TYPE_CHECKING:
    from .service import UsageViews


def blueprint(usage: Callable[[], UsageViews]) -> Blueprint:
    """The caller's usage statistics, history and CSV export."""
    bp = Blueprint(__name__)

    @api_route(bp, "/api/usage/statistics", query=StatsQuery, response=StatsOut, tags=("usage",))
    def statistics(req: Request) -> StatsOut:
        """Requests, tokens and cost grouped by model, provider, day, key or endpoint (default: last 30 days)."""
        q = req.query
        return StatsOut.model_validate(stats_fields(usage().statistics(req.user.user_id, q.from_, q.to, q.group_by)))

    @api_route(bp, "/api/usage/history", query=UsageHistoryQuery, response=RequestsOut, tags=("usage",))
    def history(req: Request) -> RequestsOut:
        """The caller's requests newest first; filter by model; page with `cursor`."""
        q = req.query
        items, next_cursor = usage().history(req.user.user_id, q.cursor, q.limit, q.model)
        return RequestsOut.model_validate({"items": items, "next_cursor": next_cursor}, from_attributes=True)

    @api_route(bp, "/api/usage/export.csv", query=RangeQuery, tags=("usage",), content_type="text/csv")
    def export_csv(req: Request) -> Raw:
        """The caller's requests of a day range as CSV (header + one row per request)."""
        body, truncated = usage().export_csv(req.user.user_id, req.query.from_, req.query.to)
        headers = {"Content-Disposition": 'attachment; filename="keyledger-usage.csv"'}
        if truncated:
            headers["x-keyledger-truncated"] = "true"
        return Raw(body, "text/csv; charset=utf-8", headers=headers)

    return bp
