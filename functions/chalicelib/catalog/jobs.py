"""Scheduled: provider health checks, one probe per provider every CHECK_EVERY, and provider
balances every own_balances.REFRESH_EVERY (both idempotent: a provider checked within half an
interval is skipped)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Rate

if TYPE_CHECKING:
    from .health import ProviderHealthChecks
    from .own_balances import ProviderBalances

log = logging.getLogger("keyledger.jobs")


def blueprint(health_checks: Callable[[], ProviderHealthChecks], balances: Callable[[], ProviderBalances],
              now: Callable[[], datetime]) -> Blueprint:
    """The catalog's scheduled jobs, over its health checks, the provider balance reader and the
    composition root's clock."""
    bp = Blueprint(__name__)

    @bp.schedule(Rate(5, unit=Rate.MINUTES), name="check_providers",
                 description="Probe every provider and keep its recent health history")
    def check_providers(event: Any) -> dict[str, int]:
        result = health_checks().run(now())
        log.info("check_providers: %s", result)
        return result

    @bp.schedule(Rate(30, unit=Rate.MINUTES), name="refresh_provider_balances",
                 description="Read the remaining credit of providers that report it; low-credit notices")
    def refresh_provider_balances(event: Any) -> dict[str, int]:
        result = balances().run(now())
        log.info("refresh_provider_balances: %s", result)
        return result

    return bp
