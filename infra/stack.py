"""CloudFormation steps of a deploy: upload the artefacts, apply a change set, read outputs.

Every function takes its boto3 client as an argument so tests hand in moto-backed ones.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError, WaiterError

from infra.package import read_packaged_template

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]  # Chalice's role; the SAM transform
# Properties that point at a local file in Chalice's output, per resource type.
_LOCAL_ARTEFACTS = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri"}


class DeployError(RuntimeError):
    """A deploy step failed; the message says which and why."""


def stack_name(stage: str) -> str:
    """`keyledger-<stage>`: the IAM policies scope log groups to `/aws/lambda/<this>-*`."""
    return f"keyledger-{stage}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _object_exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def ensure_bucket(s3: Any, bucket: str) -> None:
    """Create the private artefact bucket if it does not exist yet."""
    try:
        s3.head_bucket(Bucket=bucket)
        return
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
            raise DeployError(f"artefact bucket {bucket} is not usable: {exc}") from exc
    region = s3.meta.region_name
    kwargs: dict[str, Any] = {"Bucket": bucket}
    if region and region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**kwargs)
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True
        },
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )


def upload_artefacts(s3: Any, bucket: str, package_dir: Path, stage: str) -> str:
    """Upload the zips (content-addressed) and the template; return the template's S3 URL.

    Chalice's template names `./deployment.zip` and `./layer-deployment.zip`; they are
    replaced by S3 locations, which is what `aws cloudformation package` would do.
    """
    resolved = read_packaged_template(package_dir)
    prefix = f"keyledger/{stage}"
    for resource in resolved.get("Resources", {}).values():
        prop = _LOCAL_ARTEFACTS.get(resource.get("Type", ""))
        local = resource.get("Properties", {}).get(prop) if prop else None
        if not isinstance(local, str) or local.startswith("s3://"):
            continue
        path = (package_dir / local).resolve()
        if not path.is_file():
            raise DeployError(f"{local} named by the template is missing; run `make package STAGE={stage}`")
        key = f"{prefix}/{_sha256(path)}{path.suffix}"
        if not _object_exists(s3, bucket, key):
            s3.upload_file(str(path), bucket, key)
        resource["Properties"][prop] = {"Bucket": bucket, "Key": key}
    body = json.dumps(resolved, indent=1).encode()
    key = f"{prefix}/templates/{hashlib.sha256(body).hexdigest()}.json"
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    region = s3.meta.region_name or "us-east-1"
    return f"https://{bucket}.s3.{region}.amazonaws.com/{key}"


def describe_stack(cfn: Any, name: str) -> dict[str, Any] | None:
    """The stack, or None if it does not exist (or only an unexecuted change set does)."""
    try:
        stacks = cfn.describe_stacks(StackName=name)["Stacks"]
    except ClientError as exc:
        # CloudFormation has no narrower code for a missing stack than ValidationError; the
        # name is always a valid `keyledger-<stage>`, so here it can only mean "no such stack".
        if exc.response["Error"]["Code"] == "ValidationError":
            return None
        raise
    stack: dict[str, Any] = stacks[0]
    return None if stack["StackStatus"] == "REVIEW_IN_PROGRESS" else stack


def stack_outputs(cfn: Any, name: str) -> dict[str, str]:
    stack = describe_stack(cfn, name)
    return {o["OutputKey"]: o["OutputValue"] for o in (stack or {}).get("Outputs", [])}


def stack_parameters(existing: dict[str, Any] | None, wanted: dict[str, str | None]) -> list[dict[str, Any]]:
    """Given values win; on update, an unspecified parameter keeps its previous value."""
    previous = {p["ParameterKey"] for p in (existing or {}).get("Parameters", [])}
    result: list[dict[str, Any]] = []
    for key, value in wanted.items():
        if value is not None:
            result.append({"ParameterKey": key, "ParameterValue": value})
        elif key in previous:
            result.append({"ParameterKey": key, "UsePreviousValue": True})
    return result


def create_change_set(
    cfn: Any, name: str, template_url: str, parameters: dict[str, str | None], *, delay: int = 5,
    max_attempts: int = 720
) -> tuple[str, str] | None:
    """Create a change set and wait for it; returns (id, CREATE|UPDATE), None if nothing changes."""
    existing = describe_stack(cfn, name)
    if existing and existing["StackStatus"] == "ROLLBACK_COMPLETE":
        raise DeployError(f"stack {name} is ROLLBACK_COMPLETE (its first create failed): run `make destroy` first")
    change_type = "UPDATE" if existing else "CREATE"
    change_set = f"{name}-{time.strftime('%Y%m%d%H%M%S')}"
    try:
        change_set_id = cfn.create_change_set(
            StackName=name,
            ChangeSetName=change_set,
            ChangeSetType=change_type,
            TemplateURL=template_url,
            Parameters=stack_parameters(existing, parameters),
            Capabilities=CAPABILITIES,
            Tags=[{"Key": "Application", "Value": "keyledger"}],
        )["Id"]
    except ClientError as exc:
        raise DeployError(f"cannot create change set for {name}: {exc}") from exc
    try:
        cfn.get_waiter("change_set_create_complete").wait(
            ChangeSetName=change_set_id, StackName=name, WaiterConfig={"Delay": delay, "MaxAttempts": max_attempts}
        )
    except WaiterError as exc:
        described = exc.last_response or {}
        if described.get("Status") == "FAILED" and existing and _asks_for_what_runs(cfn, existing, described):
            cfn.delete_change_set(ChangeSetName=change_set_id, StackName=name)
            return None
        raise DeployError(f"change set {change_set} failed: {described.get('StatusReason') or exc}") from exc
    return change_set_id, change_type


def _asks_for_what_runs(cfn: Any, existing: dict[str, Any], change_set: dict[str, Any]) -> bool:
    """True when a change set asks for the template and parameter values the stack already runs.

    That is when AWS fails a change set for having nothing to change, a fact it gives only in
    the prose of StatusReason; the state is compared instead. Whatever else made such a change
    set fail, there was nothing to apply.
    """
    running = {p["ParameterKey"]: p.get("ParameterValue") for p in existing.get("Parameters", [])}
    asked = {p["ParameterKey"]: running.get(p["ParameterKey"]) if p.get("UsePreviousValue") else p.get("ParameterValue")
             for p in change_set.get("Parameters", [])}
    if asked != running:
        return False
    stack = existing["StackName"]
    change_set_template = cfn.get_template(StackName=stack, ChangeSetName=change_set["ChangeSetId"],
                                           TemplateStage="Original")["TemplateBody"]
    return bool(change_set_template == cfn.get_template(StackName=stack, TemplateStage="Original")["TemplateBody"])


def execute_change_set(
    cfn: Any, name: str, change_set_id: str, change_type: str, *, delay: int = 5, max_attempts: int = 720
) -> None:
    """Execute a created change set and wait until the stack is complete."""
    cfn.execute_change_set(ChangeSetName=change_set_id, StackName=name)
    waiter = "stack_create_complete" if change_type == "CREATE" else "stack_update_complete"
    try:
        cfn.get_waiter(waiter).wait(StackName=name, WaiterConfig={"Delay": delay, "MaxAttempts": max_attempts})
    except WaiterError as exc:
        raise DeployError(f"stack {name} did not reach {waiter}: {_last_failure(cfn, name)}") from exc


def apply_change_set(
    cfn: Any, name: str, template_url: str, parameters: dict[str, str | None], *, delay: int = 5
) -> bool:
    """Create or update the stack through a change set. Returns False when nothing changed."""
    created = create_change_set(cfn, name, template_url, parameters, delay=delay)
    if created is None:
        return False
    execute_change_set(cfn, name, *created, delay=delay)
    return True


def _last_failure(cfn: Any, name: str) -> str:
    try:
        events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    except ClientError:
        return "(no events)"
    for event in events:
        if event.get("ResourceStatus", "").endswith("FAILED"):
            return f"{event['LogicalResourceId']}: {event.get('ResourceStatusReason', '')}"
    return "(no failed resource reported)"
