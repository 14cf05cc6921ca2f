"""The usage table's stream, read locally and handed to the same processor Lambda runs.

On AWS an event source mapping feeds the usage table's DynamoDB Stream to the `roll_up_usage`
function (usage/jobs.py). Locally moto keeps the stream; `StreamTail` reads its new records
in Lambda's event format and `UsageStreamPoller` hands them to that same function on a daemon
thread, so the local stack's statistics follow its requests within about a second. Tests drain
the stream synchronously with the same tail (tests/support/usage_stream.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("local")
POLL_SECONDS = 0.5


class StreamTail:
    """The new records of one table's stream, shard by shard, each handed out once.

    `from_start=False` starts at the stream's end: a restored snapshot's items, written again
    at start-up, are already in the restored rollups and must not be counted twice."""

    def __init__(self, dynamodb: Any, table_name: str, from_start: bool = True) -> None:
        import boto3
        from botocore.config import Config

        description = dynamodb.describe_table(TableName=table_name)["Table"]
        self.stream_arn: str = description["LatestStreamArn"]
        endpoint = dynamodb.meta.endpoint_url
        local = "amazonaws.com" not in endpoint
        # Account-based endpoints (123456789012.streams-ddb...) are not moto's: name the plain one.
        self._streams = boto3.client(
            "dynamodbstreams", region_name=dynamodb.meta.region_name,
            endpoint_url=endpoint if local else f"https://streams.dynamodb.{dynamodb.meta.region_name}.amazonaws.com",
            config=Config(account_id_endpoint_mode="disabled"))
        self._start = "TRIM_HORIZON" if from_start else "LATEST"
        self._iterators: dict[str, str | None] = {}
        self._open_shards()

    def _open_shards(self) -> None:
        shards = self._streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            if shard["ShardId"] not in self._iterators:
                self._iterators[shard["ShardId"]] = self._streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard["ShardId"], ShardIteratorType=self._start,
                )["ShardIterator"]

    def read(self, limit: int = 1000) -> list[dict[str, Any]]:
        """Records written since the last read (at most `limit` per shard), in Lambda's format."""
        found: list[dict[str, Any]] = []
        for shard, iterator in list(self._iterators.items()):
            if iterator is None:
                continue
            page = self._streams.get_records(ShardIterator=iterator, Limit=limit)
            self._iterators[shard] = page.get("NextShardIterator")
            found += [_as_lambda_record(r, self.stream_arn) for r in page["Records"]]
        return found


def _as_lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    change = record["dynamodb"]
    return {"eventID": record.get("eventID", ""), "eventName": record["eventName"], "eventSource": "aws:dynamodb",
            "eventSourceARN": stream_arn,
            "dynamodb": {k: change[k] for k in ("Keys", "NewImage", "SequenceNumber") if k in change}}


class UsageStreamPoller:
    """Feeds the stream to `handler(event, context)` (the `roll_up_usage` function) until stopped."""

    def __init__(self, tail: StreamTail, handler: Callable[[dict[str, Any], Any], Any]) -> None:
        self.tail = tail
        self.handler = handler
        self._pending: list[dict[str, Any]] = []  # a failed batch, handed over again (as Lambda retries)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="usage-stream", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def drain(self) -> int:
        """One pass: every record written so far goes to the handler; returns how many."""
        records = self._pending + self.tail.read()
        self._pending = records
        if records:
            self.handler({"Records": records}, None)
        self._pending = []
        return len(records)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.drain()
            except Exception:  # kept for the next pass; the processor counts a request once
                log.exception("usage stream: a batch failed; it is retried")
            self._stop.wait(POLL_SECONDS)

    def stop(self) -> None:
        """After the servers stopped and before the final snapshot: the last records are counted."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        self.drain()


def lambda_entry(app: Any, name: str) -> Callable[[dict[str, Any], Any], Any]:
    """The Chalice app's function `name` as Lambda calls it, `(event, context)`. (Its `.func` is
    Chalice's one-argument wrapper around the user's function, not that.)"""
    return app.handler_map[name]


def start_usage_stream(app: Any, dynamodb: Any, table_name: str) -> UsageStreamPoller:
    """The one call the runner makes once the tables are restored and the app is imported:
    the Chalice app's own `roll_up_usage` function (as deployed) is fed the stream's batches."""
    roll_up_usage = lambda_entry(app, "roll_up_usage")
    poller = UsageStreamPoller(StreamTail(dynamodb, table_name, from_start=False), roll_up_usage)
    poller.start()
    return poller
