"""The usage rollups, built from the usage table's stream (ARCHITECTURE.md, Money 5).

A proxied request writes its record once (`metering/records.py`); DynamoDB Streams hand the
new record to this processor (on AWS a Lambda on the stream, `usage/jobs.py`; locally the
local stack's poller, `infra/localstack/usage_stream.py`; in tests `tests/support/usage_stream.py`).
A batch is summed per rollup item (user or deployment shard, day, dimension, value), so the
request path writes no rollup at all and a rollup item is written once per batch, not once
per request.

Counted once, however often a record is delivered: every rolled-up request leaves a marker
(`usage/rollup_store.py`), put on the condition that it does not exist, in the SAME
transaction as the additions it stands for. Lambda retries a failed batch, may split it in
halves (bisect on error) and may deliver a record again after a crash that followed the
commit; any of these meets the markers, the transaction is cancelled naming the requests
already counted, and it is rebuilt without them. Per-shard sequence watermarks would save the
markers' writes, but Lambda's stream events do not say which shard they come from (only
tumbling-window invocations do), and a deployment rollup takes records of every shard, so a
watermark per rollup item cannot be kept without one per (item, shard): markers are the
simpler proof. They cost one small transactional put per request (2 WRU) instead of the
seven rollup updates per request (14 WRU) the request path used to make.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from ..kernel.clock import Clock
from ..store.txn import Txn, TxnCancelled, commit_with_retry
from . import rollup_store
from .store import DEPLOYMENT_DIMENSIONS, DIMENSIONS, deployment_pk, deployment_shard, user_pk

MAX_TXN_ITEMS = 100  # DynamoDB's limit on one TransactWriteItems

Target = tuple[str, str]  # (pk, sk) of a rollup item


@dataclass(frozen=True)
class Counted:
    """A request record as the rollups count it (cost in micro-dollars)."""

    request_id: str
    user_id: str
    key_id: str
    quota_id: str
    endpoint: str
    model: str
    provider: str
    input_tokens: int
    output_tokens: int
    cost: int
    day: str


def counted_from_stream(records: Iterable[dict[str, Any]]) -> list[Counted]:
    """The new request records of a batch of stream records (Lambda's event format) that the
    rollups count: charged or with tokens (failures are only in the records)."""
    found = []
    for record in records:
        if record.get("eventName") != "INSERT":
            continue
        image = (record.get("dynamodb") or {}).get("NewImage") or {}
        if not _s(image, "sk").startswith("REQ#"):
            continue
        row = Counted(_s(image, "request_id"), _s(image, "user_id"), _s(image, "key_id"), _s(image, "quota_id"),
                      _s(image, "endpoint") or "chat", _s(image, "model"), _s(image, "provider"),
                      _n(image, "input_tokens"), _n(image, "output_tokens"), _n(image, "cost"),
                      _s(image, "created_at")[:10])
        if row.cost or row.input_tokens or row.output_tokens:
            found.append(row)
    return found


def targets(row: Counted) -> list[tuple[Target, dict[str, str]]]:
    """The rollup items one request adds to, with the fields each one sets."""
    values = {"model": row.model, "provider": row.provider, "key": row.key_id, "endpoint": row.endpoint,
              "quota": f"{row.quota_id}#{row.model}"}
    found = []
    for dim in DIMENSIONS:
        fields = {"day": row.day, "dim": dim, "value": values[dim]}
        if dim == "quota":
            fields |= {"gsi1pk": f"QUOTA#{row.quota_id}#DAY", "gsi1sk": f"{row.day}#{row.model}"}
        found.append(((user_pk(row.user_id), f"DAY#{row.day}#{dim}#{values[dim]}"), fields))
    across = {"model": row.model, "provider": row.provider, "key": f"{row.user_id}#{row.key_id}",
              "endpoint": row.endpoint}
    pk = deployment_pk(deployment_shard(row.request_id))
    for dim in DEPLOYMENT_DIMENSIONS:
        found.append(((pk, f"DAY#{row.day}#{dim}#{across[dim]}"), {"day": row.day, "dim": dim, "value": across[dim]}))
    return found


def chunks(rows: list[Counted], limit: int = MAX_TXN_ITEMS) -> list[list[Counted]]:
    """Rows in groups whose markers plus distinct rollup items fit one transaction."""
    groups: list[list[Counted]] = []
    current: list[Counted] = []
    seen: set[Target] = set()
    for row in rows:
        mine = {t for t, _ in targets(row)}
        if current and len(current) + 1 + len(seen | mine) > limit:
            groups.append(current)
            current, seen = [], set()
        current.append(row)
        seen |= mine
    if current:
        groups.append(current)
    return groups


class UsageRollups:
    def __init__(self, clock: Clock, sleep: Callable[[float], None] = time.sleep) -> None:
        self.clock = clock
        self._sleep = sleep

    def process(self, records: Iterable[dict[str, Any]]) -> int:
        """Add a batch of stream records to the rollups; returns how many requests were newly
        counted (a record counted before adds nothing)."""
        added = 0
        for group in chunks(counted_from_stream(records)):
            added += self._commit_group(group)
        return added

    def _commit_group(self, group: list[Counted]) -> int:
        pending = {row.request_id: row for row in group}
        while pending:
            try:
                rows = list(pending.values())
                commit_with_retry(partial(self._txn, rows), self._sleep)
                return len(pending)
            except TxnCancelled as exc:
                counted = {label.removeprefix("mark:") for label in exc.failed if label.startswith("mark:")}
                if not counted:
                    raise
                for request_id in counted:
                    pending.pop(request_id, None)
        return 0

    def _txn(self, rows: list[Counted]) -> Txn:
        ttl = int(self.clock.now().timestamp()) + rollup_store.MARKER_TTL_SECONDS
        sums: dict[Target, list[int]] = {}
        fields: dict[Target, dict[str, str]] = {}
        txn = Txn()
        for row in rows:
            rollup_store.mark_rolled(txn, user_pk(row.user_id), row.request_id, ttl)
            for target, its_fields in targets(row):
                total = sums.setdefault(target, [0, 0, 0, 0])
                for i, value in enumerate((1, row.input_tokens, row.output_tokens, row.cost)):
                    total[i] += value
                fields[target] = its_fields
        for (pk, sk), total in sums.items():
            rollup_store.add_to_rollup(txn, pk, sk, fields[(pk, sk)], (total[0], total[1], total[2], total[3]))
        return txn


def _s(image: dict[str, Any], name: str) -> str:
    return str((image.get(name) or {}).get("S", ""))


def _n(image: dict[str, Any], name: str) -> int:
    raw = (image.get(name) or {}).get("N")
    return int(raw) if raw is not None else 0
