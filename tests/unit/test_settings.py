from __future__ import annotations

import pytest
from chalicelib.kernel.errors import ConfigError
from chalicelib.kernel.settings import load_settings

GOOD = {"SECRET_KEY": "k" * 40, "ENCRYPTION_KEY": "q1f0s8m8gHh3m1zQ0Qv6g1bq2b7m3Yx8c4Vb9n2k5s0="}


def test_settings_refuse_to_start_without_a_secret_key():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings({"ENCRYPTION_KEY": GOOD["ENCRYPTION_KEY"]})


def test_prod_refuses_to_start_without_cors_origins():
    with pytest.raises(ConfigError, match="CORS_ORIGINS"):
        load_settings({**GOOD, "STAGE": "prod"})


def test_table_names_follow_app_and_stage_unless_overridden():
    s = load_settings({**GOOD, "STAGE": "dev", "LEDGER_TABLE": "custom-ledger"})
    assert s.table_name("users") == "keyledger-dev-users"
    assert s.table_name("ledger") == "custom-ledger"


def test_a_malformed_number_names_the_variable():
    with pytest.raises(ConfigError, match="LOCKOUT_THRESHOLD"):
        load_settings({**GOOD, "LOCKOUT_THRESHOLD": "five"})


def test_require_totp_defaults_to_true():
    assert load_settings(GOOD).require_totp is True


def test_a_bedrock_endpoint_other_than_aws_is_for_the_local_stage_only():
    fake = "http://127.0.0.1:9000"
    assert load_settings({**GOOD, "BEDROCK_ENDPOINT_URL": fake}).bedrock_endpoint_url == fake
    assert load_settings(GOOD).bedrock_endpoint_url is None  # AWS's own endpoints
    with pytest.raises(ConfigError, match="BEDROCK_ENDPOINT_URL"):
        load_settings({**GOOD, "STAGE": "dev", "BEDROCK_ENDPOINT_URL": fake})
