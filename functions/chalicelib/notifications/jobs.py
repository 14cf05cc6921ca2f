"""Scheduled: quota warnings at each warn_at threshold, once per period (idempotent)."""

from __future__ import annotations

import logging
from typing import Any

from chalice import Blueprint, Rate

from ..bootstrap import container

log = logging.getLogger("keyledger.jobs")
bp = Blueprint(__name__)


@bp.schedule(Rate(10, unit=Rate.MINUTES), name="warn_quotas",
             description="Quota warnings at each warn_at threshold, once per period")
def warn_quotas(event: Any) -> dict[str, int]:
    c = container()
    result = {"warned": c.quota_warnings.run(c.clock.now())}
    log.info("warn_quotas: %s", result)
    return result
