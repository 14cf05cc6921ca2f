"""Issue 21: a user's own providers over HTTP (`/api/my/providers`) and `<own>/<model>` on /v1,
against fake upstreams on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from chalicelib.bootstrap import Container
from chalicelib.proxy.asgi import create_app
from starlette.testclient import TestClient

from tests.catalog_support import audit_log, raw_table_text
from tests.support.proxy_http import post_json
from tests.support.usage_stream import drain_usage_stream

CHAT = {"messages": [{"role": "user", "content": "Hello"}]}


def call(client, account, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    r = client.http.request(method, path, headers={**account.headers, "Content-Type": "application/json"},
                            body=json.dumps(body).encode() if body is not None else b"")
    return r.status_code, (json.loads(r.body) if r.body else None)


def add(client, account, fake, name: str = "mine", **extra: Any) -> dict[str, Any]:
    status, body = call(client, account, "POST", "/api/my/providers",
                        {"name": name, "type": "openai", "base_url": fake.base_url, "api_key": fake.api_key, **extra})
    assert status == 201, body
    return body


def api_key_of(account) -> str:
    return account.extras["api_key"]["key"]


@pytest.fixture
def alice(accounts, fast_upstreams):
    return accounts.user("alice")


@pytest.fixture
def bob(accounts):
    return accounts.user("bob")


def test_a_provider_is_added_listed_changed_and_deleted_and_its_key_is_only_a_hint(client, alice, openai_upstream):
    created = add(client, alice, openai_upstream)
    assert created["api_key_hint"] == "sk-...6789" and "api_key" not in created
    assert created["balance"] is None and created["balance_kind"] is None  # 127.0.0.1 reports no balance
    status, listed = call(client, alice, "GET", "/api/my/providers")
    assert status == 200 and [p["name"] for p in listed["items"]] == ["mine"]
    status, changed = call(client, alice, "PUT", f"/api/my/providers/{created['provider_id']}",
                           {"name": "renamed", "api_key": "sk-another-key-abcdefgh"})
    assert status == 200 and (changed["name"], changed["api_key_hint"]) == ("renamed", "sk-...efgh")
    assert call(client, alice, "DELETE", f"/api/my/providers/{created['provider_id']}")[0] == 204
    assert call(client, alice, "GET", "/api/my/providers")[1]["items"] == []
    actions = [r["action"] for r in audit_log() if r["user_id"] == alice.user_id]
    assert {"own_provider.create", "own_provider.update", "own_provider.delete"} <= set(actions)


def test_the_connection_test_and_the_model_list_use_the_owners_key(client, alice, openai_upstream):
    p = add(client, alice, openai_upstream)
    status, tested = call(client, alice, "POST", f"/api/my/providers/{p['provider_id']}/test")
    assert status == 200 and tested["ok"] is True and tested["latency_ms"] >= 0
    status, models = call(client, alice, "GET", f"/api/my/providers/{p['provider_id']}/models")
    assert status == 200 and models["items"] == sorted(openai_upstream.models)
    assert {r.headers["authorization"] for r in openai_upstream.calls("/v1/models")} == {
        f"Bearer {openai_upstream.api_key}"}


@pytest.mark.parametrize(("method", "suffix"), [("GET", "/models"), ("PUT", ""), ("DELETE", ""),
                                                ("POST", "/test"), ("POST", "/balance")])
def test_another_users_provider_is_not_found(client, alice, bob, openai_upstream, method, suffix):
    p = add(client, alice, openai_upstream)
    status, body = call(client, bob, method, f"/api/my/providers/{p['provider_id']}{suffix}",
                        {"name": "stolen"} if method == "PUT" else None)
    assert (status, body["error"]["code"]) == (404, "provider_not_found")
    assert call(client, bob, "GET", "/api/my/providers")[1]["items"] == []
    assert openai_upstream.calls("/v1/models") == []  # nothing was sent with alice's key


@pytest.mark.parametrize(("change", "code"), [
    ({"name": "has/slash"}, "validation_error"),
    ({"name": " spaced"}, "validation_error"),
    ({"type": "cohere"}, "validation_error"),
    ({"type": "bedrock"}, "validation_error"),  # signs with the gateway's own AWS role: never lent to a user
    ({"base_url": "ftp://example.com/v1"}, "invalid_base_url"),
    ({"base_url": "http://169.254.169.254/latest"}, "forbidden_base_url"),
    ({"base_url": "https://user:pw@api.example.com/v1"}, "invalid_base_url"),
    ({"api_key": ""}, "validation_error"),
    ({"balance_kind": "paypal"}, "validation_error"),
    ({"low_balance_threshold": -1}, "validation_error"),
    ({"surprise": True}, "validation_error"),
])
def test_bad_input_is_a_400_that_echoes_no_key(client, alice, change, code):
    body = {"name": "ok", "type": "openai", "base_url": "https://api.example.com/v1",
            "api_key": "sk-secret-never-echoed-123456", **change}
    r = client.http.post("/api/my/providers", headers={**alice.headers, "Content-Type": "application/json"},
                         body=json.dumps(body).encode())
    assert r.status_code == 400 and json.loads(r.body)["error"]["code"] == code
    assert b"sk-secret-never-echoed" not in r.body


def test_names_are_unique_per_user_only(client, alice, bob, openai_upstream):
    add(client, alice, openai_upstream)
    status, body = call(client, alice, "POST", "/api/my/providers",
                        {"name": "MINE", "type": "openai", "base_url": openai_upstream.base_url, "api_key": "sk-x"})
    assert (status, body["error"]["code"]) == (409, "provider_exists")
    add(client, bob, openai_upstream)  # bob may use the same name for his own


@pytest.fixture
def own_v1(container: Container):
    with TestClient(create_app(lambda: container), client=("203.0.113.9", 50000)) as c:
        yield c


def test_own_model_names_reach_the_owners_provider_with_the_owners_key_and_cost_the_fee(
        client, container, alice, bob, openai_upstream, own_v1):
    add(client, alice, openai_upstream)
    resp = post_json(own_v1, "/v1/chat/completions", {**CHAT, "model": "mine/gpt-fake-mini"}, api_key_of(alice))
    assert resp.status_code == 200, resp.text
    assert resp.headers["x-keyledger-cost"] == "0.000000"  # BYOK_FEE_PER_1M_TOKENS defaults to 0
    (sent,) = openai_upstream.calls("/v1/chat/completions")
    assert sent.headers["authorization"] == f"Bearer {openai_upstream.api_key}"
    assert sent.body["model"] == "gpt-fake-mini"
    status, history = call(client, alice, "GET", "/api/usage/history")
    assert [(i["model"], i["provider"]) for i in history["items"]] == [("mine/gpt-fake-mini", "mine (own)")]
    drain_usage_stream()  # statistics are rollups, built from the usage table's stream
    status, stats = call(client, alice, "GET", "/api/usage/statistics?group_by=provider")
    assert [i["key"] for i in stats["items"]] == ["mine (own)"]
    # The proxy's request ids (which the export's day range reads) carry the wall-clock time.
    today = datetime.now(UTC).date()
    days = f"from={today - timedelta(days=1)}&to={today + timedelta(days=1)}"
    csv = client.http.get(f"/api/usage/export.csv?{days}", headers=alice.headers).body.decode()
    assert "mine/gpt-fake-mini" in csv and "mine (own)" in csv

    other = post_json(own_v1, "/v1/chat/completions", {**CHAT, "model": "mine/gpt-fake-mini"}, api_key_of(bob))
    assert other.status_code == 404 and other.json()["error"]["code"] == "model_not_found"
    assert len(openai_upstream.calls("/v1/chat/completions")) == 1


def test_a_stream_through_an_own_provider_is_relayed_and_recorded(client, alice, openai_upstream, own_v1):
    add(client, alice, openai_upstream)
    resp = post_json(own_v1, "/v1/chat/completions", {**CHAT, "model": "mine/gpt-fake-mini", "stream": True},
                     api_key_of(alice))
    assert resp.status_code == 200 and "data: [DONE]" in resp.text
    assert openai_upstream.reply.split()[0] in resp.text
    history = call(client, alice, "GET", "/api/usage/history")[1]["items"]
    assert [(i["provider"], i["input_tokens"], i["output_tokens"]) for i in history] == [("mine (own)", 11, 7)]


def test_the_own_key_fee_is_reserved_and_charged_like_a_price(client, container, clock, alice, openai_upstream):
    add(client, alice, openai_upstream)
    charged = Container(dataclasses.replace(container.settings, byok_fee_per_1m_tokens=Decimal("1000")), clock=clock)
    charged.upstream_client = container.upstream_client
    container.metering.credit(alice.user_id, Decimal("1"), "topup", "test")
    before = container.metering.balance(alice.user_id).available
    with TestClient(create_app(lambda: charged), client=("203.0.113.9", 50000)) as v1:
        too_big = post_json(v1, "/v1/chat/completions", {**CHAT, "model": "mine/gpt-fake-mini"}, api_key_of(alice))
        resp = post_json(v1, "/v1/chat/completions", {**CHAT, "model": "mine/gpt-fake-mini", "max_tokens": 20},
                         api_key_of(alice))
    # The hold is sized like any price: 4096 output tokens at 1000 USD per 1M is more than the 1 USD credit.
    assert too_big.status_code == 402 and too_big.json()["error"]["code"] == "insufficient_balance"
    assert resp.status_code == 200, resp.text
    assert resp.headers["x-keyledger-cost"] == "0.018000"  # (11 + 7) tokens x 1000 USD per 1M
    assert before - container.metering.balance(alice.user_id).available == Decimal("0.018")
    assert container.metering.balance(alice.user_id).held == 0


def test_a_quota_that_forbids_own_providers_refuses_them_with_403(client, accounts, alice, openai_upstream, own_v1):
    add(client, alice, openai_upstream)
    admin = accounts.admin()
    quota_id = alice.extras["api_key"]["quota_id"]
    status, quota = call(client, admin, "PUT", f"/api/admin/quotas/{quota_id}", {"allow_own_providers": False})
    assert status == 200 and quota["allow_own_providers"] is False
    resp = post_json(own_v1, "/v1/chat/completions", {**CHAT, "model": "mine/gpt-fake-mini"}, api_key_of(alice))
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "own_providers_not_allowed"
    assert openai_upstream.calls("/v1/chat/completions") == []


def test_the_provider_key_is_in_no_answer_log_audit_item_or_table(client, container, settings, alice,
                                                                   openai_upstream, own_v1, caplog):
    caplog.set_level(logging.DEBUG)
    p = add(client, alice, openai_upstream)
    answers = [json.dumps(p)]
    for method, suffix in (("GET", ""), ("POST", "/test"), ("GET", "/models"), ("POST", "/balance")):
        path = f"/api/my/providers/{p['provider_id']}{suffix}" if suffix else "/api/my/providers"
        answers.append(json.dumps(call(client, alice, method, path)[1]))
    answers.append(post_json(own_v1, "/v1/chat/completions", {**CHAT, "model": "mine/gpt-fake-mini"},
                             api_key_of(alice)).text)
    answers.append(json.dumps(call(client, alice, "GET", "/api/usage/history")[1]))
    secret = openai_upstream.api_key
    assert not [a for a in answers if secret in a]
    assert secret not in caplog.text
    assert secret not in json.dumps(audit_log())
    for table in ("users", "audit", "catalog", "keys", "ledger", "usage"):
        assert secret not in raw_table_text(settings, table), table
    call(client, alice, "DELETE", f"/api/my/providers/{p['provider_id']}")
    assert p["provider_id"] not in raw_table_text(settings, "catalog")  # the ciphertext went with the item
