"""The request record: written after the money, with its own conditional put, once per request id.

The settle transaction holds only money (ARCHITECTURE.md, Money 5); the record follows as one
PutItem conditional on being new (a retried settle cannot write it twice). The rollups are not
written here: the usage table's stream adds the new record to them (`usage/rollups.py`). The
key's `last_used_at` is set at most once a minute per key: this container skips keys it touched
within the minute, and the write itself is conditional on the stored time being older, so other
containers do not write it either. The money is already right when this runs: a failure here is
logged, not raised.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from ..kernel.clock import iso
from ..metering import quota_store as quota_table
from ..metering.types import Hold, RecordFields
from ..store.txn import StorageError
from ..usage import store as usage_table

TOUCH_EVERY_SECONDS = 60
log = logging.getLogger("keyledger.metering")


class RequestRecords:
    def __init__(self, retention_days: int) -> None:
        self.retention_days = retention_days
        self._touched: dict[str, float] = {}  # key hash -> when this container last set its last_used_at

    def write(self, hold: Hold, fields: RecordFields, tokens: tuple[int, int], cost: tuple[int, int],
              outcome: str, now: datetime, touch_key: bool, reported_output: int | None = None) -> None:
        """Record the request: `tokens` (in, out), `cost` (charged, overage) in micro-dollars;
        `reported_output` is the upstream's own output figure when the charge did not believe it."""
        record = usage_table.UsageRecord(
            hold.request_id, hold.user_id, hold.key_id, hold.quota_id, fields.endpoint, hold.model,
            fields.provider, tokens[0], tokens[1], cost[0], cost[1], fields.status, outcome, fields.stream,
            fields.stream_broken, fields.latency_ms, hold.ip, (fields.error or None) and fields.error[:500],
            iso(hold.created_at), reported_output)
        # DynamoDB's TTL deletes the record `retention_days` after the request (0: kept); the
        # rollups it was counted in are other items and stay.
        ttl = int(hold.created_at.timestamp()) + self.retention_days * 86400 if self.retention_days else None
        for attempt in range(2):
            try:
                usage_table.put_record_once(record, ttl)  # False: an earlier attempt wrote it
                break
            except StorageError:
                if attempt == 1:
                    log.warning("request %s: its record was not written", record.request_id)
        if touch_key and self._touch_due(hold.key_hash):
            stale_before = now - timedelta(seconds=TOUCH_EVERY_SECONDS)
            try:
                quota_table.touch_key(hold.key_hash, iso(now), iso(stale_before))
            except StorageError:
                log.warning("key %s: last use not written", hold.key_id)

    def _touch_due(self, key_hash: str) -> bool:
        now = time.monotonic()
        last = self._touched.get(key_hash)
        if last is not None and now - last < TOUCH_EVERY_SECONDS:
            return False
        if len(self._touched) > 10_000:  # bounded memory in a long-lived container
            self._touched.clear()
        self._touched[key_hash] = now
        return True
