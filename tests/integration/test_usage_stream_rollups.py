"""The rollups built from the usage table's stream: a batch is summed per rollup item, and a
request is counted once however often (and in whatever batches) its record is delivered."""

from __future__ import annotations

from dataclasses import replace

import pytest
from chalicelib.kernel.ids import new_id
from chalicelib.usage import reads_store
from chalicelib.usage.rollups import MAX_TXN_ITEMS, chunks, counted_from_stream, targets
from chalicelib.usage.store import UsageRecord, put_record_once

from infra.localstack.usage_stream import StreamTail

DAY = "2026-11-21"


def _record(n: int, user: str = "u1", model: str = "m", cost: int = 100) -> UsageRecord:
    rid = new_id()
    return UsageRecord(rid, user, f"k{n % 2}", "q1", "chat", model, "p1", 10, 20, cost, 0, 200, "ok", False, False,
                       5, "", None, f"{DAY}T10:00:0{n % 10}Z")


def _stream_records(container) -> list[dict]:  # the whole stream so far, as Lambda would get it
    from chalicelib.usage.store import UsageRecordItem

    client = UsageRecordItem._get_connection().connection.client
    return StreamTail(client, UsageRecordItem.Meta.table_name).read()


def _totals(user: str = "u1") -> dict[str, tuple[int, int]]:
    return {r.value: (r.requests, r.cost) for r in reads_store.user_rollups(user, DAY, DAY, "model")}


def test_a_batch_is_summed_per_rollup_item_and_failures_are_not_counted(container):
    for n in range(6):
        put_record_once(_record(n), ttl=0)
    failed = replace(_record(9), cost=0, input_tokens=0, output_tokens=0, status=502, outcome="upstream_error")
    put_record_once(failed, ttl=0)
    records = _stream_records(container)
    assert len(records) == 7 and len(counted_from_stream(records)) == 6
    assert container.usage_rollups.process(records) == 6
    assert _totals() == {"m": (6, 600)}
    everyone = reads_store.deployment_rollups(DAY, DAY, "model")
    assert sum(r.requests for r in everyone) == 6 and sum(r.cost for r in everyone) == 600


def test_a_record_delivered_again_alone_or_in_another_batch_adds_nothing(container):
    for n in range(10):
        put_record_once(_record(n), ttl=0)
    records = _stream_records(container)
    processor = container.usage_rollups
    assert processor.process(records[:4]) == 4
    assert processor.process(records) == 6  # Lambda's retry of a longer batch: the first four are known
    assert processor.process(records[2:7]) == 0  # a bisected half, delivered again
    assert processor.process(records) == 0
    assert _totals() == {"m": (10, 1000)}


def test_each_request_is_counted_once_under_its_endpoint_for_the_user_and_the_deployment(container):
    for n, endpoint in enumerate(["chat", "messages", "chat", "embeddings"]):
        put_record_once(replace(_record(n), endpoint=endpoint), ttl=0)
    records = _stream_records(container)
    assert container.usage_rollups.process(records) == 4
    assert container.usage_rollups.process(records) == 0  # delivered again: nothing more
    own = {r.value: (r.requests, r.cost) for r in reads_store.user_rollups("u1", DAY, DAY, "endpoint")}
    assert own == {"chat": (2, 200), "messages": (1, 100), "embeddings": (1, 100)}
    everyone: dict[str, int] = {}
    for r in reads_store.deployment_rollups(DAY, DAY, "endpoint"):
        everyone[r.value] = everyone.get(r.value, 0) + r.requests
    assert everyone == {"chat": 2, "messages": 1, "embeddings": 1}


def test_a_repeated_record_of_the_same_put_is_not_written_twice(container):
    record = _record(1)
    assert put_record_once(record, ttl=0) is True
    assert put_record_once(record, ttl=0) is False  # a retried settle's record
    assert len(_stream_records(container)) == 1


def test_a_batch_larger_than_one_transaction_is_split_and_counted_exactly(container):
    rows = [_record(n, user=f"u{n}", model=f"m{n % 7}") for n in range(40)]  # 9 rollup items each
    for row in rows:
        put_record_once(row, ttl=0)
    counted = counted_from_stream(_stream_records(container))
    groups = chunks(counted)
    assert len(groups) > 1
    for group in groups:
        items = {t for row in group for t, _ in targets(row)}
        assert len(group) + len(items) <= MAX_TXN_ITEMS
    assert container.usage_rollups.process(_stream_records(container)) == 40
    assert sum(r.requests for r in reads_store.deployment_rollups(DAY, DAY, "model")) == 40


def test_the_local_poller_hands_a_failed_batch_over_again_and_drains_on_stop(container):
    from chalicelib.usage.store import UsageRecordItem

    from infra.localstack.usage_stream import UsageStreamPoller

    tail = StreamTail(UsageRecordItem._get_connection().connection.client, UsageRecordItem.Meta.table_name)
    calls: list[int] = []

    def handler(event: dict, context: object) -> None:
        calls.append(len(event["Records"]))
        if len(calls) == 1:
            raise RuntimeError("the first batch fails")
        container.usage_rollups.process(event["Records"])

    poller = UsageStreamPoller(tail, handler)
    put_record_once(_record(1), ttl=0)
    with pytest.raises(RuntimeError):
        poller.drain()
    put_record_once(_record(2), ttl=0)
    poller.stop()  # never started: stop still drains what is left, the failed batch included
    assert calls == [1, 2]
    assert _totals() == {"m": (2, 200)}
