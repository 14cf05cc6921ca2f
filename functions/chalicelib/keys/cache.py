"""Key items remembered by a warm container, so most proxied requests skip the key's GetItem.

Safe without a staleness window: every key item carries a revision (`rev`), bumped by each
change of what a lookup returns (limits, expiry, IP allow-list); revocation changes `status`.
The reservation transaction checks both (`status = active` and `rev` = the revision the
request used), so a request admitted on a remembered key is admitted on the key as it is
now, or the reservation fails and the proxy reads the key again. The time limit only bounds
memory and how long a deleted key's item lingers here; expiry is checked on every use.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class KeyCache(Generic[V]):
    def __init__(self, ttl_seconds: float, max_entries: int = 4096,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._now = monotonic
        self._items: dict[str, tuple[float, V]] = {}

    def get(self, key_hash: str) -> V | None:
        found = self._items.get(key_hash)
        if found is None or self._ttl <= 0:
            return None
        if self._now() - found[0] >= self._ttl:
            self._items.pop(key_hash, None)
            return None
        return found[1]

    def put(self, key_hash: str, value: V) -> None:
        if self._ttl <= 0:
            return
        if len(self._items) >= self._max and key_hash not in self._items:
            self._items.pop(next(iter(self._items)))  # the oldest insertion: a bounded, simple FIFO
        self._items[key_hash] = (self._now(), value)

    def forget(self, key_hash: str) -> None:
        self._items.pop(key_hash, None)
