"""The hand-written IAM policies: exactly this stage's tables, secrets and logs, nothing more."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from chalicelib.kernel.settings import STAGES, TABLES, load_settings

from infra.stack import stack_name

ROOT = Path(__file__).resolve().parents[2]
# What PynamoDB issues for our access patterns. Transactions need no action of their own:
# IAM checks each TransactWriteItems element as PutItem/UpdateItem/DeleteItem/ConditionCheckItem.
# No Scan (every listing is a Query on pk or gsi1), no DescribeTable (PynamoDB 6 builds the
# table meta from the model), no table administration.
ALLOWED_DYNAMODB = {
    "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query",
    "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem",
}
FAKE_SECRETS = {"SECRET_KEY": "s" * 40, "ENCRYPTION_KEY": "k" * 44, "CORS_ORIGINS": "https://portal.example"}


def _policy(stage: str) -> dict[str, Any]:
    return json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text())


def _statements(stage: str, prefix: str) -> list[dict[str, Any]]:
    return [s for s in _policy(stage)["Statement"]
            if any(action.startswith(prefix) for action in _as_list(s["Action"]))]


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _table_names_of(stage: str) -> set[str]:
    settings = load_settings({"STAGE": stage, **FAKE_SECRETS})
    return {settings.table_name(table) for table in TABLES}


@pytest.mark.parametrize("stage", STAGES)
def test_config_uses_the_hand_written_policy_of_each_stage(stage: str, chalice_config: dict[str, Any]) -> None:
    assert chalice_config["autogen_policy"] is False
    assert chalice_config["stages"][stage]["iam_policy_file"] == f"policy-{stage}.json"
    assert _policy(stage)["Version"] == "2012-10-17"


@pytest.mark.parametrize("stage", STAGES)
def test_policy_covers_exactly_the_six_tables_of_its_stage(stage: str) -> None:
    tables, indexes = set(), set()
    for statement in _statements(stage, "dynamodb:"):
        for arn in _as_list(statement["Resource"]):
            assert arn.startswith("arn:aws:dynamodb:*:*:table/"), arn
            name = arn.removeprefix("arn:aws:dynamodb:*:*:table/")
            if "/index/" in name:
                indexes.add(name.split("/index/")[0])
            else:
                tables.add(name)
    assert tables == _table_names_of(stage)
    assert indexes <= tables, "an index of a table the code does not use"


@pytest.mark.parametrize("stage", STAGES)
def test_policy_allows_only_the_item_actions_the_code_uses(stage: str) -> None:
    for statement in _statements(stage, "dynamodb:"):
        assert statement["Effect"] == "Allow"
        assert set(_as_list(statement["Action"])) <= ALLOWED_DYNAMODB
        if any("/index/" in arn for arn in _as_list(statement["Resource"])):
            assert _as_list(statement["Action"]) == ["dynamodb:Query"], "indexes are only queried"
    for statement in _policy(stage)["Statement"]:
        assert not any("*" in action for action in _as_list(statement["Action"])), "no wildcard actions"


@pytest.mark.parametrize("stage", STAGES)
def test_policy_reads_only_this_stages_secrets(stage: str) -> None:
    [ssm] = _statements(stage, "ssm:")
    assert _as_list(ssm["Action"]) == ["ssm:GetParameters"]
    assert _as_list(ssm["Resource"]) == [f"arn:aws:ssm:*:*:parameter/keyledger/{stage}/*"]
    [kms] = _statements(stage, "kms:")
    assert _as_list(kms["Action"]) == ["kms:Decrypt"]
    condition = kms["Condition"]["StringLike"]
    assert condition["kms:ViaService"] == "ssm.*.amazonaws.com"
    assert condition["kms:EncryptionContext:PARAMETER_ARN"] == f"arn:aws:ssm:*:*:parameter/keyledger/{stage}/*"


@pytest.mark.parametrize("stage", STAGES)
def test_policy_writes_only_the_log_groups_of_this_stages_stack(stage: str) -> None:
    [logs] = _statements(stage, "logs:")
    for arn in _as_list(logs["Resource"]):
        assert arn.startswith(f"arn:aws:logs:*:*:log-group:/aws/lambda/{stack_name(stage)}-"), arn


@pytest.mark.parametrize("stage", STAGES)
def test_policy_has_no_other_services(stage: str) -> None:
    services = {action.split(":")[0] for s in _policy(stage)["Statement"] for action in _as_list(s["Action"])}
    assert services == {"dynamodb", "ssm", "kms", "logs"}


def test_default_secret_parameter_names_fall_under_the_stage_policy(template: dict[str, Any]) -> None:
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    for variable in ("SECRET_KEY_PARAM", "ENCRYPTION_KEY_PARAM"):
        default = variables[variable]["Fn::If"][2]["Fn::Sub"]
        assert default.startswith("/keyledger/${Stage}/"), default
    for parameter in ("SecretKeyParam", "EncryptionKeyParam", "EncryptionKeysOldParam"):
        assert template["Parameters"][parameter]["AllowedPattern"].startswith("^(/keyledger/(local|dev|prod)/")
