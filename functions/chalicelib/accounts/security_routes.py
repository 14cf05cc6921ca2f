"""The caller's security views: IP records, sign-in history, operation log."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..kernel.clock import parse_iso
from ..web.http import Request, api_route

if TYPE_CHECKING:
    from ..audit.service import AuditService



class IpRecordOut(BaseModel):
    ip: str
    first_seen: str
    last_seen: str
    count: int


class IpRecordsOut(BaseModel):
    items: list[IpRecordOut]


class LoginAttemptOut(BaseModel):
    at: str
    ip: str
    user_agent: str
    success: bool
    reason: str | None


class LoginHistoryOut(BaseModel):
    items: list[LoginAttemptOut]


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The audit domain's types (audit.service.TYPES): anything else is a 400, not an empty page.
LogType = Literal["auth", "security", "account", "keys", "billing", "admin", "system", "usage"]


class LogsQuery(BaseModel):
    """`from` and `to` are inclusive: a day (`to=2026-12-03` includes that whole day, as
    everywhere in the API) or an exact ISO 8601 time."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    type: LogType | None = None
    from_: datetime | None = Field(default=None, alias="from")
    to: datetime | None = None
    cursor: str | None = Field(default=None, max_length=2048)
    limit: int = Field(default=50, ge=1, le=100)

    @field_validator("from_", mode="before")
    @classmethod
    def _since(cls, value: Any) -> Any:
        return parse_iso(value) if isinstance(value, str) and value else value

    @field_validator("to", mode="before")
    @classmethod
    def _until(cls, value: Any) -> Any:
        if isinstance(value, str) and _DAY.match(value):  # the whole day: up to its last millisecond
            return parse_iso(value) + timedelta(days=1) - timedelta(milliseconds=1)
        return parse_iso(value) if isinstance(value, str) and value else value


class LogOut(BaseModel):
    log_id: str
    type: str
    action: str
    ip: str
    detail: dict[str, Any]
    created_at: str


class LogsOut(BaseModel):
    items: list[LogOut]
    next_cursor: str | None


def blueprint(audit: Callable[[], AuditService]) -> Blueprint:
    """The caller's IP records, sign-in history and operation log."""
    bp = Blueprint(__name__)

    @api_route(bp, "/api/security/ip-records", response=IpRecordsOut, tags=("security",))
    def ip_records(req: Request) -> IpRecordsOut:
        """Addresses the caller signed in from: first and last seen, how often."""
        records = audit().ip_records(req.user.user_id)
        return IpRecordsOut(items=[IpRecordOut(ip=r.ip, first_seen=r.first_seen, last_seen=r.last_seen, count=r.count)
                                   for r in records])

    @api_route(bp, "/api/security/login-history", response=LoginHistoryOut, tags=("security",))
    def login_history(req: Request) -> LoginHistoryOut:
        """The caller's recent sign-in attempts, successful or not."""
        entries = audit().login_history(req.user.user_id)
        return LoginHistoryOut(items=[
            LoginAttemptOut(at=e.created_at, ip=e.ip, user_agent=e.user_agent, success=e.action == "login",
                            reason=e.detail.get("reason")) for e in entries])

    @api_route(bp, "/api/logs", query=LogsQuery, response=LogsOut, tags=("security",))
    def logs(req: Request) -> LogsOut:
        """The caller's operation log, newest first; filter by type and time, page with `cursor`."""
        q = req.query
        entries, next_cursor = audit().logs(req.user.user_id, type=q.type, since=q.from_, until=q.to,
                                            cursor=q.cursor, limit=q.limit)
        return LogsOut(items=[LogOut(log_id=e.log_id, type=e.type, action=e.action, ip=e.ip, detail=e.detail,
                                     created_at=e.created_at) for e in entries], next_cursor=next_cursor)

    return bp
