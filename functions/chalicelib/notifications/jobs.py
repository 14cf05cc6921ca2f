"""Scheduled: quota warnings at each warn_at threshold, once per period, and low-balance notices
(idempotent: a second run in the same state notifies nobody again)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Rate

from ..kernel.locator import now, service

if TYPE_CHECKING:
    from .quota_warnings import QuotaWarningService
    from .service import NotificationService

log = logging.getLogger("keyledger.jobs")
bp = Blueprint(__name__)


def _quota_warning_service() -> QuotaWarningService:
    return service("QuotaWarningService")


def _notification_service() -> NotificationService:
    return service("NotificationService")


@bp.schedule(Rate(10, unit=Rate.MINUTES), name="warn_quotas",
             description="Quota warnings at each warn_at threshold, once per period")
def warn_quotas(event: Any) -> dict[str, int]:
    result = {"warned": _quota_warning_service().run(now())}
    log.info("warn_quotas: %s", result)
    return result


@bp.schedule(Rate(10, unit=Rate.MINUTES), name="warn_low_balances",
             description="A notice when a balance falls below its owner's threshold")
def warn_low_balances(event: Any) -> dict[str, int]:
    result = {"notified": _notification_service().check_low_balances(now())}
    log.info("warn_low_balances: %s", result)
    return result
