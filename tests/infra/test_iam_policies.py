"""IAM: one role per function, granting exactly the AWS calls its code makes.

What each function calls is recorded from the test suite's real botocore calls
(tests/support/aws_calls.py writes tests/infra/aws_calls.json); a role that lacks one of
them, or grants one that no function makes, fails here. Service-side permissions (Lambda
writing the function's logs, sending a failed job run to the failure queue) are checked
apart: no code of ours makes those calls.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from chalice.utils import to_cfn_resource_name

from infra.package import Artefacts
from tests.support.aws_calls import API, EVERY_FUNCTION, Calls, load_record

ROOT = Path(__file__).resolve().parents[2]
# Lambda's own pollers read a stream with the function's role; no code of ours makes those calls.
STREAM_READS = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams")
SERVICE_SIDE = ("logs:", "sqs:", *STREAM_READS)
_TABLE_ARN = re.compile(r"^\$\{(\w+)\.Arn\}(/index/\w+)$")
_LISTED_BY_PARAMETER = ("BedrockModelArns", "BedrockRoleArns")  # the deployment lists these resources
_NO_RESOURCE_LEVEL = ("bedrock:ListFoundationModels", "bedrock:ListInferenceProfiles")
_STAGE_PARAMETERS = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/keyledger/${Stage}/*"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _table_names(template: dict[str, Any]) -> dict[str, str]:
    """Table logical id -> settings name (`UsersTable` -> `users`)."""
    return {name: r["Properties"]["TableName"]["Fn::Sub"].removeprefix("keyledger-${Stage}-")
            for name, r in template["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"}


def _resource(arn: Any, statement: dict[str, Any], tables: dict[str, str]) -> str:
    """A policy resource in the recorder's terms: `users`, `users/index/gsi1`, `parameter/...`."""
    if isinstance(arn, dict) and "Fn::GetAtt" in arn:
        return tables[arn["Fn::GetAtt"][0]]
    if isinstance(arn, dict) and arn.get("Ref") in _LISTED_BY_PARAMETER:
        return "${" + arn["Ref"] + "}"
    if arn == "*" and all(a in _NO_RESOURCE_LEVEL for a in _as_list(statement["Action"])):
        return "*"
    text = arn["Fn::Sub"] if isinstance(arn, dict) else arn
    if match := _TABLE_ARN.match(text):
        return tables[match.group(1)] + match.group(2)
    if text == _STAGE_PARAMETERS:
        return "parameter/keyledger/${Stage}/*"
    condition = statement.get("Condition", {}).get("StringLike", {})
    if text.endswith(":key/*") and condition.get("kms:ViaService", {}).get("Fn::Sub", "").startswith("ssm."):
        return "via ssm"
    raise AssertionError(f"a resource the IAM test cannot name: {arn}")


def statements_of(role: dict[str, Any], template: dict[str, Any]) -> list[dict[str, Any]]:
    """Inline policies and the stack's own managed policies attached to the role; a statement
    under a condition (`!If [Condition, statement, AWS::NoValue]`) as when its condition holds."""
    found = [_when_configured(s) for p in role["Properties"].get("Policies", [])
             for s in p["PolicyDocument"]["Statement"]]
    for arn in role["Properties"].get("ManagedPolicyArns", []):
        managed = template["Resources"][arn["Ref"]]
        assert managed["Type"] == "AWS::IAM::ManagedPolicy"
        found += managed["Properties"]["PolicyDocument"]["Statement"]
    return found


def _when_configured(statement: dict[str, Any]) -> dict[str, Any]:
    if "Fn::If" in statement:
        _, present, absent = statement["Fn::If"]
        assert absent == {"Ref": "AWS::NoValue"}, "a conditional statement grants nothing otherwise"
        return present  # type: ignore[no-any-return]
    return statement


