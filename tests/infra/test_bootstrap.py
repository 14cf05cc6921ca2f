"""infra/bootstrap.py: the stage's environment comes from its stack; the CLI runs against it.

The CLI test runs `python -m infra.bootstrap` in a subprocess against moto's server on
127.0.0.1 (a fresh process: bootstrapping rewrites os.environ and the settings cache).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.bootstrap import stage_environment
from infra.stack import DeployError

ROOT = Path(__file__).resolve().parents[2]
TABLES = ("users", "audit", "catalog", "keys", "ledger", "usage")
FERNET = "q1f0s8m8gHh3m1zQ0Qv6g1bq2b7m3Yx8c4Vb9n2k5s0="


def _stand_in(stage: str) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    outputs: dict[str, Any] = {"PortalUrl": {"Value": "https://d1.cloudfront.net"}}
    for table in TABLES:
        logical = f"{table.capitalize()}Table"
        resources[logical] = {"Type": "AWS::DynamoDB::Table", "Properties": {
            "TableName": f"keyledger-{stage}-{table}", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"}
                                     for n in ("pk", "sk", "gsi1pk", "gsi1sk")],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "GlobalSecondaryIndexes": [{"IndexName": "gsi1", "Projection": {"ProjectionType": "ALL"}, "KeySchema": [
                {"AttributeName": "gsi1pk", "KeyType": "HASH"}, {"AttributeName": "gsi1sk", "KeyType": "RANGE"}]}],
        }}
        outputs[f"{logical}Name"] = {"Value": {"Ref": logical}}
    parameters = {name: {"Type": "String", "Default": ""}
                  for name in ("CorsOrigins", "SecretKeyParam", "EncryptionKeyParam", "EncryptionKeysOldParam")}
    return {"Parameters": parameters, "Resources": resources, "Outputs": outputs}


def _deploy_stand_in(cfn: Any, ssm: Any, stage: str = "dev") -> None:
    cfn.create_stack(StackName=f"keyledger-{stage}", TemplateBody=json.dumps(_stand_in(stage)),
                     Parameters=[{"ParameterKey": "EncryptionKeyParam",
                                  "ParameterValue": f"/keyledger/{stage}/fernet"}])
    ssm.put_parameter(Name=f"/keyledger/{stage}/secret-key", Value="s" * 48, Type="SecureString")
    ssm.put_parameter(Name=f"/keyledger/{stage}/fernet", Value=FERNET, Type="SecureString")


@pytest.fixture
def aws() -> Iterator[tuple[Any, Any]]:
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        yield session.client("cloudformation"), session.client("ssm")


def test_stage_environment_names_tables_and_secret_parameters_never_values(aws: tuple[Any, Any]) -> None:
    cfn, ssm = aws
    _deploy_stand_in(cfn, ssm)
    env = stage_environment(cfn, "dev", "us-east-1")
    assert {env[f"{t.upper()}_TABLE"] for t in TABLES} == {f"keyledger-dev-{t}" for t in TABLES}
    assert env["SECRET_KEY_PARAM"] == "/keyledger/dev/secret-key", "empty parameter: the template's default"
    assert env["ENCRYPTION_KEY_PARAM"] == "/keyledger/dev/fernet", "given parameter wins"
    assert "ENCRYPTION_KEYS_OLD_PARAM" not in env
    assert env["STAGE"] == "dev" and env["CORS_ORIGINS"] == "https://d1.cloudfront.net"
    assert not {"SECRET_KEY", "ENCRYPTION_KEY"} & set(env)


def test_bootstrapping_a_stage_that_is_not_deployed_says_so(aws: tuple[Any, Any]) -> None:
    with pytest.raises(DeployError, match="make deploy STAGE=prod"):
        stage_environment(aws[0], "prod", "us-east-1")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def test_bootstrap_cli_creates_the_superadmin_of_the_deployed_stage(moto_server: str) -> None:
    session = boto3.Session(region_name="us-east-1")
    cfn, ssm, dynamodb = (session.client(n, endpoint_url=moto_server) for n in ("cloudformation", "ssm", "dynamodb"))
    _deploy_stand_in(cfn, ssm)
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_TABLE", "TABLE_PREFIX", "SECRET_KEY",
                                                                  "ENCRYPTION_KEY", "_PARAM"))}
    env.update({"AWS_ENDPOINT_URL": moto_server, "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                "KEYLEDGER_ADMIN_PASSWORD": "correct horse battery staple 42", "PYTHONPATH": str(ROOT)})
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "infra.bootstrap", "--stage", "dev", "--username", "root"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    accounts_merged = (ROOT / "functions" / "chalicelib" / "accounts" / "service.py").exists()
    if not accounts_merged:
        assert result.returncode == 2, result.stderr
        assert "accounts area not merged yet" in result.stderr
        return
    assert result.returncode == 0, result.stderr
    assert "superadmin root created" in result.stdout and "otpauth://totp/" in result.stdout
    items = dynamodb.scan(TableName="keyledger-dev-users")["Items"]
    assert any(item.get("role", {}).get("S") == "superadmin" for item in items)
    assert "correct horse" not in result.stdout + result.stderr
