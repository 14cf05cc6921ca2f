"""The layering of ARCHITECTURE.md ("Layout") holds: import-linter's contracts, as in `make lint`.

The contracts live in pyproject.toml ([tool.importlinter]); a broken one fails the suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_every_import_contract_is_kept() -> None:
    path = [str(REPO / "functions"), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"lint-imports:\n{result.stdout}{result.stderr}"
    assert "0 broken" in result.stdout, result.stdout
