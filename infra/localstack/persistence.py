"""Keeping the snapshot current: count DynamoDB writes, dump at most every few seconds.

The moto server's WSGI app is wrapped by `WriteCounter`, which looks only at the
`X-Amz-Target` header: any operation that is not a known read bumps a counter. The
`Snapshotter` thread compares the counter with the one its last dump saw, so a quiet stack
never rewrites the file and a write during a dump is caught by the next round.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .snapshot import dump_tables, write_snapshot

log = logging.getLogger("local.snapshot")

# Every DynamoDB operation that cannot change data; anything else counts as a write, so a
# new or unexpected write operation is never missed.
READ_OPERATIONS = frozenset({
    "GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems", "DescribeTable", "ListTables",
    "DescribeTimeToLive", "DescribeContinuousBackups", "ListTagsOfResource", "DescribeEndpoints",
    "DescribeLimits", "ListBackups", "ListGlobalTables", "DescribeGlobalTable",
    "DescribeKinesisStreamingDestination", "DescribeTableReplicaAutoScaling", "ListExports",
    "ListImports", "DescribeExport", "DescribeImport", "GetResourcePolicy",
})


class WriteCounter:
    """WSGI middleware around the moto server counting requests that may write."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._count = 0

    @property
    def count(self) -> int:
        with self._lock:
            return self._count

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target:
            operation = target.rsplit(".", 1)[-1]
            if operation not in READ_OPERATIONS:
                with self._lock:
                    self._count += 1
        return self._app(environ, start_response)


class Snapshotter:
    """Writes `<data>/snapshot.json` after writes (at most every `interval` s) and on `stop()`."""

    def __init__(self, client: Any, path: Path, counter: WriteCounter, interval: float) -> None:
        self._client = client
        self._path = path
        self._counter = counter
        self._interval = interval
        self._saved = counter.count  # what was on disk (or loaded) when we started
        self._stop = threading.Event()
        self._lock = threading.Lock()  # one dump at a time
        self._thread = threading.Thread(target=self._loop, name="snapshotter", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def save_if_changed(self) -> bool:
        """Dump now if anything was written since the last dump; True if a file was written."""
        with self._lock:
            seen = self._counter.count
            if seen == self._saved:
                return False
            doc = dump_tables(self._client)
            write_snapshot(self._path, doc)
            self._saved = seen
            items = sum(len(t["items"]) for t in doc["tables"].values())
            log.debug("snapshot written: %d tables, %d items", len(doc["tables"]), items)
            return True

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.save_if_changed()
            except Exception:  # keep the stack up; the next round or shutdown retries
                log.exception("snapshot failed; will retry")

    def stop(self) -> None:
        """Stop the thread and write a final snapshot if anything changed."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        if self.save_if_changed():
            log.info("snapshot saved to %s", self._path)
