"""Scheduled ledger jobs (EventBridge -> Lambda): thin handlers over services that take `now`
from the composition root's clock. Each is idempotent: a second run changes nothing more.
Each handler becomes its own Lambda function, named after the handler."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Rate

from ..kernel.settings import Settings

if TYPE_CHECKING:
    from .codes import CodeService
    from .membership import MembershipService
    from .retention import LedgerRetention

log = logging.getLogger("keyledger.jobs")


def blueprint(codes: Callable[[], CodeService], membership: Callable[[], MembershipService],
              retention: Callable[[], LedgerRetention], settings: Callable[[], Settings],
              now: Callable[[], datetime]) -> Blueprint:
    """Membership renewals and notices, the clean-up of expired codes, and the fold of ledger
    entries older than the retention window."""
    bp = Blueprint(__name__)

    @bp.schedule(Rate(15, unit=Rate.MINUTES), name="renew_memberships",
                 description="Auto-renew memberships due within the hour; lapse the rest")
    def renew_memberships(event: Any) -> dict[str, int]:
        result = membership().renew_due(now())
        log.info("renew_memberships: %s", result)
        return result

    @bp.schedule(Rate(1, unit=Rate.HOURS), name="notify_expiring_memberships",
                 description="One notice per membership ending within three days")
    def notify_expiring_memberships(event: Any) -> dict[str, int]:
        result = {"notified": membership().notify_expiring(now())}
        log.info("notify_expiring_memberships: %s", result)
        return result

    @bp.schedule(Rate(1, unit=Rate.DAYS), name="cleanup_expired",
                 description="Clean-up beyond TTL: expire unused codes of expired batches")
    def cleanup_expired(event: Any) -> dict[str, int]:
        result = {"codes_expired": codes().sweep_expired(now(), settings().audit_retention_days)}
        log.info("cleanup_expired: %s", result)
        return result

    @bp.schedule(Rate(1, unit=Rate.DAYS), name="fold_ledger_entries",
                 description="Fold each user's ledger entries older than LEDGER_RETENTION_DAYS into an opening entry")
    def fold_ledger_entries(event: Any) -> dict[str, int]:
        report = retention().fold_all(now())
        result = {"users": report.users, "folded": report.folded, "failed": report.failed}
        log.info("fold_ledger_entries: %s", result)
        return result

    return bp
