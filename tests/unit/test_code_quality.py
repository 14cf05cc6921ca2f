"""The code base stays ruff and mypy clean (STYLE.md): both tools run here as in `make lint`.

Their settings live in pyproject.toml; mypy reuses its cache in `.mypy_cache`, so a run
after the first takes a second or two.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUFF_PATHS = ("functions", "infra", "tests", "bench")


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m <tool> ...` with this interpreter, from the repository root."""
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO,  # noqa: S603 - fixed argv, no shell
                          capture_output=True, text=True, timeout=600, check=False)


def test_ruff_finds_nothing() -> None:
    result = run_tool("ruff", "check", "--no-fix", *RUFF_PATHS)
    assert result.returncode == 0, f"ruff check {' '.join(RUFF_PATHS)}:\n{result.stdout}{result.stderr}"


def test_mypy_finds_nothing() -> None:
    # No paths: pyproject.toml's [tool.mypy] names what is checked.
    result = run_tool("mypy")
    assert result.returncode == 0, f"mypy:\n{result.stdout}{result.stderr}"
