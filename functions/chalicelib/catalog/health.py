"""Provider health checks: one probe per provider, its result kept with a short history.

The admin's connection test and the periodic job (`catalog/jobs.py`) both call `check`; the
job skips a provider checked less than half an interval ago, so a second run (a retried or
overlapping invocation) changes nothing more. The provider item keeps the last
`HISTORY_LENGTH` checks (`health_history`), which the admin overview shows.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from ..kernel.clock import Clock, iso
from ..kernel.crypto import Cipher
from ..kernel.errors import ConfigError, NotFound
from .probe import ProviderClient
from .routing import ProviderTargetInfo
from .service import CatalogService, scrub
from .store import CatalogStore
from .types import CheckView, ConnectionTest, HealthCheck, Provider, ProviderStatus

HISTORY_LENGTH = 20
CHECK_EVERY = timedelta(minutes=5)  # the job's rate (catalog/jobs.py)
log = logging.getLogger("keyledger.catalog")


class ProviderHealthChecks:
    def __init__(self, repo: CatalogStore, catalog: CatalogService, cipher: Cipher, clock: Clock,
                 client: ProviderClient) -> None:
        self._repo = repo
        self._catalog = catalog
        self._cipher = cipher
        self._clock = clock
        self._client = client

    def check(self, provider: Provider) -> ConnectionTest:
        """Probe `provider` once and keep the result (last test, history, failure count); the
        provider key is scrubbed from the detail."""
        api_key = self._cipher.decrypt(provider.api_key_enc)
        target = ProviderTargetInfo(provider_id=provider.provider_id, name=provider.name, type=provider.type,
                                    base_url=provider.base_url, api_key=api_key, bedrock=provider.bedrock)
        try:
            ok, latency_ms, detail = self._client.probe(target)
        except Exception as exc:  # a client bug must still leave a readable result, not a 500
            ok, latency_ms, detail = False, 0, f"the connection test failed ({type(exc).__name__})"
        detail = scrub(str(detail), api_key)
        now = self._clock.now()
        history = [HealthCheck(now, ok, latency_ms, None if ok else detail), *provider.health.history]
        fields: dict[str, Any] = {"last_test_ok": ok, "last_test_at": now, "last_test_detail": detail,
                                  "last_latency_ms": latency_ms, "health_history": history[:HISTORY_LENGTH]}
        if ok:
            fields.update(consecutive_failures=0, unhealthy_until=None)
        else:
            fields.update(last_error=detail, last_error_at=now)
        self._repo.update_provider_health(provider.provider_id, fields, add_failure=not ok)
        self._catalog.invalidate()
        return ConnectionTest(ok=ok, latency_ms=latency_ms, detail=detail)

    def run(self, now: datetime) -> dict[str, int]:
        """The periodic job: check every provider not checked within half an interval."""
        result = {"checked": 0, "failed": 0, "skipped": 0}
        for p in self._catalog.snapshot(fresh=True).providers.values():
            last = p.health.last_test_at
            if last is not None and now - last < CHECK_EVERY / 2:
                result["skipped"] += 1
                continue
            try:
                ok = self.check(p).ok
            except (NotFound, ConfigError) as exc:  # deleted meanwhile, or a key we cannot decrypt
                log.warning("provider %s: not checked (%s)", p.provider_id, type(exc).__name__)
                result["skipped"] += 1
                continue
            result["checked"] += 1
            result["failed"] += 0 if ok else 1
        return result

    def overview(self) -> list[ProviderStatus]:
        """Each provider by name: healthy now, its last error, when it was last checked, and
        the recent checks (newest first)."""
        now = self._clock.now()
        rows = []
        for p in sorted(self._catalog.snapshot().providers.values(), key=lambda p: p.name.lower()):
            h = p.health
            rows.append(ProviderStatus(
                name=p.name, healthy=h.healthy_at(now) and h.last_test_ok is not False,
                last_error=h.last_error, checked_at=iso(h.last_test_at) if h.last_test_at else None,
                latency_ms=h.last_latency_ms,
                history=tuple(CheckView(at=iso(c.at), ok=c.ok, latency_ms=c.latency_ms, error=c.error)
                              for c in h.history)))
        return rows
