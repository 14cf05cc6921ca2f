"""The local stack's scheduler runs every scheduled function of the Chalice app, logs the outcome,
and keeps running when one job fails."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

from infra.localstack.options import OptionError, read_options
from infra.localstack.scheduler import Job, Scheduler, jobs_of, run_job


def test_every_deployed_schedule_runs_locally_on_the_short_interval() -> None:
    from app import app

    jobs = {j.name: j.every for j in jobs_of(app, 60)}
    deployed = {s.name for s in app.event_sources if getattr(s, "schedule_expression", None) is not None}
    assert set(jobs) == deployed
    assert {"warn_quotas", "renew_memberships", "release-expired-holds", "cleanup_expired"} <= set(jobs)
    assert set(jobs.values()) == {60}


def test_a_job_whose_deployed_rate_is_shorter_than_the_interval_keeps_its_rate() -> None:
    from app import app

    jobs = {j.name: j.every for j in jobs_of(app, 3600)}
    assert jobs["release-expired-holds"] == 300
    assert jobs["cleanup_expired"] == 3600


def test_a_failing_job_is_logged_and_does_not_raise(caplog: pytest.LogCaptureFixture) -> None:
    def boom(event: dict[str, Any]) -> None:
        raise RuntimeError("broken job")

    with caplog.at_level(logging.INFO, logger="local.jobs"):
        assert run_job(Job("boom", boom, 1)) is False
        assert run_job(Job("fine", lambda event: {"done": 1}, 1)) is True
    assert "job boom failed" in caplog.text
    assert "job fine: {'done': 1}" in caplog.text


def test_the_scheduler_runs_each_job_again_after_its_interval_even_after_a_failure() -> None:
    runs: list[str] = []
    third_run = threading.Event()

    def flaky(event: dict[str, Any]) -> int:
        runs.append(event["resources"][0])
        if len(runs) >= 3:
            third_run.set()
        if len(runs) == 1:
            raise RuntimeError("first run fails")
        return len(runs)

    scheduler = Scheduler([Job("flaky", flaky, 0.05)])
    scheduler.start()
    try:
        assert third_run.wait(timeout=10)
    finally:
        scheduler.stop()
    assert runs[:3] == ["flaky"] * 3


def test_the_local_job_interval_is_a_setting_with_a_default_of_a_minute() -> None:
    assert read_options({}).job_interval == 60
    assert read_options({"LOCAL_JOB_INTERVAL_SECONDS": "2"}).job_interval == 2
    with pytest.raises(OptionError, match="LOCAL_JOB_INTERVAL_SECONDS"):
        read_options({"LOCAL_JOB_INTERVAL_SECONDS": "soon"})
