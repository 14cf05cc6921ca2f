"""API-layer helpers: requests that come from a chosen client address, and an upstream client
with short timeouts handed in through the Container (no patching)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from chalicelib.upstreams.client import UpstreamClient


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


@pytest.fixture
def fast_upstreams(container: Any) -> UpstreamClient:
    """Short timeouts and no retries, so timeout cases take a fraction of a second."""
    client = UpstreamClient(connect_timeout=0.5, read_timeout=0.5, probe_timeout=0.5, max_retries=0,
                            allow_private=True)  # the fake upstreams listen on 127.0.0.1
    container.upstream_client = client  # the container builds provider_client from this
    return client
