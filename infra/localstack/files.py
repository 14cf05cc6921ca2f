"""Atomic, private file writes for the data folder."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write `data` to `path` so a reader sees the old file or the new one, never half of one:
    a temp file in the same folder, fsync, rename over the target, fsync the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_private_json(path: Path, value: Any) -> None:
    """JSON readable by the owner only (mode 0600)."""
    write_atomic(path, (json.dumps(value, indent=2, sort_keys=True) + "\n").encode(), mode=0o600)


class FolderBusy(RuntimeError):
    """Another local stack holds this data folder."""


def lock_folder(folder: Path) -> Any:
    """An exclusive lock on `<folder>/stack.lock`, held while the returned file stays open (the
    OS drops it when the process ends, however it ends). Two stacks on one folder would
    overwrite each other's snapshots."""
    import fcntl

    fh = (folder / "stack.lock").open("a+")
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        fh.close()
        raise FolderBusy(f"another local stack is running on the data folder {folder}; stop it first, "
                         "or give this one its own folder with LOCAL_DATA_DIR=...") from exc
    return fh


def set_aside(path: Path, reason: str) -> Path:
    """Rename a file we cannot use so it is kept for inspection and not overwritten."""
    from datetime import UTC, datetime

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.{reason}-{stamp}")
    os.replace(path, target)
    return target
