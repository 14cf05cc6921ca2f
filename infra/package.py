"""Build the deployable artefacts of one stage: `make package STAGE=dev`.

Chalice packages only `app.py` + `chalicelib/` of its project directory, and the project's
`requirements.txt` becomes the managed layer. So this script stages a Chalice project in
`build/chalice/` (functions/ + .chalice/ + layers/requirements.txt as requirements.txt) and runs

    chalice package --stage STAGE --merge-template template.yaml build/package/STAGE

Chalice reads the YAML template itself, short-form tags (`!Ref`, `!Sub`, `!GetAtt`...)
included, and a YAML merge template makes it write YAML: `sam.yaml` (CloudFormation in long
form, no tags), `deployment.zip` (the code) and `layer-deployment.zip` (the dependencies, built
from manylinux wheels downloaded from PyPI).

Three choices are made here, not in Chalice:
- the Lambda runtime is `LAMBDA_RUNTIME`, whatever Python runs this (infra/chalice_runtime.py),
  on arm64 (`lambda_architecture` in .chalice/config.json): every binary dependency
  (cryptography, argon2-cffi-bindings, pydantic-core, cffi, charset-normalizer) has a
  manylinux aarch64 wheel for it, and arm64 costs about 20% less per GB-second;
- the layer leaves out botocore and its own dependencies (`RUNTIME_PROVIDED`): the Lambda
  Python runtime ships boto3 with them, and our boto3 (secrets.py) is the runtime's anyway,
  so one consistent pair is used instead of the runtime's boto3 over our botocore;
- Chalice 1.34 names the API handler's log group after `${ApiHandler}`, a resource that
  does not exist (the function is `APIHandler`): the packaged template is corrected.

Then the /v1 proxy function, which Chalice does not know (template.yaml declares it, with its
own role), is completed (`add_proxy_function`): its entry point and start command go into the
same code zip, and it gets the managed layer (which only exists in Chalice's output).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("local", "dev", "prod")
APP_ZIP_LIMIT = 1 * 1024 * 1024
LAYER_UNZIPPED_LIMIT = 60 * 1024 * 1024  # Lambda allows 250 MB; we hold ourselves to less
EXIT_LAYER_UNAVAILABLE = 3
TEMPLATE_NAME = "sam.yaml"  # Chalice's name for its output when the merge template is YAML
# 3.12: SnapStart-capable and cheaper on arm64, the closest runtime to the 3.11 the suite runs on.
LAMBDA_RUNTIME = "python3.12"
# Top-level names in the layer's site-packages that the Lambda Python runtime provides
# (boto3's dependencies): modules and their .dist-info/.data folders.
RUNTIME_PROVIDED = ("botocore", "jmespath", "dateutil", "python_dateutil", "six")
_CHALICE_API_LOG_GROUP = ("/aws/lambda/${ApiHandler}", "/aws/lambda/${APIHandler}")

# Chalice prints this (and carries on) when a dependency has no Lambda-compatible wheel.
_MISSING_WHEEL = re.compile(r"Could not install dependencies:\s*(.+)")
# pip cannot reach the index: Chalice reports it as a requirement it cannot satisfy.
_NETWORK_FAILURE = re.compile(r"(NoSuchPackageError|Could not satisfy the requirement|ConnectionError|"
                              r"Max retries exceeded|Temporary failure in name resolution|Could not fetch URL)", re.I)


class LayerUnavailable(RuntimeError):
    """The managed layer could not be built (no network to PyPI, or no manylinux wheel)."""


@dataclass(frozen=True)
class Artefacts:
    directory: Path
    template: Path
    app_zip: Path
    layer_zip: Path

    @property
    def app_zip_bytes(self) -> int:
        return self.app_zip.stat().st_size

    @property
    def layer_unzipped_bytes(self) -> int:
        with zipfile.ZipFile(self.layer_zip) as archive:
            return sum(info.file_size for info in archive.infolist())


def read_packaged_template(package_dir: Path) -> dict[str, Any]:
    """The template `chalice package` wrote: plain YAML (Chalice dumps the long form, no tags)."""
    template = yaml.safe_load((package_dir / TEMPLATE_NAME).read_text(encoding="utf-8"))
    if not isinstance(template, dict):
        raise RuntimeError(f"{package_dir / TEMPLATE_NAME} is not a template")
    return template


def stage_project(root: Path, build: Path) -> Path:
    """Copy the Chalice project into build/chalice, keeping Chalice's wheel cache."""
    project = build / "chalice"
    cache = project / ".chalice" / "deployments"
    kept = build / ".deployments-cache"
    if cache.exists():
        shutil.rmtree(kept, ignore_errors=True)
        cache.rename(kept)
    shutil.rmtree(project, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "deployments", "deployed")
    shutil.copytree(root / "functions" / "chalicelib", project / "chalicelib", ignore=ignore)
    shutil.copy2(root / "functions" / "app.py", project / "app.py")
    shutil.copytree(root / ".chalice", project / ".chalice", ignore=ignore)
    shutil.copy2(root / "layers" / "requirements.txt", project / "requirements.txt")
    if kept.exists():
        kept.rename(cache)
    return project


