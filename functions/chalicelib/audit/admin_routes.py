"""Admin: the operation log across users (API.md: Admin)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from chalice import Blueprint
from pydantic import BaseModel, Field, field_validator

from ..kernel.clock import parse_iso
from ..web.fields import Cursor, In, Limit
from ..web.http import Request, api_route

if TYPE_CHECKING:
    from .service import AuditService



def _moment(value: Any, end: bool) -> Any:
    """A day (`2026-12-03`, inclusive: `to` covers the whole day) or an ISO 8601 time."""
    if not isinstance(value, str) or not value:
        return value
    if len(value) == 10:
        day = date.fromisoformat(value)
        return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)
    return parse_iso(value)


class AdminLogsQuery(In):
    type: str | None = Field(default=None, max_length=32)
    user_id: str | None = Field(default=None, min_length=1, max_length=64)
    from_: datetime | None = Field(default=None, alias="from")
    to: datetime | None = None
    cursor: Cursor | None = None
    limit: Limit = 50

    @field_validator("from_", mode="before")
    @classmethod
    def _since(cls, value: Any) -> Any:
        return _moment(value, end=False)

    @field_validator("to", mode="before")
    @classmethod
    def _until(cls, value: Any) -> Any:
        return _moment(value, end=True)


class AdminLogOut(BaseModel):
    log_id: str
    user_id: str
    actor_id: str | None
    type: str
    action: str
    ip: str
    detail: dict[str, Any]
    created_at: str


class AdminLogsOut(BaseModel):
    items: list[AdminLogOut]
    next_cursor: str | None


def blueprint(audit: Callable[[], AuditService]) -> Blueprint:
    """Admin: the operation log across users."""
    bp = Blueprint(__name__)

    @api_route(bp, "/api/admin/logs", query=AdminLogsQuery, response=AdminLogsOut, auth="admin", tags=("admin",))
    def logs(req: Request) -> AdminLogsOut:
        """The operation log of every user (or of `user_id`), newest first; `from`/`to` are inclusive days or times."""
        q = req.query
        entries, next_cursor = audit().all_logs(type=q.type, user_id=q.user_id, since=q.from_, until=q.to,
                                                cursor=q.cursor, limit=q.limit)
        return AdminLogsOut(items=[AdminLogOut(log_id=e.log_id, user_id=e.user_id, actor_id=e.actor_id, type=e.type,
                                               action=e.action, ip=e.ip, detail=e.detail, created_at=e.created_at)
                                   for e in entries], next_cursor=next_cursor)

    return bp
