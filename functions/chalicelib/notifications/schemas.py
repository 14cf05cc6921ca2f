"""Request and response models of the notification routes (API.md: Balance, membership, top-up)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ..kernel.money import Money, NonNegativeMoney
from ..web.fields import In, Limit


class NotificationsQuery(In):
    limit: Limit = 50


class NotificationOut(BaseModel):
    notification_id: str
    kind: str
    message: str
    detail: dict[str, Any]
    created_at: str
    read: bool


class NotificationsOut(BaseModel):
    items: list[NotificationOut]
    unread: int


class NotificationSettingsIn(In):
    """`low_balance_threshold`: notify once when the available balance falls below it; null: never."""

    low_balance_threshold: NonNegativeMoney | None


class NotificationSettingsOut(BaseModel):
    low_balance_threshold: Money | None
