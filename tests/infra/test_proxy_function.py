"""The /v1 proxy function in the templates: a streaming integration for every /v1 path, gateway
responses that never echo credentials, timeouts that follow PROXY_MAX_SECONDS, its own
reserved concurrency, the adapter layer as a parameter; and packaged with its code and its own role."""

from __future__ import annotations

import stat
import zipfile
from typing import Any

from chalicelib.kernel.settings import MAX_PROXY_SECONDS, load_settings

from infra.package import Artefacts


def _v1(template: dict[str, Any]) -> dict[str, Any]:
    paths = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    return paths["/v1/{proxy+}"]["x-amazon-apigateway-any-method"]["x-amazon-apigateway-integration"]


def test_every_v1_path_and_method_streams_from_the_proxy_function(template: dict[str, Any]) -> None:
    integration = _v1(template)
    assert integration["type"] == "aws_proxy" and integration["responseTransferMode"] == "STREAM"
    uri = integration["uri"]["Fn::Sub"]
    assert "/2021-11-15/functions/${ProxyHandler.Arn}/response-streaming-invocations" in uri
    permission = template["Resources"]["ProxyHandlerInvokePermission"]["Properties"]
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert permission["FunctionName"] == {"Ref": "ProxyHandler"}


def test_gateway_answers_never_repeat_the_callers_credentials(template: dict[str, Any]) -> None:
    body = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    responses = body["x-amazon-apigateway-gateway-responses"]
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == "404"
    for kind in ("MISSING_AUTHENTICATION_TOKEN", "DEFAULT_4XX", "DEFAULT_5XX"):
        body = responses[kind]["responseTemplates"]["application/json"]
        assert "$context.error.message" not in body and "Authorization" not in body
        assert '"error": {"message"' in body and '"code"' in body


def test_the_function_and_integration_timeouts_follow_proxy_max_seconds(template: dict[str, Any]) -> None:
    allowed = template["Parameters"]["ProxyMaxSeconds"]["AllowedValues"]
    table = template["Mappings"]["ProxyTimeouts"]
    settings = load_settings({"SECRET_KEY": "x" * 32, "ENCRYPTION_KEY": "k"})
    assert settings.proxy_max_seconds in allowed and max(allowed) <= MAX_PROXY_SECONDS
    for seconds in allowed:
        row = table[str(seconds)]
        assert seconds < row["FunctionSeconds"] <= 900, "the function outlives the stream, to settle it"
        assert row["IntegrationMillis"] <= 900_000
        assert row["FunctionSeconds"] < settings.hold_ttl_seconds, "a live stream's hold is never expired"
    proxy = template["Resources"]["ProxyHandler"]["Properties"]
    assert proxy["Timeout"] == {"Fn::FindInMap": ["ProxyTimeouts", {"Ref": "ProxyMaxSeconds"}, "FunctionSeconds"]}
    assert proxy["Environment"]["Variables"]["PROXY_MAX_SECONDS"] == {"Ref": "ProxyMaxSeconds"}


def test_the_proxy_runs_under_lambda_web_adapter_in_response_stream_mode(template: dict[str, Any]) -> None:
    proxy = template["Resources"]["ProxyHandler"]["Properties"]
    env = proxy["Environment"]["Variables"]
    assert (env["AWS_LAMBDA_EXEC_WRAPPER"], env["AWS_LWA_INVOKE_MODE"], proxy["Handler"]) == \
        ("/opt/bootstrap", "response_stream", "run.sh")
    assert proxy["Layers"][0]["Fn::If"][1] == {"Ref": "LambdaAdapterLayerArn"}
    assert "LambdaAdapterLayerArm64" in proxy["Layers"][0]["Fn::If"][2]["Fn::Sub"], "the functions run on arm64"
    assert proxy["ReservedConcurrentExecutions"]["Fn::If"][1] == {"Ref": "ProxyReservedConcurrency"}


def test_the_packaged_proxy_function_has_its_code_layers_and_a_role_of_its_own(
    packaged: Artefacts, packaged_template: dict[str, Any]
) -> None:
    with zipfile.ZipFile(packaged.app_zip) as archive:
        run = archive.getinfo("run.sh")
        assert "proxy_app.py" in archive.namelist()
    assert (run.external_attr >> 16) & stat.S_IXUSR, "run.sh is executable"
    proxy = packaged_template["Resources"]["ProxyHandler"]["Properties"]
    assert proxy["Layers"][0] == {"Ref": "ManagedLayer"} and proxy["CodeUri"] == "./deployment.zip"
    assert proxy["Role"] == {"Fn::GetAtt": ["ProxyHandlerRole", "Arn"]}
    assert proxy["Role"] != packaged_template["Resources"]["APIHandler"]["Properties"]["Role"]
