"""`make deploy` / `make destroy` as a whole: S3, CloudFront, SSM, STS, DynamoDB on moto.

moto's CloudFormation leaves Outputs out of stacks built from change sets, so the deploy
flow gets an in-memory CloudFormation (below) that answers with this stage's outputs; every
other service is moto. `destroy` runs on moto's CloudFormation (create_stack has outputs).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError
from moto import mock_aws

from infra.deploy import Clients, DeployOptions, deploy, destroy
from infra.stack import DeployError

API_URL = "https://abc123.execute-api.us-east-1.amazonaws.com/api"
PORTAL_URL = "https://d111111abcdef8.cloudfront.net"
STAND_IN = {"Resources": {"PortalBucket": {"Type": "AWS::S3::Bucket"}}}


class InMemoryCloudFormation:
    """Change sets applied at once; the stack answers with the outputs the template declares."""

    def __init__(self, outputs: dict[str, str]) -> None:
        self.outputs = outputs
        self.stack: dict[str, Any] | None = None
        self.change_sets: dict[str, dict[str, Any]] = {}
        self.executed: list[dict[str, str]] = []

    def describe_stacks(self, StackName: str) -> dict[str, Any]:  # noqa: N803 (boto3 names)
        if self.stack is None:
            error = {"Code": "ValidationError", "Message": f"Stack with id {StackName} does not exist"}
            raise ClientError({"Error": error}, "DescribeStacks")
        return {"Stacks": [self.stack]}

    def create_change_set(self, **kwargs: Any) -> dict[str, str]:
        assert kwargs["TemplateURL"].startswith("https://") and "CAPABILITY_AUTO_EXPAND" in kwargs["Capabilities"]
        change_set_id = f"cs-{len(self.change_sets)}"
        self.change_sets[change_set_id] = kwargs
        return {"Id": change_set_id}

    def get_waiter(self, name: str) -> Any:
        class Immediate:
            def wait(self, **kwargs: Any) -> None:
                return None

        return Immediate()

    def execute_change_set(self, ChangeSetName: str, StackName: str) -> None:  # noqa: N803
        change_set = self.change_sets[ChangeSetName]
        previous = {p["ParameterKey"]: p["ParameterValue"] for p in (self.stack or {}).get("Parameters", [])}
        values = {p["ParameterKey"]: previous[p["ParameterKey"]] if p.get("UsePreviousValue") else p["ParameterValue"]
                  for p in change_set["Parameters"]}
        self.executed.append(values)
        status = "CREATE_COMPLETE" if change_set["ChangeSetType"] == "CREATE" else "UPDATE_COMPLETE"
        self.stack = {
            "StackName": StackName, "StackStatus": status,
            "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()],
            "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in self.outputs.items()],
        }


@pytest.fixture
def clients() -> Iterator[Clients]:
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        yield Clients(*(session.client(n) for n in ("s3", "cloudformation", "cloudfront", "dynamodb", "ssm", "sts")))


@pytest.fixture
def secrets(clients: Clients) -> None:
    for name in ("secret-key", "encryption-key"):
        clients.ssm.put_parameter(Name=f"/keyledger/dev/{name}", Value="v" * 44, Type="SecureString")


@pytest.fixture
def cfn(clients: Clients) -> InMemoryCloudFormation:
    clients.s3.create_bucket(Bucket="kl-dev-portal")
    outputs = {"ApiUrl": API_URL, "PortalUrl": PORTAL_URL, "PortalBucketName": "kl-dev-portal",
               "PortalDistributionId": _distribution(clients.cloudfront), "UsersTableName": "keyledger-dev-users"}
    return InMemoryCloudFormation(outputs)


def _options(tmp_path: Path, **overrides: Any) -> DeployOptions:
    package_dir = tmp_path / "package"
    package_dir.mkdir(exist_ok=True)
    (package_dir / "sam.yaml").write_text(yaml.safe_dump(STAND_IN))
    dist = tmp_path / "dist"
    dist.mkdir(exist_ok=True)
    (dist / "index.html").write_text("<!doctype html>")
    values: dict[str, Any] = {"stage": "dev", "package_dir": package_dir, "portal_dir": dist, "waiter_delay": 1}
    return DeployOptions(**{**values, **overrides})


def _with(clients: Clients, cfn: InMemoryCloudFormation) -> Clients:
    return Clients(clients.s3, cfn, clients.cloudfront, clients.dynamodb, clients.ssm, clients.sts)


def test_first_deploy_creates_then_allows_the_portal_origin_and_publishes_the_portal(
    clients: Clients, secrets: None, cfn: InMemoryCloudFormation, tmp_path: Path
) -> None:
    lines: list[str] = []
    result = deploy(_with(clients, cfn), _options(tmp_path), log=lines.append)

    assert [run.get("CorsOrigins") for run in cfn.executed] == [None, PORTAL_URL]
    assert cfn.executed[0]["Stage"] == "dev"
    assert clients.s3.head_bucket(Bucket="keyledger-artifacts-123456789012-us-east-1")
    config = clients.s3.get_object(Bucket="kl-dev-portal", Key="config.js")["Body"].read().decode()
    assert f'"apiBase": "{API_URL}"' in config
    assert sorted(result.portal_keys) == ["config.js", "index.html"]
    assert result.invalidation_id and any(result.invalidation_id in line for line in lines)
    assert result.outputs["PortalUrl"] == PORTAL_URL


def test_later_deploys_keep_the_portal_origin_in_one_change_set(
    clients: Clients, secrets: None, cfn: InMemoryCloudFormation, tmp_path: Path
) -> None:
    deploy(_with(clients, cfn), _options(tmp_path), log=lambda _: None)
    cfn.executed.clear()
    deploy(_with(clients, cfn), _options(tmp_path, artifact_bucket="my-artefacts"), log=lambda _: None)
    assert [run["CorsOrigins"] for run in cfn.executed] == [PORTAL_URL]
    assert clients.s3.list_objects_v2(Bucket="my-artefacts")["KeyCount"] == 1  # the template


def test_explicit_cors_origins_and_other_parameters_are_passed(
    clients: Clients, secrets: None, cfn: InMemoryCloudFormation, tmp_path: Path
) -> None:
    options = _options(tmp_path, cors_origins="https://app.example", extra_parameters={"ApiThrottleRate": "50"})
    deploy(_with(clients, cfn), options, log=lambda _: None)
    assert [(run["CorsOrigins"], run["ApiThrottleRate"]) for run in cfn.executed] == [("https://app.example", "50")]


def test_deploy_refuses_a_stage_without_its_secrets_before_uploading_anything(
    clients: Clients, cfn: InMemoryCloudFormation, tmp_path: Path
) -> None:
    with pytest.raises(DeployError, match="/keyledger/dev/secret-key"):
        deploy(_with(clients, cfn), _options(tmp_path), log=lambda _: None)
    assert cfn.change_sets == {}
    assert "keyledger-artifacts-123456789012-us-east-1" not in [b["Name"] for b in clients.s3.list_buckets()["Buckets"]]


def test_a_missing_portal_build_is_skipped_with_a_message(
    clients: Clients, secrets: None, cfn: InMemoryCloudFormation, tmp_path: Path
) -> None:
    lines: list[str] = []
    result = deploy(_with(clients, cfn), _options(tmp_path, portal_dir=tmp_path / "nope"), log=lines.append)
    assert result.portal_keys == [] and result.invalidation_id is None
    assert any("not synced" in line for line in lines)


def test_a_package_built_for_another_stage_is_refused(
    clients: Clients, secrets: None, cfn: InMemoryCloudFormation, tmp_path: Path
) -> None:
    options = _options(tmp_path)
    prod = {"Resources": {"APIHandler": {"Type": "AWS::Serverless::Function",
                                         "Properties": {"Environment": {"Variables": {"STAGE": "prod"}}}}}}
    (options.package_dir / "sam.yaml").write_text(yaml.safe_dump(prod))
    with pytest.raises(DeployError, match="packaged for stage 'prod', not 'dev'"):
        deploy(_with(clients, cfn), options, log=lambda _: None)
    assert cfn.change_sets == {}


def test_deploy_without_a_package_says_to_run_make_package(clients: Clients, tmp_path: Path) -> None:
    options = DeployOptions(stage="dev", package_dir=tmp_path / "none", portal_dir=tmp_path)
    with pytest.raises(DeployError, match="make package STAGE=dev"):
        deploy(clients, options, log=lambda _: None)


# --- destroy, on moto's CloudFormation ---

RETAINED = {
    "Resources": {
        "UsersTable": {
            "Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {"TableName": "keyledger-dev-users", "BillingMode": "PAY_PER_REQUEST",
                           "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                           "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]},
        },
        "PortalBucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "kl-dev-portal"}},
    },
    "Outputs": {"UsersTableName": {"Value": {"Ref": "UsersTable"}},
                "PortalBucketName": {"Value": {"Ref": "PortalBucket"}}},
}


@pytest.fixture
def deployed(clients: Clients) -> None:
    clients.cloudformation.create_stack(StackName="keyledger-dev", TemplateBody=json.dumps(RETAINED))
    clients.s3.put_object(Bucket="kl-dev-portal", Key="index.html", Body=b"<!doctype html>")


def _tables(clients: Clients) -> list[str]:
    return list(clients.dynamodb.list_tables()["TableNames"])


def test_destroy_deletes_the_stack_and_keeps_the_tables(clients: Clients, deployed: None) -> None:
    kept = destroy(clients, "dev", waiter_delay=1, log=lambda _: None)
    assert kept == ["keyledger-dev-users"] and _tables(clients) == ["keyledger-dev-users"]
    assert "kl-dev-portal" not in [b["Name"] for b in clients.s3.list_buckets()["Buckets"]]
    with pytest.raises(ClientError, match="does not exist"):
        clients.cloudformation.describe_stacks(StackName="keyledger-dev")


def test_destroy_with_delete_tables_removes_them_too(clients: Clients, deployed: None) -> None:
    clients.dynamodb.update_table(TableName="keyledger-dev-users", DeletionProtectionEnabled=True)
    assert destroy(clients, "dev", delete_tables=True, waiter_delay=1, log=lambda _: None) == []
    assert _tables(clients) == []


def test_destroy_of_a_stage_that_does_not_exist_does_nothing(clients: Clients) -> None:
    lines: list[str] = []
    assert destroy(clients, "prod", waiter_delay=1, log=lines.append) == []
    assert lines == ["stack keyledger-prod does not exist"]


def _distribution(cloudfront: Any) -> str:
    config = {
        "CallerReference": "test", "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "kl-dev-portal.s3.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "redirect-to-https",
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
    }
    return str(cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"])
