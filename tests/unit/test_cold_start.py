"""A cold start of the /api function imports only routes and schemas: functions/app.py hands each
blueprint lazy providers, so services, stores and their clients are imported by the first request
that needs them, not by `import app`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
_LISTED = "import json, sys; import app; print(json.dumps(sorted(sys.modules)))"


def _modules_after_importing_the_app() -> list[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "STAGE": "local", "APP_NAME": "keyledger",
           "PYTHONPATH": str(FUNCTIONS)}
    done = subprocess.run([sys.executable, "-c", _LISTED], cwd=FUNCTIONS, env=env,  # noqa: S603 - fixed argv
                          capture_output=True, text=True, timeout=120, check=True)
    return list(json.loads(done.stdout))


def test_importing_the_api_app_imports_no_service_store_or_client() -> None:
    modules = _modules_after_importing_the_app()
    assert "chalicelib.health.routes" in modules  # the blueprints are there
    ours = [m for m in modules if m.startswith("chalicelib.")]
    built = [m for m in ours if m.rsplit(".", 1)[-1] in ("service", "store") or m.endswith("_store")]
    assert built == []
    clients = [m for m in modules if m.split(".")[0] in ("pynamodb", "boto3", "botocore", "httpx", "argon2", "pyotp")]
    assert clients == []
