"""The caller's notifications and their settings (API.md: GET /api/notifications)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING

from chalice import Blueprint

from ..web.http import Request, api_route
from .schemas import (
    NotificationSettingsIn,
    NotificationSettingsOut,
    NotificationsOut,
    NotificationsQuery,
)

if TYPE_CHECKING:
    from .service import NotificationService

_TAGS = ("notifications",)


def blueprint(notices: Callable[[], NotificationService]) -> Blueprint:
    """The caller's notifications and their settings."""
    bp = Blueprint(__name__)

    @api_route(bp, "/api/notifications", query=NotificationsQuery, response=NotificationsOut, tags=_TAGS)
    def notifications(req: Request) -> NotificationsOut:
        """Quota warnings, low balance and membership notices, newest first, with the unread count."""
        items = notices().list(req.user.user_id, req.query.limit)
        return NotificationsOut.model_validate({"items": [asdict(n) for n in items],
                                                "unread": sum(not n.read for n in items)})

    @api_route(bp, "/api/notifications/{id}/read", "POST", status=204, tags=_TAGS,
               responses={404: "No such notification"})
    def mark_read(req: Request, id: str) -> None:  # noqa: A002 - the path parameter's name
        """Mark one notification read."""
        notices().mark_read(req.user.user_id, id)

    @api_route(bp, "/api/notifications/settings", response=NotificationSettingsOut, tags=_TAGS)
    def get_settings(req: Request) -> NotificationSettingsOut:
        """The caller's notification settings (the low-balance threshold)."""
        return NotificationSettingsOut.model_validate(asdict(notices().settings(req.user.user_id)))

    @api_route(bp, "/api/notifications/settings", "PUT", body=NotificationSettingsIn, response=NotificationSettingsOut,
               tags=_TAGS)
    def put_settings(req: Request) -> NotificationSettingsOut:
        """Set the low-balance threshold (a decimal string in USD), or null to turn the notice off."""
        result = notices().set_low_balance_threshold(req.user.user_id, req.body.low_balance_threshold,
                                                     req.meta)
        return NotificationSettingsOut.model_validate(asdict(result))

    return bp
