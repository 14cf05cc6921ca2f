"""Self-service and admin quota/key routes through the Chalice test client."""

from __future__ import annotations

import json

import pytest

from tests.catalog_support import audit_log


@pytest.fixture
def people(accounts):
    return accounts.admin(), accounts.user("alice"), accounts.user("bob")


@pytest.fixture
def kclient(client, people):
    """The test client, calling as the admin unless told otherwise."""
    admin = people[0]

    class _Caller:
        def __init__(self):
            self.http = client.http

        def call(self, method, path, who=None, body=None):
            headers = (who or admin).headers
            r = client.http.request(method, path, headers=headers,
                                    body=json.dumps(body).encode() if body is not None else b"")
            return r.status_code, (json.loads(r.body) if r.body else None)

    return _Caller()


def _call(kclient, method, path, headers=None, body=None):
    return kclient.call(method, path, who=headers, body=body)


def _group(client, name="basic", **dq):
    status, body = _call(client, "POST", "/api/admin/groups", body={"name": name, "models": [], "default_quota": dq})
    assert status == 201, body
    return body


def test_admin_gives_a_quota_whose_key_is_shown_once_and_listed_by_prefix(kclient, people):
    _, alice, bob = people
    _group(kclient, rpm=60, period="day", limit_cost="5")
    status, created = _call(kclient, "POST", "/api/admin/quotas",
                            body={"user_id": alice.user_id, "group": "basic", "limit_tokens": 1000,
                                  "warn_at": ["0.5", 0.8], "ip_allow": ["10.0.0.0/8"]})
    assert status == 201, created
    key = created["api_key"]["key"]
    assert key.startswith("sk-kl-") and created["limit_cost"] == "5.000000" and created["rpm"] == 60
    assert created["limit_tokens"] == 1000 and created["period"] == "day"
    status, mine = _call(kclient, "GET", "/api/quotas", headers=alice)
    assert status == 200
    default, item = mine["items"]  # the quota every new user gets, then this one
    assert default["group"] == "default" and default["key"]["prefix"] == alice.extras["api_key"]["prefix"]
    assert item["quota_id"] == created["quota_id"] and item["group"] == "basic"
    assert item["used_cost"] == "0.000000" and item["used_tokens"] == 0
    assert item["period_start"] == "2026-11-21T00:00:00Z" and item["period_end"] == "2026-11-22T00:00:00Z"
    assert item["key"]["prefix"] == key[:10] and item["key"]["status"] == "active"
    assert key not in json.dumps(mine)
    assert [q["group"] for q in _call(kclient, "GET", "/api/quotas", headers=bob)[1]["items"]] == ["default"]


def test_a_user_resets_only_their_own_key(kclient, people, container):
    _, alice, bob = people
    qid, old = alice.extras["api_key"]["quota_id"], alice.extras["api_key"]["key"]
    status, body = _call(kclient, "POST", f"/api/quotas/{qid}/reset-key", headers=bob)
    assert status == 404 and body["error"]["code"] == "quota_not_found"
    assert container.keys.lookup(old).user_id == alice.user_id  # bob's attempt changed nothing
    status, fresh = _call(kclient, "POST", f"/api/quotas/{qid}/reset-key", headers=alice)
    assert status == 200 and set(fresh) >= {"key_id", "key", "prefix"}
    assert container.keys.lookup(fresh["key"]).user_id == alice.user_id
    with pytest.raises(Exception, match="Invalid API key"):
        container.keys.lookup(old)
    status, _ = _call(kclient, "POST", "/api/quotas/nope/reset-key", headers=alice)
    assert status == 404


