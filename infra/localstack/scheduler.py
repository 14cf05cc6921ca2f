"""The scheduled jobs of the local stack: every `@bp.schedule` the Chalice app registers runs
here as it does on EventBridge, on a short local interval.

Each job runs every `min(its deployed rate, LOCAL_JOB_INTERVAL_SECONDS)` on one background
thread, one job at a time (as a Lambda per schedule would, without overlap); the outcome (its
return value, or the exception) goes to the stack's log. The jobs are idempotent, so a run
after a restart or a second run in one interval changes nothing more.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("local.jobs")
_SECONDS = {"MINUTES": 60, "HOURS": 3600, "DAYS": 86400}


@dataclass
class Job:
    name: str
    run: Callable[[dict[str, Any]], Any]
    every: float  # seconds between runs locally
    due: float = 0.0  # monotonic time of the next run


def deployed_seconds(schedule: Any) -> float | None:
    """A Chalice `Rate` in seconds; None for a cron expression (run on the local interval)."""
    unit = getattr(schedule, "unit", None)
    value = getattr(schedule, "value", None)
    if unit is None or value is None:
        return None
    return float(value) * _SECONDS[str(unit).upper()]


def jobs_of(app: Any, interval: float) -> list[Job]:
    """Every scheduled function of `app`, on min(deployed rate, interval)."""
    jobs = []
    for source in app.event_sources:
        schedule = getattr(source, "schedule_expression", None)
        if schedule is None:
            continue
        deployed = deployed_seconds(schedule)
        every = interval if deployed is None else min(deployed, interval)
        jobs.append(Job(source.name, app.handler_map[source.name].func, every))
    return jobs


def run_job(job: Job) -> bool:
    """Run once; log the outcome. Never raises: one failing job must not stop the others."""
    began = time.monotonic()
    event = {"source": "keyledger.local", "detail-type": "Scheduled Event", "resources": [job.name]}
    try:
        result = job.run(event)
    except Exception:
        log.exception("job %s failed after %.2fs", job.name, time.monotonic() - began)
        return False
    log.info("job %s: %s (%.2fs)", job.name, result, time.monotonic() - began)
    return True


class Scheduler:
    """One daemon thread running `jobs` when due until `stop()`."""

    def __init__(self, jobs: list[Job]) -> None:
        self.jobs = jobs
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="local-jobs", daemon=True)

    def start(self) -> None:
        now = time.monotonic()
        for job in self.jobs:
            job.due = now + job.every  # the first run after one interval, like a fresh EventBridge rule
        log.info("scheduled jobs: %s", ", ".join(f"{j.name} every {j.every:g}s" for j in self.jobs) or "none")
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            for job in self.jobs:
                if self._stop.is_set():
                    return
                if time.monotonic() >= job.due:
                    run_job(job)
                    job.due = time.monotonic() + job.every
            next_due = min((j.due for j in self.jobs), default=time.monotonic() + 3600)
            self._stop.wait(max(0.05, next_due - time.monotonic()))

    def stop(self) -> None:
        """Wait for a running job to finish (bounded), so no write lands after the snapshot."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)


def start_scheduler(app: Any, interval: float) -> Scheduler:
    """The one call the runner makes once the app and its container are ready."""
    scheduler = Scheduler(jobs_of(app, interval))
    scheduler.start()
    return scheduler
