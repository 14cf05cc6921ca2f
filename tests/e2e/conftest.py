"""`local_stack`: the real `infra/local.py` as a subprocess on free ports with its own data folder.

The stack writes its bound URLs to `<data>/stack.json`; the fixture waits for that file (from
this very process) and then for `GET /api/health` == 200. Stopping sends SIGINT and expects
a clean exit (code 0).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
# Only what a process needs to run; the test settings of tests/conftest.py must not leak in.
_PASS_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ")


class LocalStack:
    def __init__(self, root: Path, **extra_env: str) -> None:
        self.extra_env = extra_env
        self.data_dir = root / "data"
        self.log_path = root / "stack.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.info: dict[str, Any] = {}
        self.startup_seconds = 0.0
        self.exit_codes: list[int] = []

    @property
    def api_url(self) -> str:
        return self.info["api"]

    @property
    def portal_url(self) -> str:
        return self.info["portal"]

    @property
    def dynamodb_url(self) -> str:
        return self.info["dynamodb"]

    def env(self) -> dict[str, str]:
        env = {k: os.environ[k] for k in _PASS_THROUGH if k in os.environ}
        env.update({
            "LOCAL_DATA_DIR": str(self.data_dir), "PORT": "0", "MOTO_PORT": "0", "PORTAL_PORT": "0",
            "DEMO_UPSTREAM_PORT": "0", "PYTHONUNBUFFERED": "1",
        })
        env.update(self.extra_env)
        return env

    def start(self) -> None:
        began = time.monotonic()
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(  # noqa: S603 - our own runner
                [sys.executable, str(REPO / "infra" / "local.py")], cwd=REPO, env=self.env(),
                stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = began + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"local stack exited with {self.proc.returncode}:\n{self.log()}")
            if self._healthy():
                self.startup_seconds = time.monotonic() - began
                return
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"local stack not healthy within {START_TIMEOUT}s:\n{self.log()}")

    def _healthy(self) -> bool:
        try:
            info = json.loads((self.data_dir / "stack.json").read_text())
        except (OSError, ValueError):
            return False
        if info.get("pid") != str(self.proc.pid):  # a file left by an earlier run
            return False
        self.info = info
        try:
            return requests.get(info["health"], timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def stop(self, sig: int = signal.SIGINT) -> int:
        """Send `sig`, wait, and return the exit code (killed after STOP_TIMEOUT: -9)."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.exit_codes.append(self.proc.returncode)
        return self.proc.returncode

    def restart(self) -> None:
        code = self.stop()
        assert code == 0, f"stack exited with {code} on SIGINT:\n{self.log()}"
        self.start()

    def admin_credentials(self) -> dict[str, Any] | None:
        path = self.data_dir / "admin-credentials.json"
        return json.loads(path.read_text()) if path.exists() else None

    def log(self, tail: int | None = 5000) -> str:
        """The stack's output so far (stdout + stderr), its last `tail` characters by default."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return text[-tail:] if tail else text


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    stack = LocalStack(tmp_path_factory.mktemp("local-stack"))
    stack.start()
    yield stack
    code = stack.stop()
    assert code == 0, f"stack exited with {code} on SIGINT:\n{stack.log()}"


@pytest.fixture
def make_local_stack(tmp_path: Path) -> Iterator[Any]:
    """A factory for extra, short-lived stacks (own data folder, extra env); stopped at the end."""
    made: list[LocalStack] = []

    def make(**extra_env: str) -> LocalStack:
        stack = LocalStack(tmp_path / f"stack{len(made)}", **extra_env)
        stack.data_dir.parent.mkdir(parents=True, exist_ok=True)
        made.append(stack)
        return stack

    yield make
    for stack in made:
        if stack.proc is not None:
            stack.stop()
