"""Pytest fixtures: a fresh fake upstream per test, stopped afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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
