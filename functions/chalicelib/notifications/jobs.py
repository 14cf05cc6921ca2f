"""Scheduled: quota warnings at each warn_at threshold, once per period (idempotent)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Rate

from ..kernel.locator import now, service

if TYPE_CHECKING:
    from .quota_warnings import QuotaWarningService

log = logging.getLogger("keyledger.jobs")
bp = Blueprint(__name__)


def _quota_warning_service() -> QuotaWarningService:
    return service("QuotaWarningService")


@bp.schedule(Rate(10, unit=Rate.MINUTES), name="warn_quotas",
             description="Quota warnings at each warn_at threshold, once per period")
def warn_quotas(event: Any) -> dict[str, int]:
    result = {"warned": _quota_warning_service().run(now())}
    log.info("warn_quotas: %s", result)
    return result
