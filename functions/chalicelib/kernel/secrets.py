"""Secrets from SSM Parameter Store, fetched once per Lambda container.

In deployed stages the environment names the parameters (`SECRET_KEY_PARAM`,
`ENCRYPTION_KEY_PARAM`, optionally `ENCRYPTION_KEYS_OLD_PARAM`) instead of holding
the values. They are read on the first request (never at import time) with one
`GetParameters` call and written into this process's environment, so the rest of
the settings code reads them like any other variable.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any, Protocol

from .errors import ConfigError

_PARAMS = {
    "SECRET_KEY": "SECRET_KEY_PARAM",
    "ENCRYPTION_KEY": "ENCRYPTION_KEY_PARAM",
    "ENCRYPTION_KEYS_OLD": "ENCRYPTION_KEYS_OLD_PARAM",
}


class SsmClient(Protocol):
    """The one call of boto3's SSM client used here."""

    def get_parameters(self, *, Names: list[str], WithDecryption: bool) -> Mapping[str, Any]: ...


def resolve_secret_parameters(env: MutableMapping[str, str], ssm_client: SsmClient | None = None) -> None:
    """Fill missing secret variables from the SSM parameters their `*_PARAM` names."""
    wanted = {var: env[param] for var, param in _PARAMS.items() if env.get(param) and not env.get(var)}
    if not wanted:
        return
    from botocore.exceptions import BotoCoreError, ClientError  # imported on first use, not at cold start

    if ssm_client is None:
        import boto3

        ssm_client = boto3.client("ssm")
    names = sorted(set(wanted.values()))
    try:
        answer = ssm_client.get_parameters(Names=names, WithDecryption=True)
    except (BotoCoreError, ClientError) as exc:
        # Name the parameters, never a value; the cause (e.g. AccessDenied) stays chained.
        raise ConfigError(f"cannot read SSM parameters {', '.join(names)}: {type(exc).__name__}") from exc
    values = {p["Name"]: p["Value"] for p in answer.get("Parameters", [])}
    for var, name in wanted.items():
        if name not in values:
            if var == "ENCRYPTION_KEYS_OLD":
                continue
            raise ConfigError(f"SSM parameter {name} (for {var}) was not found")
        env[var] = values[name]
