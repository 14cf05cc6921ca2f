"""Loading the data folder at start and keeping it current: snapshot + journal (journal.py).

At start the snapshot is loaded (a snapshot from before the journal loads as generation 0),
the journal that continues it is replayed, and, if it held anything, both are folded into a
new snapshot. From then on the journal is attached to the emulator as its write observer.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from infra.moto_atomic import set_write_observer

from .files import set_aside
from .journal import Journal, replay
from .moto_state import emulator_backend, load_items
from .snapshot import create_table, read_snapshot, table_names

log = logging.getLogger("local.snapshot")


def restore_snapshot(client: Any, backend: Any, path: Path, tables: dict[str, Any]) -> None:
    """Load a parsed snapshot; if DynamoDB refuses it, keep the file aside and go on."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        existing = set(table_names(client))
        for name, table in tables.items():
            if name not in existing:
                create_table(client, name, table["schema"])
        count = load_items(backend, tables)
    except (BotoCoreError, ClientError, KeyError, ValueError) as exc:
        kept = set_aside(path, "unloadable")
        log.warning("WARNING: snapshot %s could not be loaded (%s); kept it as %s. The tables may hold "
                    "PART of it; the next snapshot will replace it.", path, exc, kept.name)
        return
    log.info("snapshot loaded: %d tables, %d items", len(tables), count)


def open_data_folder(client: Any, data_dir: Path, sync_seconds: float) -> Journal:
    """Load `<data>/snapshot.json` and `<data>/journal.jsonl` into the emulator and start
    journaling its writes. `client` is a boto3 DynamoDB client on the emulator (for creating
    tables the app's models did not create)."""
    backend = emulator_backend()
    snapshot = data_dir / "snapshot.json"
    tables, generation = read_snapshot(snapshot)
    if tables is not None:
        restore_snapshot(client, backend, snapshot, tables)
    replayed = replay(backend, data_dir / "journal.jsonl", generation)
    if replayed:
        log.info("journal replayed: %d writes", replayed)
    journal = Journal(backend, data_dir, generation, sync_seconds)
    journal.start(compact=replayed > 0)
    set_write_observer(journal)
    return journal


def close_data_folder(journal: Journal) -> None:
    """Detach the journal and fold it into the snapshot (no request may run any more)."""
    set_write_observer(None)
    journal.close()