def granted(role: dict[str, Any], template: dict[str, Any]) -> set[tuple[str, str]]:
    """The (action, resource) pairs a role allows, service-side permissions left out."""
    tables = _table_names(template)
    pairs = set()
    for statement in statements_of(role, template):
        assert statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
        actions = [a for a in _as_list(statement["Action"]) if not a.startswith(SERVICE_SIDE)]
        pairs |= {(a, _resource(r, statement, tables)) for a in actions for r in _as_list(statement["Resource"])}
    return pairs


def roles_by_function(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Function logical id -> its role resource."""
    resources = template["Resources"]
    return {name: resources[f["Properties"]["Role"]["Fn::GetAtt"][0]] for name, f in resources.items()
            if f["Type"] == "AWS::Serverless::Function"}


def needed_by_function(record: Calls) -> dict[str, set[tuple[str, str]]]:
    """Function logical id -> what its code calls (plus what every function does at a cold start)."""
    every = record.get(EVERY_FUNCTION, set())
    return {("APIHandler" if function == API else to_cfn_resource_name(function)): calls | every
            for function, calls in record.items() if function != EVERY_FUNCTION}


def test_the_proxy_function_has_a_record_and_a_role_of_its_own(packaged_template: dict[str, Any],
                                                                record: Calls) -> None:
    # Its calls are filed through its ASGI app (tests/support/aws_calls.py), apart from the API's.
    assert ("dynamodb:Query", "catalog") in needed_by_function(record)["ProxyHandler"], "a cold proxy loads the catalog"
    roles = roles_by_function(packaged_template)
    assert roles["ProxyHandler"] is not roles["APIHandler"]


@pytest.fixture(scope="module")
def record() -> Calls:
    return load_record()


def test_every_function_has_a_role_of_its_own_from_template_yaml(packaged_template: dict[str, Any],
                                                                 template: dict[str, Any]) -> None:
    functions = packaged_template["Resources"]
    roles = {name: f["Properties"]["Role"]["Fn::GetAtt"][0] for name, f in functions.items()
             if f["Type"] == "AWS::Serverless::Function"}
    assert len(set(roles.values())) == len(roles) >= 5
    for role in roles.values():
        # Chalice's own role (an empty placeholder policy) is replaced whole by the merge.
        assert packaged_template["Resources"][role] == template["Resources"][role], role


def test_the_record_has_every_function_and_only_those(packaged_template: dict[str, Any], record: Calls) -> None:
    assert set(needed_by_function(record)) == set(roles_by_function(packaged_template))
    secrets = {("ssm:GetParameters", "parameter/keyledger/${Stage}/*"), ("kms:Decrypt", "via ssm")}
    assert record[EVERY_FUNCTION] == secrets, "the secrets, read at every cold start"


def test_each_role_grants_exactly_the_calls_its_function_makes(packaged_template: dict[str, Any], record: Calls
                                                               ) -> None:
    needed = needed_by_function(record)
    for function, role in roles_by_function(packaged_template).items():
        allowed = granted(role, packaged_template)
        assert needed[function] - allowed == set(), f"{function}'s role lacks calls its code makes"
        assert allowed - needed[function] == set(), f"{function}'s role grants calls its code never makes"


def test_a_role_missing_one_action_is_caught(packaged_template: dict[str, Any], record: Calls) -> None:
    # Guards the test above: drop the API's Scan (admin quota listing) and the gap shows.
    role = roles_by_function(packaged_template)["APIHandler"]
    trimmed = {**role, "Properties": {**role["Properties"], "Policies": [
        {**p, "PolicyDocument": {**p["PolicyDocument"], "Statement": [
            {**s, "Action": [a for a in _as_list(s["Action"]) if a != "dynamodb:Scan"]} if "Action" in s else s
            for s in p["PolicyDocument"]["Statement"]]}}
        for p in role["Properties"]["Policies"]]}}
    missing = needed_by_function(record)["APIHandler"] - granted(trimmed, packaged_template)
    assert missing == {("dynamodb:Scan", "keys")}


def test_each_role_writes_only_its_own_functions_log_streams(packaged_template: dict[str, Any]) -> None:
    for function, role in roles_by_function(packaged_template).items():
        [logs] = [s for s in statements_of(role, packaged_template) if str(s["Action"]).count("logs:")]
        assert sorted(_as_list(logs["Action"])) == ["logs:CreateLogStream", "logs:PutLogEvents"]
        assert logs["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:"
                                               f"log-group:/aws/lambda/${{AWS::StackName}}-{function}-*:*"}


def test_only_scheduled_jobs_may_send_a_failed_run_to_the_failure_queue(packaged_template: dict[str, Any]) -> None:
    functions = packaged_template["Resources"]
    for function, role in roles_by_function(packaged_template).items():
        sends = [s for s in statements_of(role, packaged_template) if "sqs:" in str(s["Action"])]
        events = functions[function]["Properties"].get("Events", {}).values()
        if not any(e["Type"] == "Schedule" for e in events):  # the API and the proxy
            assert sends == []
        else:
            assert [(s["Action"], s["Resource"]) for s in sends] == [
                ("sqs:SendMessage", {"Fn::GetAtt": ["JobFailureQueue", "Arn"]})]


def test_no_arn_names_the_aws_partition(packaged: Artefacts) -> None:
    for path in (ROOT / "template.yaml", packaged.template):
        assert "arn:aws:" not in path.read_text(), f"{path.name}: use arn:${{AWS::Partition}}:"


def test_default_secret_parameter_names_fall_under_the_stage_policy(template: dict[str, Any]) -> None:
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    for variable in ("SECRET_KEY_PARAM", "ENCRYPTION_KEY_PARAM"):
        default = variables[variable]["Fn::If"][2]["Fn::Sub"]
        assert default.startswith("/keyledger/${Stage}/"), default
    for parameter in ("SecretKeyParam", "EncryptionKeyParam", "EncryptionKeysOldParam"):
        assert template["Parameters"][parameter]["AllowedPattern"].startswith("^(/keyledger/(local|dev|prod)/")


def test_the_proxy_may_invoke_only_the_bedrock_models_the_deployment_lists(packaged_template: dict[str, Any]
                                                                            ) -> None:
    roles = roles_by_function(packaged_template)
    proxy = roles["ProxyHandler"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    [invoke] = [s for s in proxy if "bedrock:Invoke" in str(s)]
    condition, statement, otherwise = invoke["Fn::If"]
    assert otherwise == {"Ref": "AWS::NoValue"}  # no Bedrock statement at all when none is listed
    assert packaged_template["Conditions"][condition] == {
        "Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", {"Ref": "BedrockModelArns"}]}, ""]}]}
    assert sorted(statement["Action"]) == ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    assert statement["Resource"] == {"Ref": "BedrockModelArns"}
    assert packaged_template["Parameters"]["BedrockModelArns"]["Default"] == ""
    for function, role in roles.items():  # no other role invokes a model, none on every resource
        invokes = [s for s in statements_of(role, packaged_template) if "bedrock:Invoke" in str(s["Action"])]
        assert invokes == ([statement] if function == "ProxyHandler" else []), function
def test_only_the_stream_processor_reads_the_usage_stream_and_only_that_stream(packaged_template: dict[str, Any]
                                                                              ) -> None:
    readers = {}
    for function, role in roles_by_function(packaged_template).items():
        reads = [s for s in statements_of(role, packaged_template) if set(_as_list(s["Action"])) & set(STREAM_READS)]
        if reads:
            readers[function] = [(sorted(_as_list(s["Action"])), s["Resource"]) for s in reads]
    assert readers == {"RollUpUsage": [(sorted(STREAM_READS), {"Fn::GetAtt": ["UsageTable", "StreamArn"]})]}
    mapping = packaged_template["Resources"]["RollUpUsageStream"]["Properties"]
    assert mapping["FunctionName"] == {"Fn::Select": [3, {"Fn::Split": ["/", {"Ref": "RollUpUsageLogGroup"}]}]}
    group = packaged_template["Resources"]["RollUpUsageLogGroup"]["Properties"]
    assert group["LogGroupName"] == {"Fn::Sub": "/aws/lambda/${RollUpUsage}"}
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["UsageTable", "StreamArn"]}
