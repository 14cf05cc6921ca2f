"""Providers' remaining credit: read from the providers that report it, kept, and watched.

A user's own provider with a `balance_kind` (detected from the base URL's host, or chosen) is
read on demand (`refresh`) and by the scheduled job (`run`, every REFRESH_EVERY; a provider
read within half an interval is skipped, so overlapping runs change nothing more). A read
that fails keeps the last known balance. When the balance falls below the owner's threshold
(in the provider's own currency) the owner gets one `provider_low_balance` notification,
armed again once the balance is back at or above it. Shared providers whose host reports a
balance are read by the same job; admins see them in the provider list.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from ..kernel.clock import Clock, iso
from ..kernel.crypto import Cipher
from ..kernel.errors import AppError, ConfigError, NotFound
from ..upstreams.balances import ReportedBalance, detect_kind
from .own_providers import target_of
from .own_store import OwnProviderStore
from .routing import ProviderTargetInfo
from .service import CatalogService
from .types import OwnProvider, ProviderBalance

REFRESH_EVERY = timedelta(minutes=30)  # the job's rate (catalog/jobs.py)
log = logging.getLogger("keyledger.catalog")
Notify = Callable[..., Any]  # NotificationService.notify(user_id, kind, message, detail)


class ProviderBalances:
    def __init__(self, store: OwnProviderStore, catalog: CatalogService, cipher: Cipher, clock: Clock,
                 read: Callable[[ProviderTargetInfo, str], ReportedBalance], notify: Notify) -> None:
        self._store = store
        self._catalog = catalog
        self._cipher = cipher
        self._clock = clock
        self._read = read  # (target, kind) -> the provider's answer; raises AppError
        self._notify = notify

    def refresh(self, user_id: str, provider_id: str) -> OwnProvider:
        """Read one of the user's providers' balance now (404 for anyone else's); the provider
        as kept afterwards (its last known balance if this read failed)."""
        return self._refresh(self._store.get(user_id, provider_id))

    def run(self, now: datetime) -> dict[str, int]:
        """The job: every own provider with a balance kind not read within half an interval,
        then every shared provider whose host reports a balance."""
        result = {"read": 0, "failed": 0, "skipped": 0, "shared": 0}
        for p in self._store.all_providers():
            if p.balance_kind is None or (p.balance and now - p.balance.checked_at < REFRESH_EVERY / 2):
                result["skipped"] += 1
                continue
            fresh = self._refresh(p)
            result["read" if fresh.balance and fresh.balance.checked_at >= now else "failed"] += 1
        result["shared"] = self.refresh_shared()
        return result

    def shared_balances(self) -> dict[str, ProviderBalance]:
        """provider id -> the last balance read of each shared provider that reports one."""
        return self._store.shared_balances()

    def refresh_shared(self) -> int:
        """Read every shared provider whose host is known to report a balance; how many answered."""
        read = 0
        snap = self._catalog.snapshot(fresh=True)
        for p in snap.providers.values():
            kind = detect_kind(p.base_url)
            key = snap.api_keys.get(p.provider_id)
            if kind is None or key is None:
                continue
            target = ProviderTargetInfo(provider_id=p.provider_id, name=p.name, type=p.type, base_url=p.base_url,
                                        api_key=key)
            balance = self._try_read(target, kind)
            if balance is not None:
                self._store.put_shared_balance(p.provider_id, balance)
                read += 1
        return read

    def _refresh(self, p: OwnProvider) -> OwnProvider:
        if p.balance_kind is None:
            return p
        try:
            target = target_of(p, self._cipher.decrypt(p.api_key_enc))
        except ConfigError:
            log.warning("own provider %s: its key cannot be decrypted; balance not read", p.provider_id)
            return p
        balance = self._try_read(target, p.balance_kind)
        if balance is None:
            return p
        low = p.low_balance_threshold is not None and balance.amount < p.low_balance_threshold
        try:
            self._store.set_balance(p, balance, notified=low)
        except NotFound:  # deleted meanwhile
            return p
        if low and not p.low_balance_notified:
            self._notify(p.user_id, "provider_low_balance",
                         f"Your provider {p.name} has {balance.amount} {balance.currency} left, below your alert of "
                         f"{p.low_balance_threshold} {balance.currency}.",
                         {"provider_id": p.provider_id, "provider": p.name, "amount": str(balance.amount),
                          "currency": balance.currency, "threshold": str(p.low_balance_threshold),
                          "at": iso(balance.checked_at)})
        return replace(p, balance=balance, low_balance_notified=low)

    def _try_read(self, target: ProviderTargetInfo, kind: str) -> ProviderBalance | None:
        try:
            reported = self._read(target, kind)
        except AppError as exc:
            log.info("provider %s: balance not read (%s)", target.name, exc.code)
            return None
        return ProviderBalance(reported.amount, reported.currency, self._clock.now())
