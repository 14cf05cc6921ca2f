"""An admin marks an OpenAI-compatible provider as serving the Responses API (`responses_api`),
which routes /v1/responses for its models through to it; other provider types cannot be marked."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from chalicelib.catalog.types import QuotaLimits


@pytest.fixture
def admin(accounts, fast_upstreams):
    return accounts.admin()


def _call(client, admin, method, path, body):
    r = client.http.request(method, path, headers=admin.headers, body=json.dumps(body).encode())
    return r.status_code, json.loads(r.body) if r.body else None


def _route_target(container, provider_id: str):
    """The provider as the proxy's catalog hands it over for a model it serves."""
    admin = container.catalog_admin
    admin.create_model({"name": "gpt-pass", "provider": provider_id, "upstream_model": "gpt-up",
                        "input_price": Decimal(1), "output_price": Decimal(2), "capabilities": ["chat"]},
                       actor_id="admin-test", meta=None)
    admin.create_group(name="pass", models=["gpt-pass"], default_quota=QuotaLimits(), actor_id="admin-test",
                       meta=None)
    return container.catalog.route("gpt-pass", admin.ensure_group("pass", actor_id="admin-test").group_id)


def test_an_openai_provider_is_created_with_responses_api_and_the_proxy_sees_it(client, container, admin,
                                                                                openai_upstream):
    status, made = _call(client, admin, "POST", "/api/admin/providers",
                         {"name": "oa", "type": "openai", "base_url": openai_upstream.base_url,
                          "api_key": openai_upstream.api_key, "responses_api": True})
    assert status == 201 and made["responses_api"] is True
    provider, _ = _route_target(container, made["provider_id"]).targets[0]
    assert provider.responses_api is True
    status, changed = _call(client, admin, "PUT", f"/api/admin/providers/{made['provider_id']}",
                            {"responses_api": False})
    assert status == 200 and changed["responses_api"] is False
    status, listed = _call(client, admin, "GET", "/api/admin/providers", None)
    assert [p["responses_api"] for p in listed["items"]] == [False]


def test_a_provider_is_created_without_responses_api_unless_asked(client, admin, openai_upstream):
    status, made = _call(client, admin, "POST", "/api/admin/providers",
                         {"name": "oa", "type": "openai", "base_url": openai_upstream.base_url, "api_key": "k"})
    assert status == 201 and made["responses_api"] is False


def test_only_openai_providers_can_serve_the_responses_api(client, admin, openai_upstream, anthropic_upstream):
    status, refused = _call(client, admin, "POST", "/api/admin/providers",
                            {"name": "an", "type": "anthropic", "base_url": anthropic_upstream.base_url,
                             "api_key": "k", "responses_api": True})
    assert status == 400 and refused["error"]["code"] == "invalid_provider_settings"
    _, made = _call(client, admin, "POST", "/api/admin/providers",
                    {"name": "oa", "type": "openai", "base_url": openai_upstream.base_url, "api_key": "k",
                     "responses_api": True})
    status, refused = _call(client, admin, "PUT", f"/api/admin/providers/{made['provider_id']}",
                            {"type": "anthropic"})
    assert status == 400 and refused["error"]["code"] == "invalid_provider_settings"
    status, refused = _call(client, admin, "POST", "/api/admin/providers",
                            {"name": "oa2", "type": "openai", "base_url": openai_upstream.base_url, "api_key": "k",
                             "responses_api": "yes"})
    assert status == 400
