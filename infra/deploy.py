"""Deploy or destroy one stage: `make deploy STAGE=dev`, `make destroy STAGE=dev`.

deploy: check the stage's SSM secrets exist, upload the packaged artefacts (`make package`)
to an artefact bucket, create or update the stack `keyledger-<stage>` through a change set,
sync `portal/dist/` with a generated `config.js`, invalidate CloudFront, print the URLs.

destroy: empty the portal bucket, delete the stack. The tables are kept (DeletionPolicy
Retain) unless `--delete-tables` is given.

Clients are built once in `Clients.from_session` and passed in, so tests use moto.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `infra` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infra import portal, stack  # noqa: E402
from infra.package import TEMPLATE_NAME, read_packaged_template  # noqa: E402
from infra.stack import DeployError  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("local", "dev", "prod")
TABLE_OUTPUTS = ("UsersTableName", "AuditTableName", "CatalogTableName", "KeysTableName", "LedgerTableName",
                 "UsageTableName")


@dataclass(frozen=True)
class Clients:
    s3: Any
    cloudformation: Any
    cloudfront: Any
    dynamodb: Any
    ssm: Any
    sts: Any

    @classmethod
    def from_session(cls, region: str | None = None, profile: str | None = None) -> Clients:
        import boto3

        session = boto3.Session(region_name=region, profile_name=profile)
        names = ("s3", "cloudformation", "cloudfront", "dynamodb", "ssm", "sts")
        return cls(*(session.client(name) for name in names))


@dataclass
class DeployOptions:
    stage: str
    package_dir: Path
    portal_dir: Path
    artifact_bucket: str | None = None
    cors_origins: str | None = None
    secret_params: dict[str, str | None] = field(default_factory=dict)  # template parameter -> SSM name
    extra_parameters: dict[str, str] = field(default_factory=dict)  # e.g. ApiThrottleRate
    waiter_delay: int = 5


@dataclass
class DeployResult:
    outputs: dict[str, str]
    changed: bool
    portal_keys: list[str]
    invalidation_id: str | None


def secret_names(stage: str, given: dict[str, str | None], existing: dict[str, Any] | None) -> list[str]:
    """The SSM names the stack will read: given, else the stack's current value, else the default."""
    previous = {p["ParameterKey"]: p.get("ParameterValue", "") for p in (existing or {}).get("Parameters", [])}
    defaults = {"SecretKeyParam": f"/keyledger/{stage}/secret-key",
                "EncryptionKeyParam": f"/keyledger/{stage}/encryption-key"}
    return [given.get(key) or previous.get(key) or default for key, default in defaults.items()]


def check_secrets(ssm: Any, names: list[str]) -> None:
    """Refuse to deploy a stage whose secrets do not exist (every request would fail)."""
    missing = ssm.get_parameters(Names=names, WithDecryption=False).get("InvalidParameters", [])
    if missing:
        hint = "; ".join(f"aws ssm put-parameter --type SecureString --name {n} --value ..." for n in missing)
        raise DeployError(f"missing SSM parameters {missing}: create them first ({hint}); see docs/deploy.md")


def check_packaged_stage(package_dir: Path, stage: str) -> None:
    """A package built for another stage carries that stage's policy and STAGE: refuse it."""
    template = read_packaged_template(package_dir)
    handler = template.get("Resources", {}).get("APIHandler", {}).get("Properties", {})
    packaged = handler.get("Environment", {}).get("Variables", {}).get("STAGE")
    if packaged is not None and packaged != stage:
        raise DeployError(f"{package_dir} was packaged for stage {packaged!r}, not {stage!r}")


def default_artifact_bucket(clients: Clients) -> str:
    account = clients.sts.get_caller_identity()["Account"]
    return f"keyledger-artifacts-{account}-{clients.s3.meta.region_name}"


