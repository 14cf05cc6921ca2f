"""`make package`: the packaged template is lint-clean and carries every route and schedule."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint_file
from chalicelib.kernel.settings import TABLES

from infra.package import APP_ZIP_LIMIT, LAYER_UNZIPPED_LIMIT, Artefacts, LayerUnavailable, package

ROOT = Path(__file__).resolve().parents[2]
SWAGGER_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def _swagger_paths(template: dict[str, Any]) -> dict[str, Any]:
    paths: dict[str, Any] = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    return paths


def test_packaged_template_is_cfn_lint_clean(packaged: Artefacts) -> None:
    matches = lint_file(packaged.template)
    assert matches == [], "\n".join(str(m) for m in matches)


def test_every_chalice_route_is_in_the_packaged_api(packaged_template: dict[str, Any]) -> None:
    from app import app

    paths = _swagger_paths(packaged_template)
    assert app.routes, "the app has routes"
    for path, methods in app.routes.items():
        assert path in paths, f"{path} is missing from the API definition"
        for method in methods:
            assert method.lower() in paths[path], f"{method} {path} is missing from the API definition"
    assert set(paths) == set(app.routes) | {"/v1/{proxy+}"}, "the API has a path the app does not route"
    for path, operations in paths.items():
        if path.startswith("/v1/"):
            continue  # the proxy function's (tests/infra/test_proxy_function.py)
        for method in set(operations) & SWAGGER_METHODS:
            uri = operations[method]["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
            assert "${APIHandler.Arn}" in uri, f"{method} {path} is not wired to the API handler"


def test_every_schedule_is_in_the_packaged_template(packaged_template: dict[str, Any]) -> None:
    from app import app
    from chalice.app import ScheduledEventConfig

    scheduled = {}
    for resource in packaged_template["Resources"].values():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] == "Schedule":
                scheduled[resource["Properties"]["Handler"]] = event["Properties"]["Schedule"]
    expected = {
        s.handler_string: s.schedule_expression if isinstance(s.schedule_expression, str)
        else s.schedule_expression.to_string()
        for s in app.event_sources if isinstance(s, ScheduledEventConfig)
    }
    assert scheduled == expected


def test_functions_get_table_names_and_secret_names_through_globals(packaged_template: dict[str, Any]) -> None:
    variables = packaged_template["Globals"]["Function"]["Environment"]["Variables"]
    assert {f"{table.upper()}_TABLE" for table in TABLES} <= set(variables)
    handler = packaged_template["Resources"]["APIHandler"]["Properties"]
    assert handler["Environment"]["Variables"]["STAGE"] == "dev"
    # A function-level value would shadow the template parameter; config.json must not set these.
    assert not {"SECRET_KEY_PARAM", "ENCRYPTION_KEY_PARAM", "CORS_ORIGINS"} & set(handler["Environment"]["Variables"])
    assert handler["Layers"] == [{"Ref": "ManagedLayer"}]


def test_merge_keeps_chalice_api_and_the_template_resources(
    packaged_template: dict[str, Any], template: dict[str, Any]
) -> None:
    resources = packaged_template["Resources"]
    assert {"APIHandler", "ManagedLayer", "ApiHandlerRole", "PortalDistribution", "UsersTable"} <= set(resources)
    assert set(template["Resources"]) <= set(resources)
    assert set(template["Outputs"]) <= set(packaged_template["Outputs"])
    assert resources["RestAPI"]["Properties"]["EndpointConfiguration"] == "REGIONAL"


def test_app_zip_holds_only_the_code_and_stays_small(packaged: Artefacts) -> None:
    with zipfile.ZipFile(packaged.app_zip) as archive:
        names = archive.namelist()
    assert "app.py" in names
    # Chalice adds its own runtime (chalice/app.py); the proxy function its entry point and start
    # command; nothing else but our code.
    allowed = {"app.py", "chalice/__init__.py", "chalice/app.py", "proxy_app.py", "run.sh"}
    assert all(n in allowed or n.startswith("chalicelib/") for n in names), sorted(names)
    assert not any("__pycache__" in n for n in names)
    assert packaged.app_zip_bytes < APP_ZIP_LIMIT


def test_layer_holds_the_runtime_dependencies_within_budget(packaged: Artefacts) -> None:
    with zipfile.ZipFile(packaged.layer_zip) as archive:
        top = {n.split("/")[4] for n in archive.namelist() if n.count("/") > 4}
    assert {"pynamodb", "pydantic", "pydantic_core", "jwt", "pyotp", "cryptography", "argon2"} <= top
    assert not {"chalice", "moto", "pytest"} & top, "development tools never ship"
    assert packaged.layer_unzipped_bytes < LAYER_UNZIPPED_LIMIT


def test_an_unreachable_pypi_is_reported_as_a_missing_layer_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pip honours PIP_INDEX_URL: a closed loopback port stands for "no network to PyPI".
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_RETRIES", "0")
    with pytest.raises(LayerUnavailable, match="pynamodb"):
        package("dev", root=ROOT, build=tmp_path / "build")
