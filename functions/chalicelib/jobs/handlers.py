"""The scheduled handlers: read `now` from the container clock, call one service, log the count."""

from __future__ import annotations

import logging
from typing import Any

from ..container import container

log = logging.getLogger("keyledger.jobs")


def renew_memberships(event: Any) -> dict[str, int]:
    c = container()
    result = c.membership.renew_due(c.clock.now())
    log.info("renew_memberships: %s", result)
    return result


def warn_quotas(event: Any) -> dict[str, int]:
    c = container()
    result = {"warned": c.quota_warnings.run(c.clock.now())}
    log.info("warn_quotas: %s", result)
    return result


def cleanup_expired(event: Any) -> dict[str, int]:
    c = container()
    result = {"codes_expired": c.codes.sweep_expired(c.clock.now(), c.settings.audit_retention_days)}
    log.info("cleanup_expired: %s", result)
    return result
