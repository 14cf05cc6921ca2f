"""Sign-in abuse from many addresses: the lockout follows the account, the throttle follows the
address, a spoofed X-Forwarded-For changes neither, and each refusal leaves an audit item."""

from __future__ import annotations

import dataclasses
import json

import pyotp
from chalicelib.bootstrap import Container, set_container

JSON = {"Content-Type": "application/json"}


def login(client, username, password, code="000000", headers=None):
    r = client.http.post("/api/login", body=json.dumps({"username": username, "password": password,
                                                        "totp_code": code}), headers={**JSON, **(headers or {})})
    return r.status_code, json.loads(r.body)


def auth_logs(container, user_id):
    return [e for e in container.audit.login_history(user_id, limit=100)]


def test_the_lockout_holds_for_one_account_across_many_addresses(client, accounts, clock, from_ip, container):
    account = accounts.user()
    statuses = []
    for i in range(8):
        from_ip(f"198.51.100.{i + 1}")
        statuses.append(login(client, account.username, "wrong password!")[0])
    assert statuses == [401] * 5 + [423] * 3
    # the right password with a wrong code from yet another address is refused like any guess
    from_ip("192.0.2.200")
    status, body = login(client, account.username, account.password, "000000")
    assert status == 423 and body["error"]["code"] == "account_locked"
    failures = [e for e in auth_logs(container, account.user_id) if e.action == "login_failed"]
    assert len(failures) == 9
    assert {e.ip for e in failures} == {f"198.51.100.{i + 1}" for i in range(8)} | {"192.0.2.200"}
    assert sum(bool(e.detail.get("locked")) for e in failures) == 4
    # only the owner's password with a fresh code passes the lock
    clock.advance(seconds=30)
    assert login(client, account.username, account.password, pyotp.TOTP(account.totp_secret).at(clock.now()))[0] \
        == 200


def test_the_address_throttle_spans_many_accounts_and_spares_other_addresses(client, container, settings,
                                                                            clock, accounts, from_ip):
    set_container(Container(dataclasses.replace(settings, login_rate_limit_per_minute=4), clock=clock))
    users = [accounts.user() for _ in range(6)]
    clock.set(clock.now().replace(second=0))
    from_ip("203.0.113.50")
    statuses = [login(client, u.username, "wrong password!")[0] for u in users]
    assert statuses == [401] * 4 + [429] * 2
    # nobody got locked by the spray: each account saw at most one failure
    from_ip("203.0.113.51")
    assert [login(client, u.username, "wrong password!")[0] for u in users[:2]] == [401, 401]


def test_throttled_attempts_are_audited_once_per_address_and_minute(client, container, settings, clock, from_ip):
    set_container(Container(dataclasses.replace(settings, login_rate_limit_per_minute=2), clock=clock))
    clock.set(clock.now().replace(second=0))
    from_ip("203.0.113.60")
    statuses = [login(client, f"spray{i}", "wrong password!")[0] for i in range(6)]
    assert statuses == [401, 401, 429, 429, 429, 429]
    throttled = [e for e in container.audit.logs_of_type("security", limit=50) if e.action == "login_throttled"]
    assert len(throttled) == 1
    assert throttled[0].ip == "203.0.113.60"


def test_a_spoofed_x_forwarded_for_is_ignored(client, container, settings, clock, accounts, from_ip):
    set_container(Container(dataclasses.replace(settings, login_rate_limit_per_minute=3), clock=clock))
    account = accounts.user()
    clock.set(clock.now().replace(second=0))
    from_ip("203.0.113.70")
    # rotating the header does not buy a fresh throttle budget...
    statuses = [login(client, f"nobody{i}", "wrong password!",
                      headers={"X-Forwarded-For": f"10.0.0.{i}", "X-Real-IP": f"10.0.1.{i}"})[0]
                for i in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    # ...and the address on record is API Gateway's source address, never the header
    clock.advance(seconds=60)
    status, _ = login(client, account.username, account.password, pyotp.TOTP(account.totp_secret).at(clock.now()),
                      headers={"X-Forwarded-For": "1.2.3.4"})
    assert status == 200
    # (203.0.113.7 is the address the `accounts` fixture signs in from)
    assert {r.ip for r in container.audit.ip_records(account.user_id)} == {"203.0.113.7", "203.0.113.70"}
    assert "1.2.3.4" not in {e.ip for e in auth_logs(container, account.user_id)}


def test_a_replayed_totp_code_is_refused_from_another_address_and_audited(client, accounts, clock, from_ip,
                                                                          container):
    account = accounts.user()
    clock.advance(seconds=30)
    code = pyotp.TOTP(account.totp_secret).at(clock.now())
    from_ip("198.51.100.80")
    assert login(client, account.username, account.password, code)[0] == 200
    from_ip("198.51.100.81")
    status, body = login(client, account.username, account.password, code)
    assert status == 401 and body["error"]["code"] == "invalid_credentials"
    replay = [e for e in auth_logs(container, account.user_id) if e.ip == "198.51.100.81"]
    assert [(e.action, e.detail.get("reason")) for e in replay] == [("login_failed", "bad_totp")]


def test_a_reused_refresh_token_from_another_address_ends_the_session_and_is_audited(client, accounts,
                                                                                      from_ip, container):
    account = accounts.user()
    from_ip("198.51.100.90")
    first = client.http.post("/api/token/refresh", body=json.dumps({"refresh_token": account.refresh_token}),
                             headers=JSON)
    assert first.status_code == 200
    fresh = json.loads(first.body)
    from_ip("198.51.100.91")  # the thief replays the stolen, already rotated token
    stolen = client.http.post("/api/token/refresh", body=json.dumps({"refresh_token": account.refresh_token}),
                              headers=JSON)
    assert stolen.status_code == 401
    # the legitimate holder's new tokens die with the session
    assert client.http.get("/api/me", headers={"Authorization": f"Bearer {fresh['access_token']}"}).status_code == 401
    again = client.http.post("/api/token/refresh", body=json.dumps({"refresh_token": fresh["refresh_token"]}),
                             headers=JSON)
    assert again.status_code == 401
    reused = [e for e in container.audit.logs(account.user_id, type="security")[0]
              if e.action == "refresh_token_reused"]
    assert [e.ip for e in reused] == ["198.51.100.91"]


def test_a_refresh_token_is_not_an_access_token(client, accounts):
    account = accounts.user()
    r = client.http.get("/api/me", headers={"Authorization": f"Bearer {account.refresh_token}"})
    assert r.status_code == 401
    assert json.loads(r.body)["error"]["code"] == "invalid_token"


def test_admin_routes_refused_to_a_user_are_audited(client, accounts, container):
    user = accounts.user()
    r = client.http.get("/api/admin/users", headers=user.headers)
    assert r.status_code == 403
    denied = [e for e in container.audit.logs(user.user_id, type="security")[0] if e.action == "admin_denied"]
    assert len(denied) == 1
    assert denied[0].detail == {"route": "GET /api/admin/users"}
