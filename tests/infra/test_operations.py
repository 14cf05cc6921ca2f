"""Operations in the packaged template: logs with retention, alarms, the jobs' failure queue, TLS."""

from __future__ import annotations

import zipfile
from typing import Any

import pytest

from infra.package import LAMBDA_RUNTIME, RUNTIME_PROVIDED, Artefacts

NO_TOPIC = {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return _of_type(template, "AWS::Serverless::Function")


def _log_group_of_each_function(template: dict[str, Any]) -> dict[str, str]:
    """Function logical id -> logical id of the log group named `/aws/lambda/${Function}`."""
    found = {}
    for name, group in _of_type(template, "AWS::Logs::LogGroup").items():
        log_name = group["Properties"]["LogGroupName"]
        if isinstance(log_name, dict) and log_name.get("Fn::Sub", "").startswith("/aws/lambda/${"):
            found[log_name["Fn::Sub"].removeprefix("/aws/lambda/${").removesuffix("}")] = name
    return found


def _function_name_via(log_group: str) -> dict[str, Any]:
    return {"Fn::Select": [3, {"Fn::Split": ["/", {"Ref": log_group}]}]}


def test_every_function_logs_to_its_own_group_kept_for_the_retention_parameter(
    packaged_template: dict[str, Any], template: dict[str, Any]
) -> None:
    groups = _log_group_of_each_function(packaged_template)
    assert set(groups) == set(_functions(packaged_template))
    for group in _of_type(packaged_template, "AWS::Logs::LogGroup").values():
        # A log-group stub of template.yaml whose function was renamed would have no name.
        assert "LogGroupName" in group["Properties"]
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert template["Parameters"]["LogRetentionDays"]["Default"] == 30


def test_every_function_has_an_errors_and_a_throttles_alarm(packaged_template: dict[str, Any]) -> None:
    alarms = _of_type(packaged_template, "AWS::CloudWatch::Alarm").values()
    watched = {(a["Properties"].get("MetricName"), str(a["Properties"].get("Dimensions"))) for a in alarms}
    for group in _log_group_of_each_function(packaged_template).values():
        dimensions = str([{"Name": "FunctionName", "Value": _function_name_via(group)}])
        assert ("Errors", dimensions) in watched, group
        assert ("Throttles", dimensions) in watched, group


def test_every_alarm_notifies_the_optional_topic_both_ways(packaged_template: dict[str, Any]) -> None:
    alarms = _of_type(packaged_template, "AWS::CloudWatch::Alarm")
    assert len(alarms) >= 14
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == NO_TOPIC, name
        assert alarm["Properties"]["OKActions"] == NO_TOPIC, name
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching", name


def test_api_5xx_and_table_throttles_of_every_table_are_alarmed(packaged_template: dict[str, Any]) -> None:
    alarms = _of_type(packaged_template, "AWS::CloudWatch::Alarm")
    api = alarms["ApiServerErrorsAlarm"]["Properties"]
    assert api["MetricName"] == "5XXError"
    # The API is named after the stack (the swagger title is the same in every stage).
    assert {"Name": "ApiName", "Value": {"Ref": "AWS::StackName"}} in api["Dimensions"]
    assert packaged_template["Resources"]["RestAPI"]["Properties"]["Name"] == {"Ref": "AWS::StackName"}
    tables = set(_of_type(packaged_template, "AWS::DynamoDB::Table"))
    for kind in ("Read", "Write"):
        metrics = alarms[f"DynamoDb{kind}ThrottlesAlarm"]["Properties"]["Metrics"]
        stats = [m["MetricStat"]["Metric"] for m in metrics if "MetricStat" in m]
        assert {m["MetricName"] for m in stats} == {f"{kind}ThrottleEvents"}
        assert {m["Dimensions"][0]["Value"]["Ref"] for m in stats} == tables
        [expression] = [m for m in metrics if m.get("ReturnData")]
        assert all(f"FILL({m['Id']}, 0)" in expression["Expression"] for m in metrics if "MetricStat" in m)


def test_a_failed_job_run_lands_in_the_failure_queue_and_alarms(packaged_template: dict[str, Any]) -> None:
    groups = _log_group_of_each_function(packaged_template)
    scheduled = {name for name, f in _functions(packaged_template).items()
                 if any(e["Type"] == "Schedule" for e in f["Properties"].get("Events", {}).values())}
    assert scheduled and "APIHandler" not in scheduled
    configs = {str(c["Properties"]["FunctionName"]): c["Properties"]
               for c in _of_type(packaged_template, "AWS::Lambda::EventInvokeConfig").values()}
    assert set(configs) == {str(_function_name_via(groups[name])) for name in scheduled}
    for config in configs.values():
        destination = config["DestinationConfig"]["OnFailure"]["Destination"]
        assert destination == {"Fn::GetAtt": ["JobFailureQueue", "Arn"]}
        assert config["MaximumRetryAttempts"] == 2
    alarm = packaged_template["Resources"]["JobFailuresAlarm"]["Properties"]
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["JobFailureQueue", "QueueName"]}}]


