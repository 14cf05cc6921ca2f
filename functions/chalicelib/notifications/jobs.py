"""Scheduled: quota warnings at each warn_at threshold, once per period, and low-balance notices
(idempotent: a second run in the same state notifies nobody again)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Rate

if TYPE_CHECKING:
    from .quota_warnings import QuotaWarningService
    from .service import NotificationService

log = logging.getLogger("keyledger.jobs")


def blueprint(quota_warnings: Callable[[], QuotaWarningService], notices: Callable[[], NotificationService],
              now: Callable[[], datetime]) -> Blueprint:
    """Quota warnings and low-balance notices."""
    bp = Blueprint(__name__)

    @bp.schedule(Rate(10, unit=Rate.MINUTES), name="warn_quotas",
                 description="Quota warnings at each warn_at threshold, once per period")
    def warn_quotas(event: Any) -> dict[str, int]:
        result = {"warned": quota_warnings().run(now())}
        log.info("warn_quotas: %s", result)
        return result

    @bp.schedule(Rate(10, unit=Rate.MINUTES), name="warn_low_balances",
                 description="A notice when a balance falls below its owner's threshold")
    def warn_low_balances(event: Any) -> dict[str, int]:
        result = {"notified": notices().check_low_balances(now())}
        log.info("warn_low_balances: %s", result)
        return result

    return bp
