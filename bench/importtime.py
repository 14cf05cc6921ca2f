"""Cold import of functions/app.py in a fresh interpreter: `-X importtime` total and wall time."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_LINE = re.compile(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")


def _env() -> dict[str, str]:
    # What the Lambda has: settings come from env; no AWS call may happen at import.
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "STAGE": "local", "APP_NAME": "keyledger",
            "PYTHONDONTWRITEBYTECODE": "0"}


def _run(code: str, importtime: bool) -> tuple[float, str]:
    args = [sys.executable, *(["-X", "importtime"] if importtime else []), "-c", code]
    began = time.perf_counter()
    done = subprocess.run(args, cwd=REPO / "functions", env=_env(), capture_output=True, text=True,  # noqa: S603
                          check=True)
    return time.perf_counter() - began, done.stderr


def measure(runs: int = 5) -> dict[str, float]:
    """Median over `runs` fresh processes (bytecode cached, as on a warm-ish Lambda disk)."""
    _run("import app", False)  # compile .pyc once, as the deployed package ships them
    baseline = statistics.median(_run("pass", False)[0] for _ in range(runs))
    walls = [_run("import app", False)[0] for _ in range(runs)]
    totals = []
    for _ in range(runs):
        _, trace = _run("import app", True)
        top_level = [int(m.group(2)) for m in map(_LINE.match, trace.splitlines()) if m and m.group(3) == " "]
        totals.append(sum(top_level) / 1000)
    return {
        "importtime_total_ms": statistics.median(totals),
        "wall_ms": statistics.median(walls) * 1000,
        "interpreter_ms": baseline * 1000,
    }
