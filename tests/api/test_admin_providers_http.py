"""Provider connection test and model sync against fake upstreams over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import socket

import pytest

from tests.catalog_support import ADMIN, PROVIDER_KEY, kc, kclient, upstream  # noqa: F401


def _post(client, path, body=None):
    r = client.http.post(path, headers=ADMIN, body=json.dumps(body).encode() if body is not None else b"")
    return r, json.loads(r.body) if r.body else None


def _provider(client, base_url, key=PROVIDER_KEY):
    r, body = _post(client, "/api/admin/providers",
                    {"name": "up", "type": "openai", "base_url": base_url, "api_key": key})
    assert r.status_code == 201, r.body
    return body


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_working_upstream_passes_the_test_and_its_health_is_shown(kclient, upstream):
    p = _provider(kclient, upstream.url("ok"))
    r, body = _post(kclient, f"/api/admin/providers/{p['provider_id']}/test")
    assert r.status_code == 200
    assert body["ok"] is True and body["latency_ms"] >= 0 and "2 models" in body["detail"]
    path, headers = upstream.seen[-1]
    assert path == "/ok/v1/models" and headers["Authorization"] == f"Bearer {PROVIDER_KEY}"
    listed = json.loads(kclient.http.get("/api/admin/providers", headers=ADMIN).body)["items"][0]
    assert listed["health"]["last_test_ok"] is True and listed["health"]["consecutive_failures"] == 0


@pytest.mark.parametrize(("mode", "words"), [
    ("unauthorized", "refused the API key"),
    ("broken", "HTTP 500"),
    ("slow", "did not answer within"),
    ("garbage", "not JSON"),
    ("nolist", "no model list"),
])
def test_a_failing_upstream_gives_a_clear_detail_not_a_500(kclient, upstream, mode, words):
    p = _provider(kclient, upstream.url(mode))
    r, body = _post(kclient, f"/api/admin/providers/{p['provider_id']}/test")
    assert r.status_code == 200
    assert body["ok"] is False and words in body["detail"]
    health = json.loads(kclient.http.get("/api/admin/providers", headers=ADMIN).body)["items"][0]["health"]
    assert health["last_test_ok"] is False and health["consecutive_failures"] == 1
    assert words in health["last_error"]


def test_an_upstream_nobody_listens_on_gives_a_clear_detail(kclient):
    p = _provider(kclient, f"http://127.0.0.1:{_free_port()}/v1")
    r, body = _post(kclient, f"/api/admin/providers/{p['provider_id']}/test")
    assert r.status_code == 200 and body["ok"] is False and "could not connect" in body["detail"]


def test_sync_adds_new_models_disabled_and_unpriced_then_finds_nothing_new(kclient, upstream):
    p = _provider(kclient, upstream.url("ok"))
    r, body = _post(kclient, f"/api/admin/providers/{p['provider_id']}/sync-models")
    assert r.status_code == 200 and body == {"added": 2, "updated": 0, "unchanged": 0}
    models = {m["name"]: m for m in json.loads(kclient.http.get("/api/admin/models", headers=ADMIN).body)["items"]}
    assert set(models) == {"gpt-4o-mini", "text-embedding-3-small"}
    assert all(not m["enabled"] and m["input_price"] == "0.000000" for m in models.values())
    assert models["text-embedding-3-small"]["capabilities"] == ["embeddings"]
    upstream.models = ["gpt-4o-mini", "text-embedding-3-small", "gpt-5"]
    r, body = _post(kclient, f"/api/admin/providers/{p['provider_id']}/sync-models")
    assert body == {"added": 1, "updated": 0, "unchanged": 2}


@pytest.mark.parametrize("mode", ["unauthorized", "broken", "slow", "garbage"])
def test_sync_against_a_failing_upstream_is_a_clear_502_and_writes_nothing(kclient, upstream, mode):
    p = _provider(kclient, upstream.url(mode))
    r, body = _post(kclient, f"/api/admin/providers/{p['provider_id']}/sync-models")
    assert r.status_code == 502 and body["error"]["code"] == "upstream_error" and body["error"]["message"]
    assert json.loads(kclient.http.get("/api/admin/models", headers=ADMIN).body)["items"] == []


def test_the_provider_key_never_appears_in_answers_logs_or_audit(kclient, kc, upstream, caplog):
    caplog.set_level(logging.DEBUG)
    answers = []
    p = _provider(kclient, upstream.url("unauthorized"))
    answers.append(json.dumps(p))
    pid = p["provider_id"]
    for path in (f"/api/admin/providers/{pid}/test", f"/api/admin/providers/{pid}/sync-models"):
        answers.append(_post(kclient, path)[0].body.decode())
    for _ in range(3):
        kc.catalog.record_provider_result(pid, False, f"upstream said: bad key {PROVIDER_KEY}")
    r = kclient.http.put(f"/api/admin/providers/{pid}", headers=ADMIN,
                         body=json.dumps({"base_url": upstream.url("ok"), "api_key": PROVIDER_KEY + "2"}).encode())
    answers.append(r.body.decode())
    answers.append(_post(kclient, f"/api/admin/providers/{pid}/test")[0].body.decode())
    answers.append(kclient.http.get("/api/admin/providers", headers=ADMIN).body.decode())
    everything = "\n".join(answers + [rec.getMessage() for rec in caplog.records] + [json.dumps(kc.audit.records)])
    assert "SECRET" not in everything
    assert "sk-...cdef" in everything  # the hint is there, so the search looked at the right things
    assert {"provider.create", "provider.test", "provider.update"} <= set(kc.audit.actions())


def test_a_provider_answer_carries_no_key_field(kclient, upstream):
    p = _provider(kclient, upstream.url("ok"))
    assert "api_key" not in p and "api_key_enc" not in p and p["api_key_hint"] == "sk-...cdef"
