"""Fixtures of the integration tests that need more than moto's in-process mock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.emulator import fresh_emulator


@pytest.fixture
def emulator_url() -> Iterator[str]:
    """moto's DynamoDB on the local stack's HTTP server, in this process, fresh for the test."""
    with fresh_emulator() as url:
        yield url
