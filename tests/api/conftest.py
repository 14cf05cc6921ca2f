"""API-layer helpers: requests that come from a chosen client address."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest


@pytest.fixture
def from_ip(client) -> Iterator[Callable[[str], None]]:
    """`from_ip("198.51.100.7")`: later requests of `client` carry that address as API Gateway's
    `requestContext.identity.sourceIp` (the only address the app trusts). Chalice's test gateway
    builds every event with its converter's LOCAL_SOURCE_IP; setting it on this client's converter
    instance changes the event, not the code under test."""
    converter = client.http._local_gateway.event_converter

    def set_ip(ip: str) -> None:
        converter.LOCAL_SOURCE_IP = ip

    yield set_ip
    converter.__dict__.pop("LOCAL_SOURCE_IP", None)
