"""The Chalice configuration's choices that other parts rely on."""

from __future__ import annotations

from typing import Any

from chalicelib.kernel.settings import load_settings

FAKE_SECRETS = {"SECRET_KEY": "s" * 40, "ENCRYPTION_KEY": "k" * 44, "CORS_ORIGINS": "https://portal.example"}


def test_lambda_outlives_the_gateway_so_a_late_answer_still_settles(chalice_config: dict[str, Any]) -> None:
    # docs/deploy.md (Timeouts) explains the choice; these pin it.
    settings = load_settings({**chalice_config["environment_variables"], "STAGE": "dev", **FAKE_SECRETS})
    gateway_timeout = 29
    assert settings.upstream_read_timeout < gateway_timeout, "a slow upstream is cut before the client is"
    assert chalice_config["lambda_timeout"] > gateway_timeout + settings.upstream_connect_timeout
    assert settings.hold_ttl_seconds > chalice_config["lambda_timeout"], "a live request's hold is never expired"


def test_api_is_regional_and_dependencies_ship_in_the_managed_layer(chalice_config: dict[str, Any]) -> None:
    assert chalice_config["api_gateway_endpoint_type"] == "REGIONAL", "its integration timeout can be raised"
    assert chalice_config["automatic_layer"] is True
    assert {s["environment_variables"]["STAGE"] for s in chalice_config["stages"].values()} == {"local", "dev", "prod"}
    for name, stage in chalice_config["stages"].items():
        assert stage["environment_variables"]["STAGE"] == name
        # Set by template.yaml from its parameters; a value here would shadow them.
        assert not {"SECRET_KEY_PARAM", "ENCRYPTION_KEY_PARAM", "SECRET_KEY", "ENCRYPTION_KEY"} & set(
            stage["environment_variables"])
