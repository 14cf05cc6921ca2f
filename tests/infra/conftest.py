"""Fixtures for the infrastructure tests: the parsed templates and one packaging per session."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from chalice.package import YAMLTemplateSerializer

from infra.package import Artefacts, LayerUnavailable, package, read_packaged_template

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    """template.yaml as `chalice package --merge-template` reads it (short-form tags in long form)."""
    path = ROOT / "template.yaml"
    return YAMLTemplateSerializer().load_template(path.read_text(encoding="utf-8"), str(path))


@pytest.fixture(scope="session")
def chalice_config() -> dict[str, Any]:
    return json.loads((ROOT / ".chalice" / "config.json").read_text())


@pytest.fixture(scope="session")
def packaged() -> Artefacts:
    """`make package STAGE=dev` once per session (per xdist worker, each in its own folder).

    The build folder sits under build/ so Chalice's wheel cache survives between sessions."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    try:
        return package("dev", root=ROOT, build=ROOT / "build" / f"test-{worker}")
    except LayerUnavailable as exc:
        pytest.skip(f"cannot build the Lambda layer here (PyPI manylinux wheels unreachable): {exc}")


@pytest.fixture(scope="session")
def packaged_template(packaged: Artefacts) -> dict[str, Any]:
    return read_packaged_template(packaged.directory)
