"""The `usage` table: one record per proxied request, and daily rollups.

Layout (docs/internals.md):
- request record `USER#<user_id>`/`REQ#<request_id>` with `ttl` (USAGE_RETENTION_DAYS) and
  gsi1 `QUOTA#<quota_id>`/`<request_id>` (a quota's requests, time order);
- rollup `USER#<user_id>`/`DAY#<yyyy-mm-dd>#<dim>#<value>` with counters `requests`,
  `input_tokens`, `output_tokens`, `cost` (micro-dollars), for dim in `model`, `provider`,
  `key`, `endpoint` (the inbound API: chat, responses, messages, completions, embeddings) and
  `quota` (value `<quota_id>#<model>`, the one with gsi1 `QUOTA#<quota_id>#DAY`/
  `<yyyy-mm-dd>#<model>` for a quota's statistics).
- deployment rollup `ALL#<shard>`/`DAY#<yyyy-mm-dd>#<dim>#<value>`, same counters, for dim
  `model`, `provider`, `endpoint` and `key` (value `<user_id>#<key_id>`: users and keys across
  the deployment), shard = crc32(request id) mod `DEPLOYMENT_SHARDS`, so no single item takes
  every request of the deployment (docs/internals.md, "Admin overview").
The record is one conditional put (`put_record_once`); the rollups are added (ADD) from the
table's stream by `usage/rollups.py`, a batch at a time, so statistics are reads, not scans,
and the request path writes no rollup.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.constants import STREAM_NEW_IMAGE
from pynamodb.exceptions import DoesNotExist, PutError

from ..store.base import Gsi1, IndexedItem, TableItem
from ..store.txn import StorageError

DIMENSIONS = ("model", "provider", "key", "endpoint", "quota")
DEPLOYMENT_DIMENSIONS = ("model", "provider", "key", "endpoint")
DEPLOYMENT_SHARDS = 8


class UsageRecordItem(TableItem):
    table = "usage"

    class Meta(TableItem.Meta):
        stream_view_type = STREAM_NEW_IMAGE  # the rollups are built from the new records (usage/rollups.py)

    gsi1: Gsi1[UsageRecordItem] = Gsi1()

    request_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    key_id = UnicodeAttribute(default="")
    quota_id = UnicodeAttribute(default="")
    endpoint = UnicodeAttribute(default="chat")  # inbound API: chat, responses, completions, messages, embeddings
    model = UnicodeAttribute(default="")
    provider = UnicodeAttribute(default="")
    input_tokens = NumberAttribute(default=0)
    output_tokens = NumberAttribute(default=0)
    cost = NumberAttribute(default=0)  # micro-dollars charged
    overage = NumberAttribute(default=0)  # micro-dollars the upstream's usage cost beyond the hold (not charged)
    status = NumberAttribute(default=200)  # the HTTP status the caller got
    outcome = UnicodeAttribute(default="ok")  # ok | upstream_error | stream_broken | expired
    stream = BooleanAttribute(default=False)
    stream_broken = BooleanAttribute(default=False)
    latency_ms = NumberAttribute(default=0)
    ip = UnicodeAttribute(default="")
    error = UnicodeAttribute(null=True)  # short, safe detail of a failure
    created_at = UnicodeAttribute()
    # The upstream's output figure when it under-reported against the delivered text (the
    # charge used the delivered estimate, `output_tokens`); absent otherwise.
    reported_output_tokens = NumberAttribute(null=True)


class RollupItem(IndexedItem):
    table = "usage"

    rollup_index: Gsi1[RollupItem] = Gsi1()

    day = UnicodeAttribute(null=True)
    dim = UnicodeAttribute(null=True)
    value = UnicodeAttribute(null=True)
    requests = NumberAttribute(default=0)
    input_tokens = NumberAttribute(default=0)
    output_tokens = NumberAttribute(default=0)
    cost = NumberAttribute(default=0)  # micro-dollars


@dataclass(frozen=True)
class UsageRecord:
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
    overage: int
    status: int
    outcome: str
    stream: bool
    stream_broken: bool
    latency_ms: int
    ip: str
    error: str | None
    created_at: str
    reported_output_tokens: int | None = None


@dataclass(frozen=True)
class Rollup:
    user_id: str
    day: str
    dim: str
    value: str
    requests: int
    input_tokens: int
    output_tokens: int
    cost: int


def user_pk(user_id: str) -> str:
    return f"USER#{user_id}"


def deployment_pk(shard: int) -> str:
    return f"ALL#{shard}"


def deployment_shard(request_id: str) -> int:
    return zlib.crc32(request_id.encode()) % DEPLOYMENT_SHARDS


def get_record(user_id: str, request_id: str) -> UsageRecord | None:
    try:
        return _record(UsageRecordItem.get(user_pk(user_id), f"REQ#{request_id}", consistent_read=True))
    except DoesNotExist:
        return None


def rollups(user_id: str, first_day: str, last_day: str) -> list[Rollup]:
    """Every rollup of a user for days first_day..last_day (inclusive, `yyyy-mm-dd`)."""
    items = RollupItem.query(user_pk(user_id), RollupItem.sk.between(f"DAY#{first_day}", f"DAY#{last_day}#\xff"))
    return [Rollup(user_id, i.day or "", i.dim or "", i.value or "", int(i.requests or 0),
                   int(i.input_tokens or 0), int(i.output_tokens or 0), int(i.cost or 0)) for i in items]


def _record(item: UsageRecordItem) -> UsageRecord:
    return UsageRecord(
        item.request_id, item.user_id, item.key_id, item.quota_id, item.endpoint, item.model, item.provider,
        int(item.input_tokens), int(item.output_tokens), int(item.cost), int(item.overage or 0), int(item.status),
        item.outcome, bool(item.stream), bool(item.stream_broken), int(item.latency_ms), item.ip, item.error,
        item.created_at, None if item.reported_output_tokens is None else int(item.reported_output_tokens),
    )


# --- writes ------------------------------------------------------------------------------


def put_record_once(record: UsageRecord, ttl: int | None) -> bool:
    """Write the request's record (one PutItem) unless it exists; False if it did (a retry).
    `ttl` (epoch seconds) is when DynamoDB may delete it; None keeps it."""
    item = UsageRecordItem(
        user_pk(record.user_id), f"REQ#{record.request_id}", gsi1pk=f"QUOTA#{record.quota_id}",
        gsi1sk=record.request_id, ttl=ttl, request_id=record.request_id, user_id=record.user_id,
        key_id=record.key_id, quota_id=record.quota_id, endpoint=record.endpoint, model=record.model,
        provider=record.provider, input_tokens=record.input_tokens, output_tokens=record.output_tokens,
        cost=record.cost, overage=record.overage, status=record.status, outcome=record.outcome,
        stream=record.stream, stream_broken=record.stream_broken, latency_ms=record.latency_ms,
        ip=record.ip, error=record.error, created_at=record.created_at,
        reported_output_tokens=record.reported_output_tokens,
    )
    try:
        item.save(condition=UsageRecordItem.pk.does_not_exist())
    except PutError as exc:
        if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False
        raise StorageError(f"record not written: {type(exc.cause).__name__}") from exc
    return True
