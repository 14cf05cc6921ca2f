"""template.yaml: lint-clean, and its tables agree with settings and the PynamoDB models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint, lint_file
from chalicelib.kernel.settings import TABLES

ROOT = Path(__file__).resolve().parents[2]
TABLE_PROPS = {
    "BillingMode": "PAY_PER_REQUEST",
    "SSESpecification": {"SSEEnabled": True},
    "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
    "TimeToLiveSpecification": {"AttributeName": "ttl", "Enabled": True},
}


def _tables(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Template tables by their settings name (`keyledger-${Stage}-<name>` -> name)."""
    found = {}
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::DynamoDB::Table":
            name = resource["Properties"]["TableName"]["Fn::Sub"]
            assert name.startswith("keyledger-${Stage}-"), name
            found[name.removeprefix("keyledger-${Stage}-")] = resource
    return found


def _registered_table_models() -> list[Any]:
    """Every model that creates a table, after importing every store module of chalicelib."""
    from chalicelib.store.base import all_models

    return [model for model in all_models() if model.creates_table]


def test_template_yaml_is_cfn_lint_clean() -> None:
    matches = lint_file(ROOT / "template.yaml")
    assert matches == [], "\n".join(str(m) for m in matches)


def test_cfn_lint_does_find_a_broken_table(template: dict[str, Any]) -> None:
    # Guards the test above: the linter really reads what we hand it.
    text = (ROOT / "template.yaml").read_text().replace("BillingMode: PAY_PER_REQUEST", "BillingMode: FREE", 1)
    assert any("FREE" in str(m) for m in lint(text))


def test_every_settings_table_is_in_the_template_and_nothing_else(template: dict[str, Any]) -> None:
    assert sorted(_tables(template)) == sorted(TABLES)


@pytest.mark.parametrize("name", TABLES)
def test_each_table_is_on_demand_encrypted_recoverable_and_retained(template: dict[str, Any], name: str) -> None:
    table = _tables(template)[name]
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
    for key, value in TABLE_PROPS.items():
        assert table["Properties"][key] == value, key


@pytest.mark.parametrize("name", TABLES)
def test_each_table_has_the_shared_key_shape_of_internals_md(template: dict[str, Any], name: str) -> None:
    props = _tables(template)[name]["Properties"]
    assert {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]} == {
        "pk": "S", "sk": "S", "gsi1pk": "S", "gsi1sk": "S"}
    assert props["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert props["GlobalSecondaryIndexes"] == [{
        "IndexName": "gsi1",
        "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"}, {"AttributeName": "gsi1sk", "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "ALL"},
    }]


def test_table_models_agree_with_the_template(template: dict[str, Any]) -> None:
    models = _registered_table_models()
    if not models:
        pytest.skip("no table models registered yet")
    tables = _tables(template)
    for model in models:
        props = tables[model.table]["Properties"]
        schema = model._get_schema()
        declared = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
        modelled = {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]}
        assert modelled == declared, f"{model.__name__}: attribute types"
        assert sorted(map(_key, schema["key_schema"])) == sorted(map(_key, props["KeySchema"])), model.__name__
        template_indexes = {i["IndexName"]: i for i in props.get("GlobalSecondaryIndexes", [])}
        model_indexes = {i["index_name"]: i for i in schema["global_secondary_indexes"]}
        assert sorted(model_indexes) == sorted(template_indexes), f"{model.__name__}: GSIs"
        for index_name, index in model_indexes.items():
            declared_index = template_indexes[index_name]
            assert sorted(map(_key, index["key_schema"])) == sorted(map(_key, declared_index["KeySchema"]))
            assert index["projection"] == declared_index["Projection"], f"{model.__name__}.{index_name}"
        assert schema["local_secondary_indexes"] == [] and "LocalSecondaryIndexes" not in props
        assert model.ttl_attribute == props["TimeToLiveSpecification"]["AttributeName"], f"{model.__name__}: TTL"


def test_every_table_has_exactly_one_model_that_creates_it() -> None:
    models = _registered_table_models()
    if not models:
        pytest.skip("no table models registered yet")
    # Fails while some areas' models are not merged: the local stack would lack those tables.
    assert sorted(m.table for m in models) == sorted(TABLES)


def _key(element: dict[str, str]) -> tuple[str, str]:
    return element["AttributeName"], element["KeyType"]


def test_functions_get_every_table_name_and_only_secret_parameter_names(template: dict[str, Any]) -> None:
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    logical = {resource["Properties"]["TableName"]["Fn::Sub"].removeprefix("keyledger-${Stage}-"): logical_id
               for logical_id, resource in template["Resources"].items() if resource["Type"] == "AWS::DynamoDB::Table"}
    for name in TABLES:
        assert variables[f"{name.upper()}_TABLE"] == {"Ref": logical[name]}
    assert not {"SECRET_KEY", "ENCRYPTION_KEY", "ENCRYPTION_KEYS_OLD"} & set(variables), "secrets never as values"
    assert {"SECRET_KEY_PARAM", "ENCRYPTION_KEY_PARAM", "ENCRYPTION_KEYS_OLD_PARAM"} <= set(variables)


def test_outputs_name_the_api_portal_bucket_distribution_and_tables(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    assert {"ApiUrl", "PortalUrl", "PortalBucketName", "PortalDistributionId"} <= set(outputs)
    assert {f"{name.capitalize()}TableName" for name in TABLES} <= set(outputs)
    assert "${RestAPI}" in outputs["ApiUrl"]["Value"]["Fn::Sub"]


def test_rest_api_stub_repeats_the_chalice_config(template: dict[str, Any], chalice_config: dict[str, Any]) -> None:
    # The merge lets template.yaml win: a drift here would silently override Chalice's stage.
    props = template["Resources"]["RestAPI"]["Properties"]
    assert set(props) == {"StageName", "EndpointConfiguration", "MethodSettings", "DefinitionBody", "Name",
                          "AccessLogSetting"}
    assert list(props["DefinitionBody"]["paths"]) == ["/v1/{proxy+}"], "never hand-write the /api paths"
    assert props["MethodSettings"][0]["ThrottlingRateLimit"] == {"Ref": "ApiThrottleRate"}
    assert props["EndpointConfiguration"] == chalice_config["api_gateway_endpoint_type"]
    for stage in chalice_config["stages"].values():
        assert props["StageName"] == stage["api_gateway_stage"]


def test_portal_bucket_is_private_and_readable_only_by_its_distribution(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    bucket = resources["PortalBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values()) and len(bucket["PublicAccessBlockConfiguration"]) == 4
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert "BucketEncryption" in bucket
    allow = [s for s in resources["PortalBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
             if s["Effect"] == "Allow"]
    assert len(allow) == 1 and allow[0]["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow[0]["Action"] == "s3:GetObject"
    source = allow[0]["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    assert source.endswith(":distribution/${PortalDistribution}")


def test_portal_is_https_only_with_oac_and_a_strict_csp_allowing_the_api(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    config = resources["PortalDistribution"]["Properties"]["DistributionConfig"]
    assert config["DefaultRootObject"] == "index.html"
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["Origins"][0]["OriginAccessControlId"] == {"Fn::GetAtt": ["PortalOriginAccessControl", "Id"]}
    headers = resources["PortalHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if " " in part.strip())
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'", "no inline or third-party script"
    assert "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}" in directives["connect-src"].split()
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in csp
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