def deploy(clients: Clients, options: DeployOptions, log: Any = print) -> DeployResult:
    """Upload, apply the change set(s), publish the portal; returns the stack outputs."""
    name = stack.stack_name(options.stage)
    if not (options.package_dir / TEMPLATE_NAME).is_file():
        raise DeployError(f"{options.package_dir}/{TEMPLATE_NAME} not found: run `make package STAGE={options.stage}`")
    check_packaged_stage(options.package_dir, options.stage)
    existing = stack.describe_stack(clients.cloudformation, name)
    check_secrets(clients.ssm, secret_names(options.stage, options.secret_params, existing))
    bucket = options.artifact_bucket or default_artifact_bucket(clients)
    stack.ensure_bucket(clients.s3, bucket)
    template_url = stack.upload_artefacts(clients.s3, bucket, options.package_dir, options.stage)
    log(f"artefacts uploaded to s3://{bucket}/keyledger/{options.stage}/")
    previous_outputs = stack.stack_outputs(clients.cloudformation, name) if existing else {}
    # The API must allow the portal's origin, which only exists once the distribution does.
    cors = options.cors_origins or previous_outputs.get("PortalUrl")
    parameters: dict[str, str | None] = {**options.extra_parameters, **options.secret_params,
                                         "Stage": options.stage, "CorsOrigins": cors}
    changed = stack.apply_change_set(clients.cloudformation, name, template_url, parameters,
                                     delay=options.waiter_delay)
    log(f"stack {name}: {'updated' if changed else 'no changes'}")
    outputs = stack.stack_outputs(clients.cloudformation, name)
    if not cors and outputs.get("PortalUrl"):
        log(f"first deploy: allowing the portal origin {outputs['PortalUrl']} (second change set)")
        parameters["CorsOrigins"] = outputs["PortalUrl"]
        stack.apply_change_set(clients.cloudformation, name, template_url, parameters, delay=options.waiter_delay)
        outputs = stack.stack_outputs(clients.cloudformation, name)
    keys: list[str] = []
    invalidation = None
    if not options.portal_dir.is_dir():
        log(f"{options.portal_dir} not found: portal not synced (build it, then deploy again)")
    elif "PortalBucketName" in outputs and "ApiUrl" in outputs:
        keys = portal.sync_portal(clients.s3, outputs["PortalBucketName"], options.portal_dir,
                                  outputs["ApiUrl"], options.stage)
        log(f"portal: {len(keys)} files synced to s3://{outputs['PortalBucketName']}")
        if outputs.get("PortalDistributionId"):
            invalidation = portal.invalidate(clients.cloudfront, outputs["PortalDistributionId"])
            log(f"CloudFront invalidation {invalidation} started")
    return DeployResult(outputs, changed, keys, invalidation)


def destroy(clients: Clients, stage: str, *, delete_tables: bool = False, waiter_delay: int = 5,
            log: Any = print) -> list[str]:
    """Delete the stack; returns the names of the tables that were kept."""
    name = stack.stack_name(stage)
    outputs = stack.stack_outputs(clients.cloudformation, name)
    if not outputs and stack.describe_stack(clients.cloudformation, name) is None:
        log(f"stack {name} does not exist")
        return []
    tables = [outputs[key] for key in TABLE_OUTPUTS if key in outputs]
    if outputs.get("PortalBucketName"):
        # CloudFormation cannot delete a bucket that still holds objects.
        portal.delete_keys(clients.s3, outputs["PortalBucketName"],
                           portal.list_keys(clients.s3, outputs["PortalBucketName"]))
    clients.cloudformation.delete_stack(StackName=name)
    clients.cloudformation.get_waiter("stack_delete_complete").wait(
        StackName=name, WaiterConfig={"Delay": waiter_delay, "MaxAttempts": 720})
    log(f"stack {name} deleted")
    if not delete_tables:
        log("tables kept (they hold the ledger): " + ", ".join(tables))
        return tables
    for table in tables:
        # Prod tables have deletion protection on; turning it off is the explicit intent here.
        clients.dynamodb.update_table(TableName=table, DeletionProtectionEnabled=False)
        clients.dynamodb.delete_table(TableName=table)
        log(f"table {table} deleted")
    return []


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Deploy or destroy a KeyLedger stage")
    parser.add_argument("command", choices=("deploy", "destroy"))
    parser.add_argument("--stage", default=os.environ.get("STAGE", "dev"), choices=STAGES)
    parser.add_argument("--region", default=None)
    parser.add_argument("--profile", default=None)
    parser.add_argument("--artifact-bucket", default=os.environ.get("ARTIFACT_BUCKET") or None)
    parser.add_argument("--portal-dir", type=Path, default=ROOT / "portal" / "dist")
    parser.add_argument("--cors-origins", default=None, help="default: the stack's PortalUrl")
    parser.add_argument("--secret-key-param", default=None)
    parser.add_argument("--encryption-key-param", default=None)
    parser.add_argument("--encryption-keys-old-param", default=None)
    parser.add_argument("--secrets-version", default=None, help="change it after rotating a secret in SSM")
    parser.add_argument("--parameter", action="append", default=[], metavar="KEY=VALUE",
                        help="any other template parameter, e.g. ApiThrottleRate=50 (repeatable)")
    parser.add_argument("--delete-tables", action="store_true", help="destroy: also delete the six tables")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    clients = Clients.from_session(args.region, args.profile)
    try:
        if args.command == "destroy":
            destroy(clients, args.stage, delete_tables=args.delete_tables)
            return 0
        options = DeployOptions(
            stage=args.stage,
            package_dir=ROOT / "build" / "package" / args.stage,
            portal_dir=args.portal_dir,
            artifact_bucket=args.artifact_bucket,
            cors_origins=args.cors_origins,
            secret_params={"SecretKeyParam": args.secret_key_param, "EncryptionKeyParam": args.encryption_key_param,
                           "EncryptionKeysOldParam": args.encryption_keys_old_param,
                           "SecretsVersion": args.secrets_version},
            extra_parameters=dict(item.split("=", 1) for item in args.parameter),
        )
        result = deploy(clients, options)
    except DeployError as exc:
        print(f"deploy failed: {exc}", file=sys.stderr)
        return 1
    for key in ("ApiUrl", "OpenAIBaseUrl", "PortalUrl"):
        print(f"{key:14}: {result.outputs.get(key, '?')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
