"""Issue 17: provider URLs cannot reach private, loopback, link-local or metadata addresses."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import anyio
import pytest
from chalicelib.bootstrap import Container, set_container
from chalicelib.upstreams.client import UpstreamClient
from chalicelib.upstreams.errors import ProviderError
from chalicelib.upstreams.streaming import StreamingClient
from chalicelib.upstreams.types import Target

from tests.unit.test_hardening_ssrf_rules import SSRF_TARGETS


@pytest.fixture
def strict(container, settings, clock):
    """A deployment that refuses non-public provider addresses (every stage but local)."""
    strict_container = Container(dataclasses.replace(settings, upstream_allow_private=False), clock=clock)
    set_container(strict_container)
    return strict_container


def _post(client, headers, path, body):
    r = client.http.post(path, headers={**headers, "Content-Type": "application/json"}, body=json.dumps(body))
    return r.status_code, json.loads(r.body) if r.body else None


def test_every_ssrf_target_is_refused_at_create_and_nothing_is_stored(client, accounts, strict):
    admin = accounts.admin()
    for url in SSRF_TARGETS:
        status, body = _post(client, admin.headers, "/api/admin/providers",
                             {"name": "internal", "type": "openai", "base_url": url, "api_key": "sk-x"})
        assert status == 400 and body["error"]["code"] == "forbidden_base_url", (url, body)
    listed = json.loads(client.http.get("/api/admin/providers", headers=admin.headers).body)["items"]
    assert listed == []


def test_an_update_to_an_ssrf_target_is_refused(client, accounts, strict):
    admin = accounts.admin()
    status, p = _post(client, admin.headers, "/api/admin/providers",
                      {"name": "ok", "type": "openai", "base_url": "https://api.example.com/v1", "api_key": "sk-x"})
    assert status == 201, p
    r = client.http.put(f"/api/admin/providers/{p['provider_id']}", headers={**admin.headers,
                        "Content-Type": "application/json"}, body=json.dumps({"base_url": "http://2130706433/"}))
    assert r.status_code == 400 and json.loads(r.body)["error"]["code"] == "forbidden_base_url"


def test_a_users_own_provider_follows_the_same_url_rules(client, accounts, strict):
    user = accounts.user()
    for url in SSRF_TARGETS:
        status, body = _post(client, user.headers, "/api/my/providers",
                             {"name": "internal", "type": "openai", "base_url": url, "api_key": "sk-x"})
        assert status == 400 and body["error"]["code"] == "forbidden_base_url", (url, body)
    assert json.loads(client.http.get("/api/my/providers", headers=user.headers).body)["items"] == []


def test_a_host_name_that_resolves_to_loopback_is_refused_on_connect(openai_upstream):
    client = UpstreamClient(connect_timeout=1, read_timeout=1, probe_timeout=1, max_retries=0, allow_private=False)
    target = Target(provider_id="p1", provider_type="openai", api_key=openai_upstream.api_key, upstream_model="",
                    base_url=openai_upstream.base_url.replace("127.0.0.1", "localhost"))
    ok, _, detail = client.probe(target)
    assert not ok and "non-public address" in detail
    assert openai_upstream.calls("/v1/models") == []  # not one request reached it


def _open_stream(allow_private: bool, target: Target) -> Any:
    async def open_and_close() -> Any:
        client = StreamingClient(connect_timeout=1, read_timeout=1, max_retries=1, allow_private=allow_private,
                                 sleep=lambda _: anyio.sleep(0))
        try:
            stream = await client.open_chat(target, {"model": "x", "messages": [{"role": "user", "content": "hi"}],
                                                     "stream": True}, "x")
            await stream.aclose()
            return stream
        finally:
            await client.aclose()

    return anyio.run(open_and_close)


def test_the_streaming_client_refuses_a_host_name_that_resolves_to_loopback_on_connect(openai_upstream):
    target = Target(provider_id="p1", provider_type="openai", api_key=openai_upstream.api_key,
                    upstream_model="gpt-fake-mini", base_url=openai_upstream.base_url.replace("127.0.0.1", "localhost"))
    with pytest.raises(ProviderError) as refused:
        _open_stream(False, target)
    assert "non-public address" in refused.value.message and not refused.value.retryable
    assert openai_upstream.calls("/v1/chat/completions") == []  # not one request reached it
    assert _open_stream(True, target).provider_id == "p1"  # the same name, loopback allowed: it connects
    assert len(openai_upstream.calls("/v1/chat/completions")) == 1


def test_the_local_setting_lets_the_demo_upstream_on_loopback_through(openai_upstream):
    client = UpstreamClient(connect_timeout=1, read_timeout=1, probe_timeout=1, max_retries=0, allow_private=True)
    target = Target(provider_id="p1", provider_type="openai", api_key=openai_upstream.api_key, upstream_model="",
                    base_url=openai_upstream.base_url)
    assert client.probe(target).ok
