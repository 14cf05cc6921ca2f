"""Runs schemathesis (CLI) against a live stack's OpenAPI document, bounded in time.

The checks: no 5xx, documented status codes, content types, headers and response schemas,
bad input refused, auth not ignored, and the stateful phase over the links schemathesis infers
(create a user -> update it, ...). `positive_data_acceptance` is left out: valid-looking data
is still refused for business reasons (a wrong password is schema-valid).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# The local server answers methods no route declares (TRACE, QUERY) with http.server's 501 page;
# API Gateway never passes them to the Lambda, so probe only the methods a route could have.
# OPTIONS is left out too: every route answers CORS preflight (204) without declaring it.
CONFIG = """
[phases.coverage]
unexpected-methods = ["get", "put", "post", "delete", "patch"]
"""
# /api/logout ends the very session the run authenticates with: every later answer would be 401.
EXCLUDED_PATHS = ("/api/logout",)


def run_schemathesis(api_url: str, token: str, workdir: Path, *, max_time: int, seed: int | None = None,
                     extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "schemathesis.toml"
    config.write_text(CONFIG)
    cmd = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
        f"{api_url}/api/openapi.json", "-H", f"Authorization: Bearer {token}",
        "--max-time", str(max_time), "--checks", "all", "--exclude-checks", "positive_data_acceptance",
        "--request-timeout", "15", "--workers", "1", "--no-shrink",
        "--report", "junit", "--report-dir", str(workdir / "report"),
        *[arg for path in EXCLUDED_PATHS for arg in ("--exclude-path", path)],
        *(("--seed", str(seed)) if seed is not None else ()), *extra,
    ]
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True,  # noqa: S603 - our own command
                          timeout=max_time + 120, env={"PATH": "/usr/bin:/bin", "HOME": str(workdir), "NO_COLOR": "1",
                                                       "SCHEMATHESIS_TELEMETRY": "false"})
