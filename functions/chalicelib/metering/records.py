"""The request record: written after the money, in its own transaction, once per request id.

The settle transaction holds only money; the record follows, conditional on being new (a
retried settle cannot write it twice), with the day's rollups of a charged request and, at
most once a minute per key and container, the key's `last_used_at`. The money is already
right when this runs: a failure here is logged, not raised.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from ..kernel.clock import iso
from ..kernel.errors import ServiceUnavailable
from ..metering import quota_store as quota_table
from ..metering.types import Hold, RecordFields
from ..store.txn import Txn, TxnCancelled
from ..usage import store as usage_table

TOUCH_EVERY_SECONDS = 60
log = logging.getLogger("keyledger.metering")


class RequestRecords:
    def __init__(self, retention_days: int, commit: Callable[[Callable[[], Txn]], None]) -> None:
        self.retention_days = retention_days
        self._commit = commit
        self._touched: dict[str, float] = {}  # key hash -> when this container last set its last_used_at

    def write(self, hold: Hold, fields: RecordFields, tokens: tuple[int, int], cost: tuple[int, int],
              outcome: str, now: datetime, touch_key: bool) -> None:
        """Record the request: `tokens` (in, out), `cost` (charged, overage) in micro-dollars."""
        record = usage_table.UsageRecord(
            hold.request_id, hold.user_id, hold.key_id, hold.quota_id, fields.endpoint, hold.model,
            fields.provider, tokens[0], tokens[1], cost[0], cost[1], fields.status, outcome, fields.stream,
            fields.stream_broken, fields.latency_ms, hold.ip, (fields.error or None) and fields.error[:500],
            iso(hold.created_at))
        touch = touch_key and self._touch_due(hold.key_hash)
        ttl = int(now.timestamp()) + self.retention_days * 86400

        def build() -> Txn:
            txn = Txn()
            usage_table.put_record(txn, record, ttl)
            if record.cost or record.input_tokens or record.output_tokens:
                usage_table.add_to_rollups(txn, record, record.created_at[:10])
            if touch:
                quota_table.touch_key(txn, hold.key_hash, iso(now))
            return txn

        for _ in range(2):
            try:
                self._commit(build)
                return
            except TxnCancelled as exc:
                if "record" in exc.failed:
                    return  # written by an earlier attempt: idempotent
                touch = False  # the key item is gone: nothing to mark as used
            except ServiceUnavailable:
                break
        log.warning("request %s: its record was not written", record.request_id)

    def _touch_due(self, key_hash: str) -> bool:
        now = time.monotonic()
        last = self._touched.get(key_hash)
        if last is not None and now - last < TOUCH_EVERY_SECONDS:
            return False
        if len(self._touched) > 10_000:  # bounded memory in a long-lived container
            self._touched.clear()
        self._touched[key_hash] = now
        return True
