"""The /v1 proxy app as the proxy function serves it: every real service (keys, catalog,
metering, membership, upstream client) on moto, a fake OpenAI upstream on 127.0.0.1, and the
catalog loaded by the proxy itself, as in a new proxy function (it never shares the API's cache).

These are the requests whose AWS calls tests/support/aws_calls.py files under the proxy
function, so its IAM role (ProxyHandlerRole) covers a cold start, a chat, a stream, the model
list, the key's usage, a provider's failure and the membership check."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from chalicelib.bootstrap import Container
from chalicelib.ledger.membership import MembershipService
from chalicelib.ledger.membership_store import MembershipStore
from chalicelib.proxy.asgi import create_app
from starlette.testclient import TestClient

from tests.fakes.upstream_servers import FakeUpstream, Fault
from tests.support.proxy_env import chat_body
from tests.support.real_proxy import MODEL, RealProxy, build_real_proxy


@pytest.fixture
def real(container: Container, openai_upstream: FakeUpstream) -> RealProxy:
    made = build_real_proxy(container, openai_upstream)
    container.catalog.invalidate()  # the proxy function loads the catalog itself
    return made


@pytest.fixture
def proxy_app(container: Container, real: RealProxy) -> Iterator[TestClient]:
    with TestClient(create_app(lambda: container), client=("203.0.113.9", 50000)) as client:
        yield client


def _post(client: TestClient, key: str, **body: Any) -> Any:
    headers = {"content-type": "application/json", "authorization": f"Bearer {key}"}
    return client.post("/v1/chat/completions", headers=headers, content=json.dumps(chat_body(model=MODEL, **body)))


def test_a_cold_proxy_serves_a_chat_a_stream_its_models_and_the_keys_usage(proxy_app: TestClient,
                                                                           real: RealProxy) -> None:
    chat = _post(proxy_app, real.key)
    assert chat.status_code == 200 and chat.json()["usage"]["total_tokens"] == 18
    stream = _post(proxy_app, real.key, stream=True)
    assert stream.status_code == 200 and stream.text.rstrip().endswith("data: [DONE]")
    auth = {"authorization": f"Bearer {real.key}"}
    assert [m["id"] for m in proxy_app.get("/v1/models", headers=auth).json()["data"]] == [MODEL]
    usage = proxy_app.get("/v1/usage", headers=auth).json()
    assert usage["quota_id"] == real.quota_id and Decimal(usage["used_cost"]) > 0


def test_a_failing_provider_is_marked_in_the_stored_catalog(proxy_app: TestClient, real: RealProxy,
                                                          openai_upstream: FakeUpstream) -> None:
    openai_upstream.set_fault(Fault.SERVER_ERROR)
    assert _post(proxy_app, real.key).status_code == 502
    [provider] = real.container.catalog_admin.list_providers()
    assert provider.health.consecutive_failures == 1


def test_with_memberships_required_a_user_without_one_is_refused(container: Container, real: RealProxy,
                                                                 proxy_app: TestClient) -> None:
    # Before the first request builds the proxy service, which takes the membership service.
    container.membership = MembershipService(  # type: ignore[misc]
        MembershipStore(), container.codes_store, container.ledger_store, container.clock, container.audit, True,
        container.settings.catalog_cache_seconds)
    refused = _post(proxy_app, real.key)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "membership_required")
