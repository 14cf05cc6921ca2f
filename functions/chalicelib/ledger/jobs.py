"""Scheduled ledger jobs (EventBridge -> Lambda): thin handlers over services that take `now`
from the composition root's clock (through kernel.locator). Each is idempotent: a second run changes nothing more.
Each handler becomes its own Lambda function, named after the handler."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Rate

from ..kernel.locator import now, service, use
from ..kernel.settings import Settings

if TYPE_CHECKING:
    from .codes import CodeService
    from .membership import MembershipService

log = logging.getLogger("keyledger.jobs")
bp = Blueprint(__name__)


def _code_service() -> CodeService:
    return service("CodeService")


def _membership_service() -> MembershipService:
    return service("MembershipService")


@bp.schedule(Rate(15, unit=Rate.MINUTES), name="renew_memberships",
             description="Auto-renew memberships due within the hour; lapse the rest")
def renew_memberships(event: Any) -> dict[str, int]:
    result = _membership_service().renew_due(now())
    log.info("renew_memberships: %s", result)
    return result


@bp.schedule(Rate(1, unit=Rate.HOURS), name="notify_expiring_memberships",
             description="One notice per membership ending within three days")
def notify_expiring_memberships(event: Any) -> dict[str, int]:
    result = {"notified": _membership_service().notify_expiring(now())}
    log.info("notify_expiring_memberships: %s", result)
    return result


@bp.schedule(Rate(1, unit=Rate.DAYS), name="cleanup_expired",
             description="Clean-up beyond TTL: expire unused codes of expired batches")
def cleanup_expired(event: Any) -> dict[str, int]:
    retention_days = use(Settings).audit_retention_days
    result = {"codes_expired": _code_service().sweep_expired(now(), retention_days)}
    log.info("cleanup_expired: %s", result)
    return result
