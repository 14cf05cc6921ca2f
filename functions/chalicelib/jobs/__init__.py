"""Scheduled functions (EventBridge -> Lambda): thin handlers over services that take `now`
from the container's clock. Each is idempotent: a second run changes nothing more.

`register_jobs(app)` is called once from app.py; each handler becomes its own Lambda
function (Chalice names it after the handler), invoked by its schedule. The release of
expired holds is metering's job (`jobs/holds.py`, function `release-expired-holds`).
"""

from __future__ import annotations

from chalice import Chalice, Rate

from .handlers import cleanup_expired, renew_memberships, warn_quotas

SCHEDULES = (
    (renew_memberships, Rate(15, unit=Rate.MINUTES), "Auto-renew memberships due within the hour; lapse the rest"),
    (warn_quotas, Rate(10, unit=Rate.MINUTES), "Quota warnings at each warn_at threshold, once per period"),
    (cleanup_expired, Rate(1, unit=Rate.DAYS), "Clean-up beyond TTL: expire unused codes of expired batches"),
)


def register_jobs(app: Chalice) -> None:
    for handler, rate, description in SCHEDULES:
        app.schedule(rate, name=handler.__name__, description=description)(handler)
