"""`make bench` keeps working: bench/proxy.py runs end to end on a few requests and prints
every figure the README table is built from (the figures themselves are not asserted: speed
is the bench's to report, not a test's to time)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_proxy_bench_prints_every_figure_for_a_short_run() -> None:
    done = subprocess.run([sys.executable, "bench/proxy.py", "5"], cwd=REPO, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    for label in ("gateway added latency: p50", "DynamoDB units per request", "gateway CPU per request: p50",
                  "machine reference:"):
        assert label in out, out
    calls = re.search(r"DynamoDB calls per request: ([\d.]+) .*: ([\d.]+)$", out, re.MULTILINE)
    assert calls, out
    # A warm container with the key remembered: reserve, settle (money), the request record; the
    # RPM header read adds one.
    assert (float(calls.group(1)), float(calls.group(2))) == (3.0, 4.0)


def test_stream_bench_prints_the_added_time_to_first_byte() -> None:
    done = subprocess.run([sys.executable, "bench/streams.py", "3"], cwd=REPO, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.search(r"added time to first byte \(proxied - direct\): p50 [\d.]+ ms, p95 [\d.]+ ms", done.stdout), \
        done.stdout


def test_scale_bench_prints_every_figure_for_a_short_run() -> None:
    done = subprocess.run([sys.executable, "bench/scale.py", "48"], cwd=REPO, capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    for pattern in (r"writes to the hottest item per request: [\d.]+", r"items per transaction: [\d.]+",
                    r"WRU per request: [\d.]+", r"conflicts per 1,000 requests at 16 clients .*: \d+",
                    r"ceilings \(requests/s\): per key \d+, per user \d+ .*, per deployment \d+",
                    r"assumed: 1000 WRU/s a partition", r"proxy function memory: \d+ MB",
                    *(rf"cost per million requests at {s} s upstream time: \$[\d.]+ \(Lambda" for s in (1, 5, 20))):
        assert re.search(pattern, out), (pattern, out)
