"""Package and layer sizes from `make package`'s output (build/package/<stage>/)."""

from __future__ import annotations

import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _unzipped(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist())


def measure() -> dict[str, str]:
    """Zip and unzipped sizes of the newest build, or a note to run `make package`."""
    apps = sorted((REPO / "build").glob("package/*/deployment.zip"), key=lambda p: p.stat().st_mtime)
    if not apps:
        return {"app": "run make package", "layer": "run make package"}
    app = apps[-1]
    layer = app.with_name("layer-deployment.zip")
    out = {"app": f"{_mb(app.stat().st_size)} zip, {_mb(_unzipped(app))} unzipped ({app.parent.name})"}
    out["layer"] = (f"{_mb(layer.stat().st_size)} zip, {_mb(_unzipped(layer))} unzipped"
                    if layer.exists() else "no layer-deployment.zip in the build")
    return out


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.2f} MB"