def test_admin_reset_routes_replace_keys_and_return_them_once(kclient, people, container):
    _, alice, _ = people
    _group(kclient)
    _, a = _call(kclient, "POST", "/api/admin/quotas", body={"user_id": alice.user_id, "group": "basic"})
    b = alice.extras["api_key"]
    status, one = _call(kclient, "POST", f"/api/admin/quotas/{a['quota_id']}/reset_api_key")
    assert status == 200 and one["key"].startswith("sk-kl-")
    status, every = _call(kclient, "POST", f"/api/admin/users/{alice.user_id}/reset-all-keys")
    assert status == 200 and len(every["items"]) == 2
    assert {k["quota_id"] for k in every["items"]} == {a["quota_id"], b["quota_id"]}
    for old in (one["key"], b["key"], a["api_key"]["key"]):
        with pytest.raises(Exception, match="Invalid API key"):
            container.keys.lookup(old)
    audit = json.dumps(audit_log())
    assert not any(k["key"] in audit for k in every["items"]) and one["key"] not in audit
    assert _call(kclient, "POST", "/api/admin/users/nobody/reset-all-keys")[0] == 404


def test_admin_updates_lists_and_deletes_quotas(kclient, people, container):
    _, alice, _ = people
    _group(kclient)
    _, created = _call(kclient, "POST", "/api/admin/quotas", body={"user_id": alice.user_id, "group": "basic"})
    qid = created["quota_id"]
    status, updated = _call(kclient, "PUT", f"/api/admin/quotas/{qid}", body={"rpm": 5, "limit_cost": "1.25"})
    assert status == 200 and updated["rpm"] == 5 and updated["limit_cost"] == "1.250000"
    assert container.keys.lookup(created["api_key"]["key"]).rpm == 5
    status, listed = _call(kclient, "GET", f"/api/admin/quotas?user_id={alice.user_id}")
    assert status == 200 and [q["quota_id"] for q in listed["items"]] == [alice.extras["api_key"]["quota_id"], qid]
    seen, cursor = [], None
    for _ in range(10):  # page through every quota, two at a time
        status, page = _call(kclient, "GET", "/api/admin/quotas?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert status == 200
        seen += [q["quota_id"] for q in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert qid in seen and len(seen) == len(set(seen)) == 3  # alice: 2, bob: 1
    assert _call(kclient, "DELETE", f"/api/admin/quotas/{qid}")[0] == 204
    assert _call(kclient, "PUT", f"/api/admin/quotas/{qid}", body={"rpm": 1})[0] == 404


def test_bad_quota_input_is_a_clear_400_and_writes_nothing(kclient, people):
    _, alice, _ = people
    uid = alice.user_id
    _group(kclient)
    before = _call(kclient, "GET", "/api/admin/quotas")[1]["items"]
    for body in ({"user_id": uid, "group": "basic", "period": "year"},
                 {"user_id": uid, "group": "basic", "warn_at": ["1.5"]},
                 {"user_id": uid, "group": "basic", "ip_allow": ["300.1.1.1/8"]},
                 {"user_id": uid, "group": "basic", "limit_cost": "-1"},
                 {"user_id": uid, "group": "basic", "surprise": 1},
                 # JSON types as the schema says: no number as a time, no text as a number or flag
                 {"user_id": uid, "group": "basic", "expires_at": 1893456000},
                 {"user_id": uid, "group": "basic", "limit_tokens": "1000"},
                 {"user_id": uid, "group": "basic", "rpm": True},
                 {"user_id": uid, "group": "basic", "auto_renew": "no"}):
        status, answer = _call(kclient, "POST", "/api/admin/quotas", body=body)
        assert status == 400, (body, answer)
    status, answer = _call(kclient, "POST", "/api/admin/quotas", body={"user_id": uid, "group": "ghost"})
    assert status == 404 and answer["error"]["code"] == "group_not_found"
    status, answer = _call(kclient, "POST", "/api/admin/quotas", body={"user_id": "nobody", "group": "basic"})
    assert status == 404 and answer["error"]["code"] == "user_not_found"
    assert _call(kclient, "GET", "/api/admin/quotas")[1]["items"] == before


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