def test_api_writes_a_json_access_log_line_per_request(packaged_template: dict[str, Any]) -> None:
    api = packaged_template["Resources"]["RestAPI"]
    setting = api["Properties"]["AccessLogSetting"]
    assert setting["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    assert '"requestId":"$context.requestId"' in setting["Format"]
    assert "Authorization" not in setting["Format"] and "apiKey" not in setting["Format"]
    assert api["DependsOn"] == "ApiGatewayAccount", "API Gateway needs its logging role before the stage"


@pytest.mark.parametrize("with_certificate", [True, False])
def test_portal_demands_tls_1_2_when_it_has_its_own_certificate(
    template: dict[str, Any], with_certificate: bool
) -> None:
    config = template["Resources"]["PortalDistribution"]["Properties"]["DistributionConfig"]
    condition, custom, default = config["ViewerCertificate"]["Fn::If"]
    assert condition == "HasPortalCertificate"
    if with_certificate:
        assert custom["MinimumProtocolVersion"] == "TLSv1.2_2021"
        assert custom["SslSupportMethod"] == "sni-only"
    else:
        # CloudFront's *.cloudfront.net certificate always negotiates from TLSv1: nothing to set.
        assert default == {"CloudFrontDefaultCertificate": True}


def test_functions_run_python_3_12_on_arm64_with_a_matching_layer(
    packaged: Artefacts, packaged_template: dict[str, Any]
) -> None:
    for name, function in _functions(packaged_template).items():
        assert function["Properties"]["Runtime"] == LAMBDA_RUNTIME == "python3.12", name
        assert function["Properties"]["Architectures"] == ["arm64"], name
    layer = packaged_template["Resources"]["ManagedLayer"]["Properties"]
    assert layer["CompatibleRuntimes"] == [LAMBDA_RUNTIME]
    with zipfile.ZipFile(packaged.layer_zip) as archive:
        binaries = [n for n in archive.namelist() if n.endswith(".so")]
    assert binaries
    for binary in binaries:
        assert binary.startswith(f"python/lib/{LAMBDA_RUNTIME}/site-packages/"), binary
        assert binary.endswith((".abi3.so", "-312-aarch64-linux-gnu.so")), binary


def test_layer_leaves_botocore_to_the_lambda_runtime(packaged: Artefacts) -> None:
    with zipfile.ZipFile(packaged.layer_zip) as archive:
        top = {n.split("/")[4].removesuffix(".py").split("-")[0] for n in archive.namelist() if n.count("/") > 4}
    assert not set(RUNTIME_PROVIDED) & top
    assert {"pynamodb", "urllib3"} <= top, "requests needs urllib3: it stays ours, not the runtime's"
