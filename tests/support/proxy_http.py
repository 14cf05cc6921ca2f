"""The /v1 ASGI app in-process (Starlette's TestClient), over the test's container."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from chalicelib.bootstrap import Container
from chalicelib.proxy.asgi import create_app
from starlette.testclient import TestClient


@pytest.fixture
def v1(container: Container) -> Iterator[TestClient]:
    """Requests to the proxy app as the proxy function serves them."""
    with TestClient(create_app(lambda: container), client=("203.0.113.9", 50000)) as client:
        yield client


def post_json(client: TestClient, path: str, body: Any, key: str | None, header: str = "authorization") -> Any:
    import json

    headers = {"content-type": "application/json"}
    if key is not None:
        headers[header] = f"Bearer {key}" if header == "authorization" else key
    return client.post(path, headers=headers, content=json.dumps(body))
