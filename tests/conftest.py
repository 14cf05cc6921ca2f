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
    }
)
os.environ.pop("DYNAMODB_ENDPOINT", None)
os.environ.pop("AWS_PROFILE", None)

from collections.abc import Iterator  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

import pytest  # noqa: E402
from chalicelib.container import Container, set_container  # noqa: E402
from chalicelib.core.clock import FixedClock  # noqa: E402
from chalicelib.core.settings import Settings, load_settings  # noqa: E402
from infra.moto_atomic import make_moto_dynamodb_atomic  # noqa: E402
from moto import mock_aws  # noqa: E402

from tests.fakes.fixtures import anthropic_upstream, openai_upstream  # noqa: E402, F401

make_moto_dynamodb_atomic()

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
    from chalicelib.tables.base import create_tables

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
