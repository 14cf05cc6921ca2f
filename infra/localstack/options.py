"""The local stack's own knobs, read from the environment once at start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"  # nothing listens beyond loopback


class OptionError(ValueError):
    """A local-stack variable has a value we cannot use; the message names it."""


@dataclass(frozen=True)
class Options:
    data_dir: Path
    port: int  # API; 0 = any free port
    moto_port: int
    portal_port: int | None  # None: 8001 if free, else any free port
    demo_upstream_port: int
    journal_sync_seconds: float  # fsync batches of the journal at most this far apart (0: before each reply)
    job_interval: float  # the scheduled jobs run at most this many seconds apart
    portal_dir: Path


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise OptionError(f"{name} must be a port number (0 = any free port), got {raw!r}") from exc
    if not 0 <= value <= 65535:
        raise OptionError(f"{name} must be between 0 and 65535, got {value}")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise OptionError(f"{name} must be a number of seconds, got {raw!r}") from exc
    if not low <= value <= high:
        raise OptionError(f"{name} must be between {low:g} and {high:g}, got {value:g}")
    return value


def read_options(env: Mapping[str, str] | None = None) -> Options:
    """`PORT` (default 8000), `PORTAL_PORT` (8001, or a free port if taken), `MOTO_PORT` and
    `DEMO_UPSTREAM_PORT` (default: free),
    `LOCAL_DATA_DIR` (default `.local/` in the repository), `JOURNAL_SYNC_SECONDS` (0.05),
    `LOCAL_JOB_INTERVAL_SECONDS` (60: each scheduled job runs at most this far apart)."""
    e = os.environ if env is None else env
    data = e.get("LOCAL_DATA_DIR", "").strip()
    job_interval = _seconds(e, "LOCAL_JOB_INTERVAL_SECONDS", 60.0, 0.5, 86400)
    return Options(
        data_dir=Path(data).expanduser().resolve() if data else REPO_ROOT / ".local",
        port=_port(e, "PORT", 8000),
        moto_port=_port(e, "MOTO_PORT", 0),
        portal_port=_port(e, "PORTAL_PORT", -1) if e.get("PORTAL_PORT", "").strip() else None,
        demo_upstream_port=_port(e, "DEMO_UPSTREAM_PORT", 0),
        journal_sync_seconds=_seconds(e, "JOURNAL_SYNC_SECONDS", 0.05, 0.0, 60.0),
        job_interval=job_interval,
        portal_dir=REPO_ROOT / "portal" / "dist",
    )
