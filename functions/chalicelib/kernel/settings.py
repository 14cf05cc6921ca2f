"""Typed settings read once from the environment.

Every knob of KeyLedger is an environment variable documented in README.md and
`.env.example`. `get_settings()` reads them once per process (per warm Lambda
container) and caches the result; nothing here touches the network, so importing
this module is free. Secrets may come from SSM Parameter Store: see `secrets.py`.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from .errors import ConfigError

STAGES = ("local", "dev", "prod")
TABLES = ("users", "audit", "catalog", "keys", "ledger", "usage")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class _Env:
    """Reads and casts variables, failing loudly with the variable's name.

    The methods are named after the types they return, so below `str` the annotations say
    `builtins.str` (in the class body the name means the method)."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def str(self, name: str, default: str = "") -> str:
        return self._env.get(name, default).strip()

    def int(self, name: builtins.str, default: int, minimum: int = 0) -> int:
        raw = self._env.get(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            value = int(raw)
        except ValueError as exc:
            raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc
        if value < minimum:
            raise ConfigError(f"{name} must be >= {minimum}, got {value}")
        return value

    def float(self, name: builtins.str, default: float) -> float:
        raw = self._env.get(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            return float(raw)
        except ValueError as exc:
            raise ConfigError(f"{name} must be a number, got {raw!r}") from exc

    def decimal(self, name: builtins.str, default: builtins.str) -> Decimal:
        raw = self._env.get(name) or default
        try:
            value = Decimal(raw)
        except InvalidOperation as exc:
            raise ConfigError(f"{name} must be a decimal amount, got {raw!r}") from exc
        if not value.is_finite() or value < 0:
            raise ConfigError(f"{name} must be a non-negative amount, got {raw!r}")
        return value

    def bool(self, name: builtins.str, default: bool) -> bool:
        raw = self._env.get(name)
        if raw is None:
            return default
        lowered = raw.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ConfigError(f"{name} must be true or false, got {raw!r}")

    def list(self, name: builtins.str) -> tuple[builtins.str, ...]:
        return tuple(p.strip() for p in self._env.get(name, "").split(",") if p.strip())


MAX_PROXY_SECONDS = 900


@dataclass(frozen=True)
class Settings:
    stage: str
    app_name: str
    version: str
    secret_key: str = field(repr=False)
    encryption_keys: tuple[str, ...] = field(repr=False)  # newest first
    cors_origins: tuple[str, ...]
    require_totp: bool
    table_prefix: str
    table_overrides: Mapping[str, str]
    aws_region: str
    dynamodb_endpoint: str | None
    max_body_bytes: int
    proxy_max_body_bytes: int
    access_token_ttl: int
    refresh_token_ttl: int
    lockout_threshold: int
    lockout_window: int
    lockout_duration: int
    lockout_client_attempts_per_minute: int
    login_rate_limit_per_minute: int
    audit_retention_days: int
    usage_retention_days: int  # request records expire (TTL) this long after the request; 0 keeps them
    ledger_retention_days: int  # older ledger entries are folded into one `opening` entry; 0 keeps them
    signup_credit: Decimal
    password_reset_token_seconds: int
    pending_registration_seconds: int  # an unverified sign-up releases its username and email after this
    default_group: str
    membership_required: bool
    membership_renewal_lead_seconds: int
    upstream_connect_timeout: float
    upstream_read_timeout: float
    upstream_max_retries: int
    upstream_allow_private: bool  # loopback/private provider addresses (SSRF guard); local stage only by default
    catalog_cache_seconds: int
    key_cache_seconds: int
    default_rpm: int
    hold_ttl_seconds: int
    webhook_url: str
    webhook_secret: str = field(repr=False)
    # argon2id cost; the defaults follow OWASP (19 MiB, t=2); tests turn them down.
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19 * 1024
    argon2_parallelism: int = 1
    # The longest a /v1 stream may last (the proxy function's timeout follows it; Lambda's cap is 900).
    proxy_max_seconds: int = 600
    # Bedrock, Bedrock Runtime and STS (for Bedrock roles) at a local fake: the local stage and tests only.
    bedrock_endpoint_url: str | None = None
    # What a request through a user's own provider key costs on the KeyLedger balance (USD per 1M tokens).
    byok_fee_per_1m_tokens: Decimal = Decimal(0)

    def table_name(self, table: str) -> str:
        """`<app>-<stage>-<table>` unless `<TABLE>_TABLE` names another."""
        return self.table_overrides.get(table) or f"{self.table_prefix}-{table}"

    @property
    def is_prod(self) -> bool:
        return self.stage == "prod"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build settings from `env` (default: os.environ) and validate secrets."""
    e = _Env(os.environ if env is None else env)
    stage = e.str("STAGE", "local")
    if stage not in STAGES:
        raise ConfigError(f"STAGE must be one of {', '.join(STAGES)}, got {stage!r}")
    app_name = e.str("APP_NAME", "keyledger")
    settings = Settings(
        stage=stage,
        app_name=app_name,
        version=e.str("APP_VERSION", "0.1.0"),
        secret_key=e.str("SECRET_KEY"),
        encryption_keys=tuple(k for k in (e.str("ENCRYPTION_KEY"), *e.list("ENCRYPTION_KEYS_OLD")) if k),
        cors_origins=e.list("CORS_ORIGINS"),
        require_totp=e.bool("REQUIRE_TOTP", True),
        table_prefix=e.str("TABLE_PREFIX", f"{app_name}-{stage}"),
        table_overrides={t: e.str(f"{t.upper()}_TABLE") for t in TABLES if e.str(f"{t.upper()}_TABLE")},
        aws_region=e.str("AWS_REGION") or e.str("AWS_DEFAULT_REGION") or "us-east-1",
        dynamodb_endpoint=e.str("DYNAMODB_ENDPOINT") or None,
        max_body_bytes=e.int("MAX_BODY_BYTES", 1024 * 1024, minimum=1024),
        proxy_max_body_bytes=e.int("PROXY_MAX_BODY_BYTES", 6 * 1024 * 1024, minimum=1024),
        access_token_ttl=e.int("ACCESS_TOKEN_TTL_SECONDS", 15 * 60, minimum=30),
        refresh_token_ttl=e.int("REFRESH_TOKEN_TTL_SECONDS", 30 * 24 * 3600, minimum=60),
        lockout_threshold=e.int("LOCKOUT_THRESHOLD", 5, minimum=1),
        lockout_window=e.int("LOCKOUT_WINDOW_SECONDS", 15 * 60, minimum=1),
        lockout_duration=e.int("LOCKOUT_SECONDS", 15 * 60, minimum=1),
        lockout_client_attempts_per_minute=e.int("LOCKOUT_CLIENT_ATTEMPTS_PER_MINUTE", 3, minimum=1),
        login_rate_limit_per_minute=e.int("RATE_LIMIT_PER_MINUTE", 60, minimum=1),
        audit_retention_days=e.int("AUDIT_RETENTION_DAYS", 365, minimum=1),
        usage_retention_days=e.int("USAGE_RETENTION_DAYS", 400, minimum=0),
        ledger_retention_days=e.int("LEDGER_RETENTION_DAYS", 400, minimum=0),
        signup_credit=e.decimal("SIGNUP_CREDIT", "0"),
        password_reset_token_seconds=3600 * e.int("PASSWORD_RESET_TOKEN_HOURS", 24, minimum=1),
        pending_registration_seconds=3600 * e.int("PENDING_REGISTRATION_HOURS", 24, minimum=1),
        default_group=e.str("DEFAULT_GROUP", "default"),
        membership_required=e.bool("MEMBERSHIP_REQUIRED", False),
        membership_renewal_lead_seconds=e.int("MEMBERSHIP_RENEWAL_LEAD_SECONDS", 3600, minimum=0),
        upstream_connect_timeout=e.float("UPSTREAM_CONNECT_TIMEOUT", 5.0),
        upstream_read_timeout=e.float("UPSTREAM_READ_TIMEOUT", 25.0),
        upstream_max_retries=e.int("UPSTREAM_MAX_RETRIES", 2),
        upstream_allow_private=e.bool("UPSTREAM_ALLOW_PRIVATE", stage == "local"),
        catalog_cache_seconds=e.int("CATALOG_CACHE_SECONDS", 30),
        key_cache_seconds=e.int("KEY_CACHE_SECONDS", 60, minimum=0),
        default_rpm=e.int("DEFAULT_RPM", 60, minimum=0),
        hold_ttl_seconds=e.int("HOLD_TTL_SECONDS", 15 * 60, minimum=60),
        webhook_url=e.str("WEBHOOK_URL"),
        webhook_secret=e.str("WEBHOOK_SECRET"),
        argon2_time_cost=e.int("ARGON2_TIME_COST", 2, minimum=1),
        argon2_memory_kib=e.int("ARGON2_MEMORY_KIB", 19 * 1024, minimum=8),
        argon2_parallelism=e.int("ARGON2_PARALLELISM", 1, minimum=1),
        proxy_max_seconds=e.int("PROXY_MAX_SECONDS", 600, minimum=1),
        bedrock_endpoint_url=e.str("BEDROCK_ENDPOINT_URL") or None,
        byok_fee_per_1m_tokens=e.decimal("BYOK_FEE_PER_1M_TOKENS", "0"),
    )
    if settings.bedrock_endpoint_url and stage != "local":
        raise ConfigError("BEDROCK_ENDPOINT_URL points Bedrock at a local fake; it is for the local stage only")
    if settings.proxy_max_seconds > MAX_PROXY_SECONDS:
        raise ConfigError(f"PROXY_MAX_SECONDS must be at most {MAX_PROXY_SECONDS} (Lambda's limit), "
                          f"got {settings.proxy_max_seconds}")
    _check_secrets(settings)
    return settings


def _check_secrets(settings: Settings) -> None:
    """Refuse to run without real secrets; there is no default secret anywhere."""
    if len(settings.secret_key) < 32:
        raise ConfigError("SECRET_KEY must be set to a random string of at least 32 characters")
    if not settings.encryption_keys:
        raise ConfigError("ENCRYPTION_KEY must be set (a Fernet key: 32 url-safe base64 bytes)")
    if settings.is_prod and not settings.cors_origins:
        raise ConfigError("CORS_ORIGINS must name the portal origin(s) in prod")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read on first use (never at import time)."""
    from .secrets import resolve_secret_parameters

    resolve_secret_parameters(os.environ)
    return load_settings()
