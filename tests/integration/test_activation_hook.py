"""Activation calls the container hook and merges its answer; the audit log records it all."""

from __future__ import annotations

import json

import pyotp

JSON = {"Content-Type": "application/json"}


def test_verify_merges_what_the_activation_hook_returns(client, container, clock):
    calls: list[str] = []

    def hook(user_id, meta):
        calls.append(user_id)
        return {"api_key": "sk-kl-test-key"}

    container.on_user_activated = hook  # type: ignore[method-assign]
    r = client.http.post("/api/register", body=json.dumps({"username": "alice", "email": "a@example.test",
                                                           "password": "correct horse battery"}), headers=JSON)
    reg = json.loads(r.body)
    clock.advance(seconds=30)
    r = client.http.post("/api/register/verify", body=json.dumps({
        "username": "alice", "password": "correct horse battery",
        "code": pyotp.TOTP(reg["totp"]["secret"]).at(clock.now())}), headers=JSON)
    body = json.loads(r.body)
    assert r.status_code == 200
    assert body["api_key"] == "sk-kl-test-key" and body["status"] == "active"
    assert calls == [reg["user_id"]]


def test_a_second_verify_is_409_and_calls_no_hook(accounts, container, client, clock):
    account = accounts.user()
    calls: list[str] = []
    container.on_user_activated = lambda uid, meta: calls.append(uid) or {}  # type: ignore[method-assign]
    clock.advance(seconds=30)
    r = client.http.post("/api/register/verify", body=json.dumps({
        "username": account.username, "password": account.password,
        "code": pyotp.TOTP(account.totp_secret).at(clock.now())}), headers=JSON)
    assert r.status_code == 409 and calls == []


def test_sign_in_events_are_audited_with_ip_and_user_agent(accounts, container):
    account = accounts.user()
    entries, _ = container.audit.logs(account.user_id)
    actions = {e.action: e for e in entries}
    assert {"register", "activated", "login"} <= set(actions)
    login = actions["login"]
    assert (login.type, login.ip, login.user_agent) == ("auth", accounts.meta.ip, accounts.meta.user_agent)
    assert login.detail == {"method": "totp"}


def test_audit_items_expire_after_the_retention_period(accounts, container, settings, clock):
    account = accounts.user()
    items = [i for i in container.audit_store.all_items() if i["pk"]["S"] == f"USER#{account.user_id}"
             and i["sk"]["S"].startswith("LOG#")]
    assert items
    horizon = clock.now().timestamp() + settings.audit_retention_days * 86400
    assert all(abs(int(i["ttl"]["N"]) - horizon) < 3600 for i in items)
    assert all(i["gsi1pk"]["S"] == f"TYPE#{i['type']['S']}" for i in items)


def test_audit_detail_drops_keys_that_look_like_secrets(container):
    container.audit.record(user_id="u1", type="security", action="x",
                           detail={"password": "p", "refresh_token": "t", "totp_secret": "s", "code": "c",
                                   "key_id": "kept", "reason": "kept"})
    [entry] = container.audit.logs("u1")[0]
    assert entry.detail == {"key_id": "kept", "reason": "kept"}
