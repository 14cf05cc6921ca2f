"""Shared fixtures. The environment is fixed before any app module is imported."""

from __future__ import annotations

import os

os.environ.update(
    {
        "STAGE": "local",
        "APP_NAME": "keyledger",
        "TABLE_PREFIX": "kl-test",
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "ENCRYPTION_KEY": "q1f0s8m8gHh3m1zQ0Qv6g1bq2b7m3Yx8c4Vb9n2k5s0=",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "CORS_ORIGINS": "http://portal.test",
        # argon2id turned down so the suite stays quick (production uses the OWASP defaults).
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "64",
        "ARGON2_PARALLELISM": "1",
    }
)
os.environ.pop("DYNAMODB_ENDPOINT", None)
os.environ.pop("AWS_PROFILE", None)

from collections.abc import Iterator  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from chalicelib.bootstrap import Container, set_container  # noqa: E402
from chalicelib.kernel.clock import FixedClock  # noqa: E402
from chalicelib.kernel.context import RequestMeta  # noqa: E402
from chalicelib.kernel.settings import Settings, load_settings  # noqa: E402
from moto import mock_aws  # noqa: E402

from infra.moto_atomic import make_moto_dynamodb_atomic  # noqa: E402
from tests.fakes.fixtures import (  # noqa: E402, F401
    anthropic_upstream,
    balance_account,
    bedrock_upstream,
    openai_upstream,
)
from tests.support.proxy_http import v1  # noqa: E402, F401
from tests.support.streaming_stack import scripted_upstream, stack  # noqa: E402, F401

make_moto_dynamodb_atomic()


def _share_botocore_sessions() -> None:
    """PynamoDB's connections in one thread share one botocore session (and so its loader).

    Each `container` rebinds the table models, and PynamoDB then opens a new botocore session per
    model, each parsing the same service JSON files again (six sessions per test): most of a
    test's setup time. The files do not change during a run, so the connections of a thread share
    one session, as one PynamoDB connection already does across its own calls. Sessions are not
    thread-safe, so other threads (the race tests) get their own. Every connection still makes its
    own client (with its own copy of the event hooks: fault injection and call counting stay per
    client) and moto's state is still fresh for each test."""
    import threading

    import botocore.session
    import pynamodb.connection.base

    per_thread = threading.local()

    def get_session() -> botocore.session.Session:
        if getattr(per_thread, "session", None) is None:
            per_thread.session = botocore.session.get_session()
        return per_thread.session  # type: ignore[no-any-return]

    pynamodb.connection.base.get_session = get_session  # type: ignore[assignment]


_share_botocore_sessions()

# Files the AWS calls of each Lambda function for the IAM test (tests/support/aws_calls.py).
pytest_plugins = ["tests.support.aws_calls"]

T0 = datetime(2026, 11, 21, 10, 0, 0, tzinfo=UTC)


@pytest.fixture
def settings() -> Settings:
    return load_settings()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def aws() -> Iterator[None]:
    """Moto-backed DynamoDB with every table created, fresh for each test."""
    with mock_aws():
        yield


@pytest.fixture
def container(aws: None, settings: Settings, clock: FixedClock) -> Iterator[Container]:
    from chalicelib.store.base import create_tables

    c = Container(settings, clock=clock)
    create_tables()
    set_container(c)
    yield c
    set_container(None)


@pytest.fixture
def client(container: Container) -> Iterator[object]:
    from app import app
    from chalice.test import Client

    with Client(app) as test_client:
        yield test_client


# --- accounts: ready-made users for any test (register -> verify -> login, through the services) ---


@dataclass
class Account:
    user_id: str
    username: str
    password: str
    totp_secret: str
    access_token: str
    refresh_token: str
    recovery_codes: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


class Accounts:
    """Makes active, signed-in accounts. Each TOTP step is accepted once, so the clock moves
    on 30 s before every code it computes (`code()`)."""

    def __init__(self, container: Container, clock: FixedClock) -> None:
        self.container = container
        self.clock = clock
        self.meta = META
        self._n = 0

    def code(self, secret: str) -> str:
        """A fresh TOTP code: the clock moves to the next time step first."""
        import pyotp

        self.clock.advance(seconds=30)
        return pyotp.TOTP(secret).at(self.clock.now())

    def user(self, username: str | None = None, *, password: str = "correct horse battery",
             email: str | None = None) -> Account:
        self._n += 1
        username = username or f"user{self._n}"
        email = email or f"{username}@example.test"
        reg = self.container.accounts.register(username, email, password, META)
        secret = reg.totp.secret
        verified = self.container.accounts.verify_registration(username, password, self.code(secret), META)
        account = self._login(reg.user_id, username, password, secret)
        account.recovery_codes = verified.recovery_codes
        account.extras = dict(verified.provisioned)
        return account

    def admin(self, username: str | None = None, *, password: str = "admin password 123") -> Account:
        self._n += 1
        username = username or f"admin{self._n}"
        user_id, secret = self.container.accounts.create_superadmin(username, password)
        return self._login(user_id, username, password, secret)

    def login(self, account: Account) -> Account:
        """Sign in again (a new session); returns a copy with the new tokens."""
        return self._login(account.user_id, account.username, account.password, account.totp_secret)

    def _login(self, user_id: str, username: str, password: str, secret: str) -> Account:
        pair = self.container.accounts.login(username, password, self.code(secret), None, META)
        return Account(user_id=user_id, username=username, password=password, totp_secret=secret,
                       access_token=pair.access_token, refresh_token=pair.refresh_token)


META = RequestMeta(request_id="test-request", ip="203.0.113.7", user_agent="pytest")


@pytest.fixture
def accounts(container: Container, clock: FixedClock) -> Accounts:
    return Accounts(container, clock)
