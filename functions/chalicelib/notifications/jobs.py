"""Scheduled: quota warnings at each warn_at threshold, once per period (idempotent)."""

from __future__ import annotations

import logging
from typing import Any

from chalice import Blueprint, Rate

from ..kernel.locator import now, use
from .quota_warnings import QuotaWarningService

log = logging.getLogger("keyledger.jobs")
bp = Blueprint(__name__)


@bp.schedule(Rate(10, unit=Rate.MINUTES), name="warn_quotas",
             description="Quota warnings at each warn_at threshold, once per period")
def warn_quotas(event: Any) -> dict[str, int]:
    result = {"warned": use(QuotaWarningService).run(now())}
    log.info("warn_quotas: %s", result)
    return result
