"""The deploy steps against moto: artefact upload, change sets, portal sync, invalidation.

Where moto stops: it accepts a change set for the packaged template (SAM transform included)
but cannot execute one (it has no SAM transform: `AWS::Serverless::*` are unsupported), and
a stack created through a change set has no Outputs in moto. So the change set flow is run
end to end on a stand-in template of plain resources, and the packaged template only as far
as a created change set; `test_deploy_flow.py` covers the orchestration with outputs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError, WaiterError
from moto import mock_aws

from infra import portal, stack
from infra.package import Artefacts

BUCKET = "kl-artefacts"
STAND_IN = {
    "Parameters": {name: {"Type": "String", "Default": ""} for name in
                   ("Stage", "CorsOrigins", "SecretKeyParam", "EncryptionKeyParam", "EncryptionKeysOldParam")},
    "Resources": {
        "UsersTable": {
            "Type": "AWS::DynamoDB::Table",
            "DeletionPolicy": "Retain",
            "Properties": {
                "TableName": {"Fn::Sub": "keyledger-${Stage}-users"},
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                         {"AttributeName": "sk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            },
        },
        "PortalBucket": {"Type": "AWS::S3::Bucket"},
    },
}


@pytest.fixture
def aws_clients() -> Iterator[dict[str, Any]]:
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        clients = {name: session.client(name) for name in ("s3", "cloudformation", "cloudfront", "dynamodb")}
        stack.ensure_bucket(clients["s3"], BUCKET)
        yield clients


def _stand_in_package(tmp_path: Path) -> Path:
    (tmp_path / "sam.yaml").write_text(yaml.safe_dump(STAND_IN))
    return tmp_path


def test_artefact_bucket_is_created_private_and_encrypted(aws_clients: dict[str, Any]) -> None:
    s3 = aws_clients["s3"]
    stack.ensure_bucket(s3, BUCKET)  # a second call is a no-op
    block = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    rules = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_zips_are_uploaded_once_and_the_template_points_at_them(
    aws_clients: dict[str, Any], packaged: Artefacts
) -> None:
    s3 = aws_clients["s3"]
    url = stack.upload_artefacts(s3, BUCKET, packaged.directory, "dev")
    key = url.split(".amazonaws.com/", 1)[1]
    uploaded = json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    code = uploaded["Resources"]["APIHandler"]["Properties"]["CodeUri"]
    layer = uploaded["Resources"]["ManagedLayer"]["Properties"]["ContentUri"]
    assert code["Bucket"] == layer["Bucket"] == BUCKET
    assert s3.head_object(Bucket=BUCKET, Key=code["Key"])["ContentLength"] == packaged.app_zip_bytes
    assert s3.head_object(Bucket=BUCKET, Key=layer["Key"])["ContentLength"] == packaged.layer_zip.stat().st_size
    before = {o["Key"]: o["LastModified"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert stack.upload_artefacts(s3, BUCKET, packaged.directory, "dev") == url
    after = {o["Key"]: o["LastModified"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert after[code["Key"]] == before[code["Key"]], "an unchanged zip is not uploaded again"


def test_a_missing_zip_is_a_clear_deploy_error(aws_clients: dict[str, Any], tmp_path: Path) -> None:
    template = {"Resources": {"Fn": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "./gone.zip"}}}}
    (tmp_path / "sam.yaml").write_text(yaml.safe_dump(template))
    with pytest.raises(stack.DeployError, match="make package"):
        stack.upload_artefacts(aws_clients["s3"], BUCKET, tmp_path, "dev")


def test_packaged_template_is_accepted_as_a_change_set(aws_clients: dict[str, Any], packaged: Artefacts) -> None:
    cfn = aws_clients["cloudformation"]
    url = stack.upload_artefacts(aws_clients["s3"], BUCKET, packaged.directory, "dev")
    created = stack.create_change_set(cfn, "keyledger-dev", url, {"Stage": "dev", "CorsOrigins": None}, delay=1)
    assert created is not None
    change_set_id, change_type = created
    described = cfn.describe_change_set(ChangeSetName=change_set_id, StackName="keyledger-dev")
    assert change_type == "CREATE" and described["Status"] == "CREATE_COMPLETE"
    assert {"Stage": "dev"} == {p["ParameterKey"]: p["ParameterValue"] for p in described["Parameters"]
                                if p["ParameterKey"] == "Stage"}


def test_change_set_creates_then_updates_the_stack(aws_clients: dict[str, Any], tmp_path: Path) -> None:
    cfn, dynamodb = aws_clients["cloudformation"], aws_clients["dynamodb"]
    url = stack.upload_artefacts(aws_clients["s3"], BUCKET, _stand_in_package(tmp_path), "dev")
    params: dict[str, str | None] = {"Stage": "dev", "CorsOrigins": None}
    assert stack.apply_change_set(cfn, "keyledger-dev", url, params, delay=1) is True
    assert cfn.describe_stacks(StackName="keyledger-dev")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    assert dynamodb.describe_table(TableName="keyledger-dev-users")["Table"]["TableStatus"] == "ACTIVE"

    params["CorsOrigins"] = "https://portal.example"
    assert stack.apply_change_set(cfn, "keyledger-dev", url, params, delay=1) is True
    described = cfn.describe_stacks(StackName="keyledger-dev")["Stacks"][0]
    assert described["StackStatus"] == "UPDATE_COMPLETE"
    assert {"ParameterKey": "CorsOrigins", "ParameterValue": "https://portal.example"} in described["Parameters"]
    # moto detects "no changes" only for TemplateBody; the AWS behaviour is pinned below.


def test_unspecified_parameters_keep_their_previous_value_only_on_update() -> None:
    existing = {"Parameters": [{"ParameterKey": "CorsOrigins", "ParameterValue": "https://p"}]}
    wanted: dict[str, str | None] = {"Stage": "dev", "CorsOrigins": None, "SecretKeyParam": None}
    assert stack.stack_parameters(existing, wanted) == [
        {"ParameterKey": "Stage", "ParameterValue": "dev"}, {"ParameterKey": "CorsOrigins", "UsePreviousValue": True}]
    assert stack.stack_parameters(None, wanted) == [{"ParameterKey": "Stage", "ParameterValue": "dev"}]


RUNNING_TEMPLATE = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
NO_CHANGES = "The submitted information didn't contain changes. Submit different information to create a change set."


class _FailedChangeSetCfn:
    """How real CloudFormation answers a change set it cannot or need not apply: it ends FAILED.

    The stack runs RUNNING_TEMPLATE with Stage=dev; the change set asks for `template` and
    `stage`, and its StatusReason is prose the deploy must not read."""

    def __init__(
        self, template: dict[str, Any] = RUNNING_TEMPLATE, stage: str = "dev", reason: str = NO_CHANGES
    ) -> None:
        self.template, self.stage, self.reason = template, stage, reason
        self.deleted: list[str] = []

    def describe_stacks(self, StackName: str) -> dict[str, Any]:  # noqa: N803 (boto3 names)
        return {"Stacks": [{"StackName": StackName, "StackStatus": "UPDATE_COMPLETE",
                            "Parameters": [{"ParameterKey": "Stage", "ParameterValue": "dev"},
                                           {"ParameterKey": "CorsOrigins", "ParameterValue": "https://p"}]}]}

    def create_change_set(self, **kwargs: Any) -> dict[str, str]:
        return {"Id": "cs-1"}

    def get_waiter(self, name: str) -> Any:
        described = {"ChangeSetId": "cs-1", "Status": "FAILED", "StatusReason": self.reason,
                     "Parameters": [{"ParameterKey": "Stage", "ParameterValue": self.stage},
                                    {"ParameterKey": "CorsOrigins", "UsePreviousValue": True}]}

        class Waiter:
            def wait(self, **kwargs: Any) -> None:
                raise WaiterError(name, "Waiter encountered a terminal failure state", described)

        return Waiter()

    def get_template(self, StackName: str, TemplateStage: str, ChangeSetName: str | None = None) -> dict[str, Any]:  # noqa: N803
        return {"TemplateBody": self.template if ChangeSetName else RUNNING_TEMPLATE}

    def delete_change_set(self, ChangeSetName: str, StackName: str) -> None:  # noqa: N803
        self.deleted.append(ChangeSetName)

    def execute_change_set(self, **kwargs: Any) -> None:
        raise AssertionError("a failed change set must not be executed")


def test_a_failed_change_set_asking_for_what_runs_is_no_change_and_is_deleted() -> None:
    cfn = _FailedChangeSetCfn()
    params: dict[str, str | None] = {"Stage": "dev", "CorsOrigins": None}
    assert stack.apply_change_set(cfn, "keyledger-dev", "https://x/t.json", params, delay=1) is False
    assert cfn.deleted == ["cs-1"]


def test_a_failed_change_set_with_another_template_is_a_deploy_error_with_its_reason() -> None:
    cfn = _FailedChangeSetCfn(template={"Resources": {}}, reason="Transform AWS::Serverless-2016-10-31 failed")
    with pytest.raises(stack.DeployError, match="Transform AWS::Serverless-2016-10-31 failed"):
        stack.apply_change_set(cfn, "keyledger-dev", "https://x/t.json", {"Stage": "dev", "CorsOrigins": None})
    assert cfn.deleted == []


def test_a_failed_change_set_with_other_parameter_values_is_a_deploy_error_whatever_its_reason_says() -> None:
    with pytest.raises(stack.DeployError, match="didn't contain changes"):
        stack.apply_change_set(_FailedChangeSetCfn(stage="prod"), "keyledger-dev", "https://x/t.json",
                               {"Stage": "prod", "CorsOrigins": None})


class _RefusingCfn(_FailedChangeSetCfn):
    def create_change_set(self, **kwargs: Any) -> dict[str, str]:
        raise ClientError({"Error": {"Code": "ValidationError", "Message": "No updates are to be performed."}},
                          "CreateChangeSet")


def test_a_refused_change_set_is_a_deploy_error_whatever_its_message_says() -> None:
    with pytest.raises(stack.DeployError, match="cannot create change set"):
        stack.apply_change_set(_RefusingCfn(), "keyledger-dev", "https://x/t.json", {"Stage": "dev"})


class _DescribeFails:
    def __init__(self, code: str) -> None:
        self.code = code

    def describe_stacks(self, StackName: str) -> dict[str, Any]:  # noqa: N803
        raise ClientError({"Error": {"Code": self.code, "Message": f"Stack with id {StackName} does not exist"}},
                          "DescribeStacks")


def test_a_missing_stack_is_known_by_its_error_code_not_its_message() -> None:
    assert stack.describe_stack(_DescribeFails("ValidationError"), "keyledger-dev") is None
    with pytest.raises(ClientError):
        stack.describe_stack(_DescribeFails("AccessDenied"), "keyledger-dev")


def test_portal_sync_uploads_the_build_writes_config_js_and_drops_stale_files(
    aws_clients: dict[str, Any], tmp_path: Path
) -> None:
    s3 = aws_clients["s3"]
    s3.create_bucket(Bucket="portal")
    s3.put_object(Bucket="portal", Key="old.js", Body=b"stale")
    dist = tmp_path / "dist"
    (dist / "js").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><script src=config.js></script>")
    (dist / "js" / "app.js").write_text("export {};")
    (dist / "config.js").write_text('window.KEYLEDGER_CONFIG = {apiBase: "http://127.0.0.1:8000"};')
    api = "https://abc123.execute-api.eu-west-1.amazonaws.com/api"

    keys = portal.sync_portal(s3, "portal", dist, api + "/", "dev")

    assert sorted(keys) == ["config.js", "index.html", "js/app.js"]
    assert sorted(portal.list_keys(s3, "portal")) == ["config.js", "index.html", "js/app.js"]
    config = s3.get_object(Bucket="portal", Key="config.js")
    body = config["Body"].read().decode()
    assert 'window.KEYLEDGER_CONFIG = Object.freeze({"apiBase": "' + api + '", "stage": "dev"});' in body
    assert "127.0.0.1" not in body
    assert config["ContentType"].startswith("text/javascript") and config["CacheControl"] == "no-cache"
    index = s3.head_object(Bucket="portal", Key="index.html")
    assert index["ContentType"].startswith("text/html") and index["CacheControl"] == "no-cache"
    assert s3.head_object(Bucket="portal", Key="js/app.js")["ContentType"].startswith("text/javascript")


def test_invalidation_covers_every_path(aws_clients: dict[str, Any]) -> None:
    cloudfront = aws_clients["cloudfront"]
    distribution_id = _distribution(cloudfront)
    invalidation_id = portal.invalidate(cloudfront, distribution_id)
    batch = cloudfront.get_invalidation(DistributionId=distribution_id, Id=invalidation_id)["Invalidation"]
    assert batch["InvalidationBatch"]["Paths"]["Items"] == ["/*"]


def _distribution(cloudfront: Any) -> str:
    config = {
        "CallerReference": "test", "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "portal.s3.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "redirect-to-https",
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
    }
    return str(cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"])
