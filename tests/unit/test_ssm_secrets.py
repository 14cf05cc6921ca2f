"""Secrets come from SSM SecureString parameters, in one call, only when not already set."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from chalicelib.kernel.errors import ConfigError
from chalicelib.kernel.secrets import resolve_secret_parameters
from moto import mock_aws

SECRET = "s3cr3t-" + "x" * 40
FERNET = "q1f0s8m8gHh3m1zQ0Qv6g1bq2b7m3Yx8c4Vb9n2k5s0="


class CountingSsm:
    """Moto's SSM client, counting the calls (the cold-start cost we care about)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: list[list[str]] = []

    def get_parameters(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs["Names"])
        assert kwargs["WithDecryption"] is True
        return self.client.get_parameters(**kwargs)


@pytest.fixture
def ssm() -> Iterator[CountingSsm]:
    with mock_aws():
        client = boto3.client("ssm", region_name="us-east-1")
        client.put_parameter(Name="/keyledger/dev/secret-key", Value=SECRET, Type="SecureString")
        client.put_parameter(Name="/keyledger/dev/encryption-key", Value=FERNET, Type="SecureString")
        yield CountingSsm(client)


PARAM_ENV = {"SECRET_KEY_PARAM": "/keyledger/dev/secret-key", "ENCRYPTION_KEY_PARAM": "/keyledger/dev/encryption-key"}


def test_secrets_are_read_from_ssm_in_one_call(ssm: CountingSsm) -> None:
    env = dict(PARAM_ENV)
    resolve_secret_parameters(env, ssm)
    assert env["SECRET_KEY"] == SECRET and env["ENCRYPTION_KEY"] == FERNET
    assert ssm.calls == [["/keyledger/dev/encryption-key", "/keyledger/dev/secret-key"]]


def test_second_resolution_in_a_warm_container_makes_no_call(ssm: CountingSsm) -> None:
    env = dict(PARAM_ENV)
    resolve_secret_parameters(env, ssm)
    resolve_secret_parameters(env, ssm)
    assert len(ssm.calls) == 1


def test_values_already_in_the_environment_win_and_ssm_is_not_called(ssm: CountingSsm) -> None:
    env = {**PARAM_ENV, "SECRET_KEY": "from-env-" + "y" * 32, "ENCRYPTION_KEY": FERNET}
    resolve_secret_parameters(env, ssm)
    assert env["SECRET_KEY"].startswith("from-env-") and ssm.calls == []


def test_retired_encryption_keys_are_optional_but_read_when_present(ssm: CountingSsm) -> None:
    env = {**PARAM_ENV, "ENCRYPTION_KEYS_OLD_PARAM": "/keyledger/dev/encryption-keys-old"}
    resolve_secret_parameters(env, ssm)
    assert "ENCRYPTION_KEYS_OLD" not in env
    ssm.client.put_parameter(Name="/keyledger/dev/encryption-keys-old", Value="old1,old2", Type="SecureString")
    env = {**PARAM_ENV, "ENCRYPTION_KEYS_OLD_PARAM": "/keyledger/dev/encryption-keys-old"}
    resolve_secret_parameters(env, ssm)
    assert env["ENCRYPTION_KEYS_OLD"] == "old1,old2"


def test_a_missing_parameter_is_a_config_error_naming_it(ssm: CountingSsm) -> None:
    env = {**PARAM_ENV, "SECRET_KEY_PARAM": "/keyledger/dev/nope"}
    with pytest.raises(ConfigError, match="/keyledger/dev/nope"):
        resolve_secret_parameters(env, ssm)
    assert "SECRET_KEY" not in env


def test_an_unreachable_ssm_is_a_config_error_naming_the_parameters() -> None:
    from botocore.config import Config

    # A real client against a closed loopback port: the connection is refused at once.
    client = boto3.client("ssm", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
                          config=Config(retries={"max_attempts": 1}, connect_timeout=1))
    env = dict(PARAM_ENV)
    with pytest.raises(ConfigError, match="cannot read SSM parameters /keyledger/dev/encryption-key"):
        resolve_secret_parameters(env, client)
    assert "SECRET_KEY" not in env


def test_an_empty_parameter_name_means_no_ssm_at_all() -> None:
    env = {"SECRET_KEY_PARAM": "", "ENCRYPTION_KEYS_OLD_PARAM": ""}
    resolve_secret_parameters(env, ssm_client=object())  # would fail if it were used
    assert "SECRET_KEY" not in env
