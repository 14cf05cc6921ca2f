"""Pytest fixtures: a fresh fake upstream per test, stopped afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.fake_bedrock import FakeBedrock

from .balance_servers import PATHS, FakeBalanceAccount
from .upstream_servers import FakeUpstream


@pytest.fixture
def openai_upstream() -> Iterator[FakeUpstream]:
    fake = FakeUpstream("openai").start()
    yield fake
    fake.stop()


@pytest.fixture
def anthropic_upstream() -> Iterator[FakeUpstream]:
    fake = FakeUpstream("anthropic").start()
    yield fake
    fake.stop()


@pytest.fixture
def bedrock_upstream() -> Iterator[FakeBedrock]:
    """A fake Amazon Bedrock (runtime, model lists, STS) on 127.0.0.1; the suite's fake AWS keys sign for it."""
    fake = FakeBedrock().start()
    yield fake
    fake.stop()


@pytest.fixture(params=sorted(PATHS))
def balance_account(request: pytest.FixtureRequest) -> Iterator[FakeBalanceAccount]:
    """A provider account reporting its remaining credit, once per documented balance format."""
    fake = FakeBalanceAccount(request.param).start()
    yield fake
    fake.stop()
