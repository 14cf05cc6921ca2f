"""Scheduled: give back the holds of requests that never settled (a crashed Lambda).

A hold expires HOLD_TTL_SECONDS after its reservation (longer than any request may
run), so a live request is never released under its feet; releasing is idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Rate

if TYPE_CHECKING:
    from .service import MeteringService

_BATCH = 100
_MAX_BATCHES = 50  # bounded: what is left waits for the next run


def release_expired_holds(metering: MeteringService, now: datetime) -> int:
    """Release every expired hold (in bounded batches); returns how many were released."""
    total = 0
    for _ in range(_MAX_BATCHES):
        released = metering.release_expired_holds(now, limit=_BATCH)
        total += released
        if released < _BATCH:
            break
    return total


def blueprint(metering: Callable[[], MeteringService], now: Callable[[], datetime]) -> Blueprint:
    """Metering's scheduled job, over its service and the composition root's clock."""
    bp = Blueprint(__name__)

    @bp.schedule(Rate(5, unit=Rate.MINUTES), name="release-expired-holds")
    def release_expired_holds_job(event: Any) -> dict[str, int]:
        return {"released": release_expired_holds(metering(), now())}

    return bp
