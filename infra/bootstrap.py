"""Create the first superadmin of a deployed stage: `python -m infra.bootstrap --stage dev`.

Runs on the operator's machine with the operator's AWS credentials (they need the stage's
tables and `ssm:GetParameters` + `kms:Decrypt` on its secrets). It reads the stack's table
names and secret parameter names, builds the same Container the Lambda builds, and calls
`AccountService.create_superadmin`. The TOTP secret is printed once, here, and nowhere else.
"""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `infra` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infra.deploy import TABLE_OUTPUTS  # noqa: E402
from infra.stack import DeployError, describe_stack, stack_name  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("local", "dev", "prod")
_SECRET_PARAMETERS = {"SecretKeyParam": ("SECRET_KEY_PARAM", "secret-key"),
                      "EncryptionKeyParam": ("ENCRYPTION_KEY_PARAM", "encryption-key"),
                      "EncryptionKeysOldParam": ("ENCRYPTION_KEYS_OLD_PARAM", None)}


def stage_environment(cfn: Any, stage: str, region: str) -> dict[str, str]:
    """The environment the stage's Lambda runs with, read from its stack (no secret values)."""
    stack = describe_stack(cfn, stack_name(stage))
    if stack is None:
        raise DeployError(f"stack {stack_name(stage)} does not exist: run `make deploy STAGE={stage}` first")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    missing = [key for key in TABLE_OUTPUTS if key not in outputs]
    if missing:
        raise DeployError(f"stack {stack_name(stage)} has no outputs {missing}: is it fully deployed?")
    env = {"STAGE": stage, "APP_NAME": "keyledger", "AWS_REGION": region}
    for key in TABLE_OUTPUTS:
        env[f"{key.removesuffix('TableName').upper()}_TABLE"] = outputs[key]
    parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])}
    for parameter, (variable, default) in _SECRET_PARAMETERS.items():
        # Same rule as template.yaml: an empty parameter means /keyledger/<stage>/<default>.
        value = parameters.get(parameter) or (f"/keyledger/{stage}/{default}" if default else "")
        if value:
            env[variable] = value
    env["CORS_ORIGINS"] = parameters.get("CorsOrigins") or outputs.get("PortalUrl", "")
    return env


def bootstrap(container: Any, username: str, email: str | None, password: str | None,
              force: bool = False) -> dict[str, str]:
    """Create a superadmin through AccountService, refusing when one exists unless `force`.
    Returns what must be shown to the operator once (a generated password if none was given)."""
    from chalicelib.kernel.errors import Conflict

    existing, _ = container.users_store.list_users(1, None, role="superadmin")
    if existing and not force:
        raise Conflict("A superadmin already exists; use --force to add another.", code="superadmin_exists")
    password = password or secrets.token_urlsafe(18)
    user_id, totp_secret = container.accounts.create_superadmin(username, password, email)
    uri = container.totp.enrollment(totp_secret, username).provisioning_uri
    return {"user_id": user_id, "username": username, "password": password, "totp_secret": totp_secret,
            "provisioning_uri": uri}


def create_superadmin(env: dict[str, str], username: str, password: str, email: str | None) -> tuple[str, str]:
    """Build the stage's container in this process and create the account."""
    os.environ.update(env)
    for variable in ("SECRET_KEY", "ENCRYPTION_KEY", "ENCRYPTION_KEYS_OLD", "TABLE_PREFIX", "DYNAMODB_ENDPOINT"):
        os.environ.pop(variable, None)  # only the stage's own values, read from SSM
    sys.path.insert(0, str(ROOT / "functions"))
    from chalicelib.bootstrap import Container
    from chalicelib.kernel.errors import AppError, ConfigError
    from chalicelib.kernel.settings import get_settings

    try:
        container = Container(get_settings())
        create = getattr(getattr(container, "accounts", None), "create_superadmin", None)
        if create is None:
            raise DeployError("this checkout has no AccountService.create_superadmin (accounts area not merged yet)")
        user_id, totp_secret = create(username, password, email=email)
    except (AppError, ConfigError) as exc:  # secrets unreadable, AlreadyExists, weak password...
        raise DeployError(f"{type(exc).__name__}: {exc}") from exc
    return str(user_id), str(totp_secret)


def _password() -> str:
    supplied = os.environ.get("KEYLEDGER_ADMIN_PASSWORD")
    if supplied:
        return supplied
    first = getpass.getpass("password for the superadmin: ")
    if first != getpass.getpass("again: "):
        raise DeployError("the two passwords differ")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Create the first superadmin of a deployed stage")
    parser.add_argument("--stage", default=os.environ.get("STAGE", "dev"), choices=STAGES)
    parser.add_argument("--username", default="admin")
    parser.add_argument("--email", default=None)
    parser.add_argument("--region", default=None)
    parser.add_argument("--profile", default=None)
    args = parser.parse_args(argv)
    import boto3

    session = boto3.Session(region_name=args.region, profile_name=args.profile)
    if args.profile:
        os.environ["AWS_PROFILE"] = args.profile  # the container's own boto3 clients use it too
    try:
        env = stage_environment(session.client("cloudformation"), args.stage, session.region_name or "us-east-1")
        user_id, totp_secret = create_superadmin(env, args.username, _password(), args.email)
    except DeployError as exc:
        print(f"bootstrap failed: {exc}", file=sys.stderr)
        return 2
    import pyotp

    uri = pyotp.TOTP(totp_secret).provisioning_uri(name=args.username, issuer_name=f"KeyLedger {args.stage}")
    print(f"superadmin {args.username} created (id {user_id}).")
    print("Add this TOTP secret to an authenticator app now; it is not shown again:")
    print(f"  secret: {totp_secret}\n  uri:    {uri}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
