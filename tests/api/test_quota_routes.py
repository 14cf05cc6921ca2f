"""Self-service and admin quota/key routes through the Chalice test client."""

from __future__ import annotations

import json

from tests.catalog_support import ADMIN, auth, kc, kclient  # noqa: F401

ALICE = auth("user", "alice")
BOB = auth("user", "bob")


def _call(client, method, path, headers=ADMIN, body=None):
    r = client.http.request(method, path, headers=headers, body=json.dumps(body).encode() if body is not None else b"")
    return r.status_code, (json.loads(r.body) if r.body else None)


def _group(client, name="default", **dq):
    status, body = _call(client, "POST", "/api/admin/groups", body={"name": name, "models": [], "default_quota": dq})
    assert status == 201, body
    return body


def test_admin_gives_a_quota_whose_key_is_shown_once_and_listed_by_prefix(kclient, kc):
    _group(kclient, rpm=60, period="day", limit_cost="5")
    status, created = _call(kclient, "POST", "/api/admin/quotas",
                            body={"user_id": "alice", "group": "default", "limit_tokens": 1000,
                                  "warn_at": ["0.5", 0.8], "ip_allow": ["10.0.0.0/8"]})
    assert status == 201, created
    key = created["api_key"]["key"]
    assert key.startswith("sk-kl-") and created["limit_cost"] == "5.000000" and created["rpm"] == 60
    assert created["limit_tokens"] == 1000 and created["period"] == "day"
    status, mine = _call(kclient, "GET", "/api/quotas", headers=ALICE)
    assert status == 200
    (item,) = mine["items"]
    assert item["quota_id"] == created["quota_id"] and item["group"] == "default"
    assert item["used_cost"] == "0.000000" and item["used_tokens"] == 0
    assert item["period_start"] == "2026-11-21T00:00:00Z" and item["period_end"] == "2026-11-22T00:00:00Z"
    assert item["key"]["prefix"] == key[:10] and item["key"]["status"] == "active"
    assert key not in json.dumps(mine)
    assert _call(kclient, "GET", "/api/quotas", headers=BOB)[1]["items"] == []


def test_a_user_resets_only_their_own_key(kclient, kc):
    _group(kclient)
    _, created = _call(kclient, "POST", "/api/admin/quotas", body={"user_id": "alice", "group": "default"})
    qid, old = created["quota_id"], created["api_key"]["key"]
    status, body = _call(kclient, "POST", f"/api/quotas/{qid}/reset-key", headers=BOB)
    assert status == 404 and body["error"]["code"] == "quota_not_found"
    status, fresh = _call(kclient, "POST", f"/api/quotas/{qid}/reset-key", headers=ALICE)
    assert status == 200 and set(fresh) >= {"key_id", "key", "prefix"}
    assert kc.keys.lookup(fresh["key"]).user_id == "alice"
    status, _ = _call(kclient, "POST", "/api/quotas/nope/reset-key", headers=ALICE)
    assert status == 404


def test_admin_reset_routes_replace_keys_and_return_them_once(kclient, kc):
    _group(kclient)
    _group(kclient, name="extra")
    _, a = _call(kclient, "POST", "/api/admin/quotas", body={"user_id": "alice", "group": "default"})
    _, b = _call(kclient, "POST", "/api/admin/quotas", body={"user_id": "alice", "group": "extra"})
    status, one = _call(kclient, "POST", f"/api/admin/quotas/{a['quota_id']}/reset_api_key")
    assert status == 200 and one["key"].startswith("sk-kl-")
    status, every = _call(kclient, "POST", "/api/admin/users/alice/reset-all-keys")
    assert status == 200 and len(every["items"]) == 2
    assert {k["quota_id"] for k in every["items"]} == {a["quota_id"], b["quota_id"]}
    audit = json.dumps(kc.audit.records)
    assert not any(k["key"] in audit for k in every["items"]) and one["key"] not in audit


