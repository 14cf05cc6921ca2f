"""Fallback across providers serving one public model, and a cool-down for failing ones.

`HealthTracker` lives in the warm container (one per `UpstreamClient` user): after
`threshold` consecutive fallback-worthy failures a provider is skipped for
`cooldown_seconds`. It is in memory on purpose (no DynamoDB call on the hot path);
the proxy copies the outcome's attempts into the provider's stored health record,
which is what admins see.

`call_with_fallback` tries the targets in order, skipping providers in cool-down
(if all are cooling down, the one whose cool-down ends first is tried anyway rather
than refusing outright). A failure that is the caller's fault (`fallback` False,
e.g. a 400) is raised at once: another provider would refuse it too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Generic, TypeVar

from ..kernel.errors import AppError
from .types import Target

T = TypeVar("T")


@dataclass(frozen=True)
class ProviderHealth:
    consecutive_failures: int = 0
    last_error: str | None = None
    last_failure_at: float | None = None
    last_success_at: float | None = None
    unhealthy_until: float | None = None


class HealthTracker:
    def __init__(self, *, threshold: int = 3, cooldown_seconds: float = 60.0,
                 now: Callable[[], float] = time.time) -> None:
        self.threshold, self.cooldown_seconds, self._now = threshold, cooldown_seconds, now
        self._health: dict[str, ProviderHealth] = {}
        self._lock = threading.Lock()

    def get(self, provider_id: str) -> ProviderHealth:
        with self._lock:
            return self._health.get(provider_id, ProviderHealth())

    def is_available(self, provider_id: str) -> bool:
        until = self.get(provider_id).unhealthy_until
        return until is None or self._now() >= until

    def record_success(self, provider_id: str) -> None:
        with self._lock:
            old = self._health.get(provider_id, ProviderHealth())
            self._health[provider_id] = replace(old, consecutive_failures=0, unhealthy_until=None,
                                                last_success_at=self._now())

    def record_failure(self, provider_id: str, detail: str) -> ProviderHealth:
        """Count a failure; the `threshold`-th in a row starts a cool-down."""
        with self._lock:
            now = self._now()
            old = self._health.get(provider_id, ProviderHealth())
            failures = old.consecutive_failures + 1
            until = now + self.cooldown_seconds if failures >= self.threshold else old.unhealthy_until
            new = replace(old, consecutive_failures=failures, last_error=detail, last_failure_at=now,
                          unhealthy_until=until)
            self._health[provider_id] = new
            return new

    def snapshot(self) -> dict[str, ProviderHealth]:
        with self._lock:
            return dict(self._health)


@dataclass(frozen=True)
class Attempt:
    provider_id: str
    error: AppError | None  # None: this provider answered


@dataclass(frozen=True)
class FallbackOutcome(Generic[T]):
    result: T
    target: Target  # the provider that answered
    attempts: list[Attempt] = field(default_factory=list)  # in order, the last one succeeded


def call_with_fallback(
    targets: Sequence[Target], call: Callable[[Target], T], health: HealthTracker
) -> FallbackOutcome[T]:
    """Call the first provider that answers; raises the last error if none does.

    The raised error is the last provider's own (ProviderError/ProviderTimeout/...), with
    `error.attempts` set to every `Attempt`, so the proxy can record them all.
    """
    if not targets:
        raise ValueError("no provider serves this model")
    order = [t for t in targets if health.is_available(t.provider_id)]
    if not order:
        order = [min(targets, key=lambda t: health.get(t.provider_id).unhealthy_until or 0.0)]
    attempts: list[Attempt] = []
    last: AppError | None = None
    for target in order:
        try:
            result = call(target)
        except AppError as exc:
            attempts.append(Attempt(target.provider_id, exc))
            if not getattr(exc, "fallback", False):
                exc.attempts = attempts  # type: ignore[attr-defined]
                raise
            health.record_failure(target.provider_id, exc.message)
            last = exc
            continue
        health.record_success(target.provider_id)
        attempts.append(Attempt(target.provider_id, None))
        return FallbackOutcome(result, target, attempts)
    assert last is not None  # the loop ran at least once and did not return
    last.attempts = attempts  # type: ignore[attr-defined]
    raise last
