"""The local stack's persistence: a snapshot (the base) plus a write-ahead journal of changes.

Each DynamoDB request that writes appends one line to `<data>/journal.jsonl` while it still
holds its items' locks (infra/moto_atomic.py): the after-image of every item it wrote, so the
journal's order is the order in which conflicting writes happened and replaying a line twice
changes nothing. The line is in the file (the kernel's page cache) before the reply leaves, so
a `kill -9` of the stack loses nothing a client was told succeeded; a thread fsyncs the file in
batches, at most `sync_seconds` apart (0: the reply also waits for the fsync, group-committed
with the requests that arrived meanwhile, for durability across power loss too).

Compaction writes the whole state as a new snapshot with the next generation and starts a new,
empty journal; it happens at start (when the journal had records), at stop, when the journal has
outgrown the snapshot, and after a write of unknown extent (a table created or dropped, a TTL
set). A journal whose generation is older than the snapshot's was already folded into it.
A torn last line (the process died in the middle of a write that was never answered) is dropped.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from infra.moto_atomic import run_exclusive
from infra.moto_locks import Plan

from .files import set_aside, write_atomic
from .moto_state import apply_entries, dump_backend, write_record
from .snapshot import write_snapshot

log = logging.getLogger("local.journal")
FORMAT = "keyledger-local-journal"
MIN_COMPACT_BYTES = 64 * 1024 * 1024  # compact while running past max(this, 2x the snapshot)


class JournalError(ValueError):
    """The journal file is not one we wrote."""


def _header(generation: int) -> bytes:
    return (json.dumps({"format": FORMAT, "generation": generation}) + "\n").encode()


def read_journal(path: Path) -> tuple[int, list[list[Any]]] | None:
    """(generation, records) of a journal file, None when there is none. A torn last line is
    dropped; any other damage raises JournalError."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    lines = data.split(b"\n")
    torn = lines.pop()  # after the last newline: empty, or a write that never completed
    if torn:
        log.info("journal %s ends in a torn write (%d bytes, never answered): dropped", path, len(torn))
    try:
        header = json.loads(lines[0]) if lines else None
        if not isinstance(header, dict) or header.get("format") != FORMAT \
                or not isinstance(header.get("generation"), int):
            raise JournalError("missing or unknown journal header")
        records = [json.loads(line) for line in lines[1:]]
    except ValueError as exc:
        raise JournalError(str(exc)) from exc
    if not all(isinstance(r, list) for r in records):
        raise JournalError("a journal record is not a list of entries")
    return header["generation"], records


def replay(backend: Any, path: Path, generation: int) -> int:
    """Apply the journal that continues snapshot `generation`; returns the records applied. An
    unreadable journal is kept aside with a clear warning (the snapshot alone is loaded)."""
    try:
        found = read_journal(path)
        if found is None:
            return 0
        journal_generation, records = found
        if journal_generation < generation:
            log.info("journal %s (generation %d) is already in the snapshot (%d)", path, journal_generation, generation)
            return 0
        for record in records:
            apply_entries(backend, record)
    except (JournalError, ValueError, TypeError) as exc:
        kept = set_aside(path, "corrupt")
        log.warning("WARNING: journal %s could not be replayed (%s); kept it as %s. The data is the snapshot's "
                    "plus the records before the damage.", path, exc, kept.name)
        return 0
    return len(records)


class Journal:
    """The write observer of infra/moto_atomic.py for the local stack (see the module docstring)."""

    def __init__(self, backend: Any, data_dir: Path, generation: int, sync_seconds: float) -> None:
        self.backend = backend
        self.snapshot_path = data_dir / "snapshot.json"
        self.path = data_dir / "journal.jsonl"
        self.generation = generation
        self.sync_seconds = sync_seconds
        self._cond = threading.Condition(threading.Lock())
        self._fd = -1
        self._sync_mutex = threading.Lock()
        self._written = 0  # bytes appended since start, across compactions
        self._synced = 0  # of those, bytes known to be on disk (or folded into a snapshot)
        self._file_start = 0  # `_written` when the current file was started
        self._records = 0
        self._compact_at = MIN_COMPACT_BYTES
        self._closing = False
        self._thread = threading.Thread(target=self._sync_loop, name="journal-sync", daemon=True)

    # --- lifecycle -------------------------------------------------------------------------

    def start(self, compact: bool) -> None:
        """Open a fresh journal (after a compaction when `compact`) and start the sync thread."""
        if compact:
            self._write_snapshot()
        self._open_new()
        self._thread.start()

    def close(self) -> None:
        """Stop syncing; compact if anything was written. No write may arrive any more."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join(timeout=30)
        if self._records:
            self._compact()
        os.close(self._fd)
        self._fd = -1

    @property
    def records(self) -> int:
        return self._records

    # --- the write observer ----------------------------------------------------------------

    def written(self, backend: Any, plan: Plan) -> int | None:
        if plan.exclusive:  # a write of unknown extent; nothing else runs: fold everything in
            self._compact()
            return None
        entries = write_record(backend, plan.keys)
        if not entries:
            return None
        line = (json.dumps(entries, separators=(",", ":")) + "\n").encode()
        with self._cond:
            os.write(self._fd, line)
            self._written += len(line)
            self._records += 1
            ticket = self._written
            self._cond.notify_all()
        return ticket

    def settled(self, ticket: int | None) -> None:
        if ticket is None or self.sync_seconds > 0:
            return
        with self._cond:
            self._cond.wait_for(lambda: self._synced >= ticket or self._closing)

    # --- internals -------------------------------------------------------------------------

    def _sync_loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._written > self._synced or self._closing)
                if self._closing and self._written == self._synced:
                    return
                target = self._written
            with self._sync_mutex:  # the file is not swapped under an fsync
                os.fdatasync(self._fd)
            with self._cond:
                self._synced = max(self._synced, target)
                self._cond.notify_all()
                closing = self._closing
            if closing:
                continue
            if self._written - self._file_start > self._compact_at:
                run_exclusive(self._compact)
            if self.sync_seconds > 0:
                with self._cond:  # batch: wait out the interval unless we are stopping
                    self._cond.wait_for(lambda: self._closing, timeout=self.sync_seconds)

    def _compact(self) -> None:
        """Fold the journal into a new snapshot; the emulator is held exclusively (or idle)."""
        self._write_snapshot()
        with self._sync_mutex:
            old = self._fd
            self._open_new()
            os.close(old)

    def _write_snapshot(self) -> None:
        doc = dump_backend(self.backend, self.generation + 1)
        write_snapshot(self.snapshot_path, doc)
        self.generation += 1
        size = self.snapshot_path.stat().st_size
        self._compact_at = max(MIN_COMPACT_BYTES, 2 * size)
        items = sum(len(t["items"]) for t in doc["tables"].values())
        log.info("snapshot written: generation %d, %d tables, %d items", self.generation, len(doc["tables"]), items)

    def _open_new(self) -> None:
        """A new journal for the current generation, replacing the old file atomically.
        Everything written before is in the snapshot now, so it counts as synced."""
        write_atomic(self.path, _header(self.generation))
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        with self._cond:
            self._fd = fd
            self._synced = self._file_start = self._written
            self._records = 0
            self._cond.notify_all()