def test_admin_updates_lists_and_deletes_quotas(kclient, kc):
    _group(kclient)
    _, created = _call(kclient, "POST", "/api/admin/quotas", body={"user_id": "alice", "group": "default"})
    qid = created["quota_id"]
    status, updated = _call(kclient, "PUT", f"/api/admin/quotas/{qid}", body={"rpm": 5, "limit_cost": "1.25"})
    assert status == 200 and updated["rpm"] == 5 and updated["limit_cost"] == "1.250000"
    assert kc.keys.lookup(created["api_key"]["key"]).rpm == 5
    status, listed = _call(kclient, "GET", "/api/admin/quotas?user_id=alice")
    assert status == 200 and [q["quota_id"] for q in listed["items"]] == [qid]
    status, paged = _call(kclient, "GET", "/api/admin/quotas?limit=10")
    assert status == 200 and [q["quota_id"] for q in paged["items"]] == [qid]
    assert _call(kclient, "DELETE", f"/api/admin/quotas/{qid}")[0] == 204
    assert _call(kclient, "PUT", f"/api/admin/quotas/{qid}", body={"rpm": 1})[0] == 404


def test_bad_quota_input_is_a_clear_400_and_writes_nothing(kclient, kc):
    _group(kclient)
    for body in ({"user_id": "alice", "group": "default", "period": "year"},
                 {"user_id": "alice", "group": "default", "warn_at": ["1.5"]},
                 {"user_id": "alice", "group": "default", "ip_allow": ["300.1.1.1/8"]},
                 {"user_id": "alice", "group": "default", "limit_cost": "-1"},
                 {"user_id": "alice", "group": "default", "surprise": 1}):
        status, answer = _call(kclient, "POST", "/api/admin/quotas", body=body)
        assert status == 400, (body, answer)
    status, answer = _call(kclient, "POST", "/api/admin/quotas", body={"user_id": "alice", "group": "ghost"})
    assert status == 404 and answer["error"]["code"] == "group_not_found"
    assert _call(kclient, "GET", "/api/admin/quotas")[1]["items"] == []


def test_admin_catalog_crud_round_trip(kclient):
    status, p = _call(kclient, "POST", "/api/admin/providers",
                      body={"name": "p", "type": "anthropic", "base_url": "https://api.anthropic.com", "api_key": "k"})
    assert status == 201 and p["api_key_hint"] == "****"
    status, m = _call(kclient, "POST", "/api/admin/models",
                      body={"name": "claude", "provider": p["provider_id"], "input_price": "3", "output_price": "15",
                            "capabilities": ["chat", "vision"]})
    assert status == 201 and m["input_price"] == "3.000000" and m["upstream_model"] == "claude"
    status, g = _call(kclient, "POST", "/api/admin/groups", body={"name": "pro", "models": ["claude"]})
    assert status == 201 and g["default_quota"]["period"] == "month"
    status, m2 = _call(kclient, "PUT", f"/api/admin/models/{m['model_id']}", body={"output_price": "14.5"})
    assert status == 200 and m2["output_price"] == "14.500000"
    status, g2 = _call(kclient, "PUT", f"/api/admin/groups/{g['group_id']}",
                       body={"default_quota": {"period": "week", "rpm": 10}})
    assert status == 200 and g2["default_quota"]["rpm"] == 10 and g2["models"] == ["claude"]
    assert _call(kclient, "POST", "/api/admin/groups", body={"name": "PRO"})[0] == 409
    assert _call(kclient, "DELETE", f"/api/admin/providers/{p['provider_id']}")[0] == 409
    assert _call(kclient, "DELETE", f"/api/admin/groups/{g['group_id']}")[0] == 204
    assert _call(kclient, "DELETE", f"/api/admin/models/{m['model_id']}")[0] == 204
    assert _call(kclient, "DELETE", f"/api/admin/providers/{p['provider_id']}")[0] == 204
    assert _call(kclient, "PUT", "/api/admin/models/nope", body={"enabled": False})[0] == 404