def _chalice_command() -> list[str]:
    return [sys.executable, "-m", "infra.chalice_runtime", LAMBDA_RUNTIME]


def _is_runtime_provided(name: str) -> bool:
    """`name` is a zip entry; True for botocore/, botocore-1.2.3.dist-info/, six.py..."""
    parts = name.split("/")
    if len(parts) < 5 or parts[:2] != ["python", "lib"] or parts[3] != "site-packages":
        return False
    top = parts[4].removesuffix(".py")
    return top.split("-")[0] in RUNTIME_PROVIDED


def strip_runtime_provided(layer_zip: Path) -> None:
    """Rewrite the layer zip without the packages the Lambda runtime already has."""
    slim = layer_zip.with_suffix(".slim")
    with zipfile.ZipFile(layer_zip) as source, zipfile.ZipFile(slim, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if not _is_runtime_provided(info.filename):
                target.writestr(info, source.read(info))
    slim.replace(layer_zip)


def fix_api_log_group_name(template_path: Path) -> None:
    """Point the API handler's log group at the function Chalice really generates."""
    wrong, right = _CHALICE_API_LOG_GROUP
    text = template_path.read_text(encoding="utf-8")
    template_path.write_text(text.replace(wrong, right), encoding="utf-8")


def run_chalice_package(project: Path, stage: str, merge_template: Path, outdir: Path) -> None:
    shutil.rmtree(outdir, ignore_errors=True)
    outdir.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    # Chalice refuses to package without a region; the template itself is region-neutral.
    env.setdefault("AWS_DEFAULT_REGION", env.get("AWS_REGION", "us-east-1"))
    command = [*_chalice_command(), "--project-dir", str(project), "package", "--stage", stage,
               "--merge-template", str(merge_template), str(outdir)]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    output = result.stdout + result.stderr
    missing = _MISSING_WHEEL.search(output)
    if missing:
        raise LayerUnavailable(f"no Lambda-compatible wheel for: {missing.group(1).strip()}")
    if result.returncode != 0:
        if _NETWORK_FAILURE.search(output):
            reason = _NETWORK_FAILURE.findall(output)[-1]
            raise LayerUnavailable(f"PyPI is unreachable or lacks a pinned version ({reason}): {output.strip()[-300:]}")
        raise RuntimeError(f"chalice package failed ({result.returncode}):\n{output[-4000:]}")


def package(stage: str, root: Path = ROOT, build: Path | None = None) -> Artefacts:
    """Stage and package; returns where the artefacts are."""
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, got {stage!r}")
    build = build or root / "build"
    project = stage_project(root, build)
    outdir = build / "package" / stage
    run_chalice_package(project, stage, root / "template.yaml", outdir)
    artefacts = Artefacts(outdir, outdir / TEMPLATE_NAME, outdir / "deployment.zip", outdir / "layer-deployment.zip")
    strip_runtime_provided(artefacts.layer_zip)
    fix_api_log_group_name(artefacts.template)
    template = read_packaged_template(outdir)
    if "RestAPI" not in template.get("Resources", {}):
        raise RuntimeError("packaged template has no RestAPI: did the merge go wrong?")
    add_proxy_function(template, artefacts.app_zip, root / "functions")
    artefacts.template.write_text(yaml.safe_dump(template, sort_keys=False), encoding="utf-8")
    return artefacts


PROXY_FILES = {"proxy_app.py": 0o644, "run.sh": 0o755}


def add_proxy_function(template: dict[str, Any], app_zip: Path, functions: Path) -> None:
    """The proxy function runs the same code zip (plus its entry point and start command), with
    the dependencies of the managed layer under the adapter's layer."""
    with zipfile.ZipFile(app_zip, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, mode in PROXY_FILES.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16  # a regular file with its permissions
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, (functions / name).read_bytes())
    proxy = template["Resources"]["ProxyHandler"]["Properties"]
    proxy["Layers"] = [{"Ref": "ManagedLayer"}, *proxy["Layers"]]


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.2f} MB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default=os.environ.get("STAGE", "dev"), choices=STAGES)
    args = parser.parse_args(argv)
    try:
        artefacts = package(args.stage)
    except LayerUnavailable as exc:
        print(f"cannot build the Lambda layer: {exc}", file=sys.stderr)
        print(f"Packaging needs PyPI (manylinux aarch64 wheels for {LAMBDA_RUNTIME}). Run it where PyPI is "
              "reachable, or vendor the missing wheel under functions/vendor/.", file=sys.stderr)
        return EXIT_LAYER_UNAVAILABLE
    app, layer = artefacts.app_zip_bytes, artefacts.layer_unzipped_bytes
    print(f"template : {artefacts.template}")
    print(f"app zip  : {_mb(app)} ({app} bytes, target < 1 MB)")
    print(f"layer    : {_mb(layer)} unzipped ({layer} bytes, target < 60 MB); "
          f"zip {_mb(artefacts.layer_zip.stat().st_size)}")
    over = [name for name, size, limit in (("app zip", app, APP_ZIP_LIMIT), ("layer", layer, LAYER_UNZIPPED_LIMIT))
            if size >= limit]
    if over:
        print(f"over target: {', '.join(over)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
