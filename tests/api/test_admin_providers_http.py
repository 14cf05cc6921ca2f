"""Provider connection test and model sync against fake upstreams over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import socket

import pytest

from tests.catalog_support import audit_log, raw_table_text
from tests.fakes.upstream_servers import Fault


@pytest.fixture
def admin(accounts, fast_upstreams):
    return accounts.admin()


def _post(client, admin, path, body=None):
    r = client.http.post(path, headers=admin.headers, body=json.dumps(body).encode() if body is not None else b"")
    return r, json.loads(r.body) if r.body else None


def _provider(client, admin, fake, kind="openai"):
    r, body = _post(client, admin, "/api/admin/providers",
                    {"name": f"fake-{kind}", "type": kind, "base_url": fake.base_url, "api_key": fake.api_key})
    assert r.status_code == 201, r.body
    return body


def _health(client, admin):
    return json.loads(client.http.get("/api/admin/providers", headers=admin.headers).body)["items"][0]["health"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_a_working_upstream_passes_the_test_and_its_health_is_shown(client, admin, openai_upstream,
                                                                     anthropic_upstream, kind):
    fake = openai_upstream if kind == "openai" else anthropic_upstream
    p = _provider(client, admin, fake, kind)
    r, body = _post(client, admin, f"/api/admin/providers/{p['provider_id']}/test")
    assert r.status_code == 200, r.body
    assert body["ok"] is True and body["latency_ms"] >= 0 and body["detail"]
    assert fake.calls("/v1/models")
    health = _health(client, admin)
    assert health["last_test_ok"] is True and health["consecutive_failures"] == 0 and health["healthy"]


@pytest.mark.parametrize("fault", [Fault.UNAUTHORIZED, Fault.SERVER_ERROR, Fault.TIMEOUT, Fault.MALFORMED,
                                   Fault.GARBAGE_MODELS])
def test_a_failing_upstream_gives_a_clear_detail_not_a_500(client, admin, openai_upstream, fault):
    openai_upstream.hang_seconds = 1.5
    p = _provider(client, admin, openai_upstream)
    openai_upstream.set_fault(fault)
    r, body = _post(client, admin, f"/api/admin/providers/{p['provider_id']}/test")
    assert r.status_code == 200, r.body
    assert body["ok"] is False and len(body["detail"]) > 10
    health = _health(client, admin)
    assert health["last_test_ok"] is False and health["consecutive_failures"] == 1
    assert health["last_error"] == body["detail"]


def test_an_upstream_nobody_listens_on_gives_a_clear_detail(client, admin):
    r, p = _post(client, admin, "/api/admin/providers", {"name": "gone", "type": "openai",
                                                        "base_url": f"http://127.0.0.1:{_free_port()}/v1"})
    r, body = _post(client, admin, f"/api/admin/providers/{p['provider_id']}/test")
    assert r.status_code == 200 and body["ok"] is False and body["detail"]


def test_sync_adds_new_models_disabled_and_unpriced_then_finds_nothing_new(client, admin, openai_upstream):
    p = _provider(client, admin, openai_upstream)
    r, body = _post(client, admin, f"/api/admin/providers/{p['provider_id']}/sync-models")
    assert r.status_code == 200 and body == {"added": 2, "updated": 0, "unchanged": 0}
    items = json.loads(client.http.get("/api/admin/models", headers=admin.headers).body)["items"]
    models = {m["name"]: m for m in items}
    assert set(models) == {"gpt-fake-mini", "text-embed-fake"}
    assert all(not m["enabled"] and m["input_price"] == "0.000000" for m in models.values())
    assert models["text-embed-fake"]["capabilities"] == ["embeddings"]
    openai_upstream.models = ["gpt-fake-mini", "text-embed-fake", "gpt-fake-large"]
    r, body = _post(client, admin, f"/api/admin/providers/{p['provider_id']}/sync-models")
    assert body == {"added": 1, "updated": 0, "unchanged": 2}


@pytest.mark.parametrize("fault", [Fault.UNAUTHORIZED, Fault.SERVER_ERROR, Fault.TIMEOUT, Fault.MALFORMED])
def test_sync_against_a_failing_upstream_is_a_clear_502_and_writes_nothing(client, admin, openai_upstream, fault):
    openai_upstream.hang_seconds = 1.5
    p = _provider(client, admin, openai_upstream)
    openai_upstream.set_fault(fault)
    r, body = _post(client, admin, f"/api/admin/providers/{p['provider_id']}/sync-models")
    assert r.status_code in (502, 504), r.body
    assert body["error"]["message"]
    assert json.loads(client.http.get("/api/admin/models", headers=admin.headers).body)["items"] == []


def test_the_provider_key_never_appears_in_answers_logs_or_audit(client, container, admin, openai_upstream,
                                                                 caplog, settings):
    caplog.set_level(logging.DEBUG)
    secret = openai_upstream.api_key
    answers = []
    p = _provider(client, admin, openai_upstream)
    pid = p["provider_id"]
    answers.append(json.dumps(p))
    openai_upstream.set_fault(Fault.UNAUTHORIZED, times=2)
    for path in (f"/api/admin/providers/{pid}/test", f"/api/admin/providers/{pid}/sync-models",
                 f"/api/admin/providers/{pid}/test", f"/api/admin/providers/{pid}/sync-models"):
        answers.append(_post(client, admin, path)[0].body.decode())
    for _ in range(3):
        container.catalog.record_provider_result(pid, False, f"upstream said: bad key {secret}")
    r = client.http.put(f"/api/admin/providers/{pid}", headers=admin.headers,
                        body=json.dumps({"name": "renamed", "api_key": secret}).encode())
    answers.append(r.body.decode())
    answers.append(client.http.get("/api/admin/providers", headers=admin.headers).body.decode())
    stored = raw_table_text(settings, "catalog") + raw_table_text(settings, "audit")
    everything = "\n".join(answers + [rec.getMessage() for rec in caplog.records] + [json.dumps(audit_log()),
                                                                                   stored])
    assert secret not in everything
    assert "sk-...6789" in everything  # the hint is there, so the search looked at the right things
    assert {"provider.create", "provider.test", "provider.sync_models", "provider.update"} <= {
        r["action"] for r in audit_log()}
    health = json.loads(answers[-1])["items"][0]["health"]
    assert health["consecutive_failures"] >= 3 and not health["healthy"]


def test_a_provider_answer_carries_no_key_field(client, admin, openai_upstream):
    p = _provider(client, admin, openai_upstream)
    assert "api_key" not in p and "api_key_enc" not in p and p["api_key_hint"] == "sk-...6789"
