"""Registration, activation, sign-in, refresh and sign-out over HTTP."""

from __future__ import annotations

import json

import pyotp

JSON = {"Content-Type": "application/json"}
PASSWORD = "correct horse battery"


def post(client, path, body, headers=None):
    r = client.http.post(path, body=json.dumps(body), headers={**JSON, **(headers or {})})
    return r, (json.loads(r.body) if r.body else None)


def code_now(clock, secret, advance=True):
    if advance:
        clock.advance(seconds=30)
    return pyotp.TOTP(secret).at(clock.now())


def register(client, username="alice", email=None):
    r, body = post(client, "/api/register", {"username": username, "email": email or f"{username}@example.test",
                                             "password": PASSWORD})
    assert r.status_code == 201, body
    return body


def test_register_returns_a_pending_account_with_totp_enrollment(client):
    body = register(client)
    assert body["status"] == "pending_totp"
    assert body["user_id"]
    totp = body["totp"]
    assert totp["provisioning_uri"].startswith("otpauth://totp/")
    assert totp["secret"] in totp["provisioning_uri"]
    assert totp["qr_svg"].startswith("<svg")


def test_full_flow_register_verify_login_me_refresh_logout(client, clock):
    reg = register(client)
    secret = reg["totp"]["secret"]
    r, verified = post(client, "/api/register/verify",
                       {"username": "alice", "password": PASSWORD, "code": code_now(clock, secret)})
    assert r.status_code == 200, verified
    assert verified["status"] == "active"
    assert len(verified["recovery_codes"]) == 10 and len(set(verified["recovery_codes"])) == 10

    r, tokens = post(client, "/api/login", {"username": "alice", "password": PASSWORD,
                                            "totp_code": code_now(clock, secret)})
    assert r.status_code == 200, tokens
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 900
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}

    me = client.http.get("/api/me", headers=auth)
    assert me.status_code == 200
    profile = json.loads(me.body)
    assert profile["username"] == "alice" and profile["email"] == "alice@example.test"
    assert profile["status"] == "active" and profile["role"] == "user"
    assert set(profile["membership"]) >= {"plan", "expires_at", "auto_renew"}

    r, fresh = post(client, "/api/token/refresh", {"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 200
    new_auth = {"Authorization": f"Bearer {fresh['access_token']}"}
    r = client.http.post("/api/logout", headers=new_auth)
    assert r.status_code == 204
    assert client.http.get("/api/me", headers=new_auth).status_code == 401
    assert client.http.get("/api/me", headers=auth).status_code == 401
    r, _ = post(client, "/api/token/refresh", {"refresh_token": fresh["refresh_token"]})
    assert r.status_code == 401


def test_second_use_of_a_totp_code_is_refused(client, accounts, clock):
    account = accounts.user()
    code = code_now(clock, account.totp_secret)
    body = {"username": account.username, "password": account.password, "totp_code": code}
    first, _ = post(client, "/api/login", body)
    second, err = post(client, "/api/login", body)
    assert first.status_code == 200
    assert second.status_code == 401
    assert err["error"]["code"] == "invalid_credentials"


def test_a_code_from_the_previous_step_is_refused_once_a_later_step_was_used(client, accounts, clock):
    account = accounts.user()
    old = code_now(clock, account.totp_secret)
    new = code_now(clock, account.totp_secret)
    ok, _ = post(client, "/api/login", {"username": account.username, "password": account.password,
                                        "totp_code": new})
    late, _ = post(client, "/api/login", {"username": account.username, "password": account.password,
                                          "totp_code": old})
    assert ok.status_code == 200 and late.status_code == 401


def test_pending_account_cannot_log_in(client, clock):
    reg = register(client)
    r, err = post(client, "/api/login", {"username": "alice", "password": PASSWORD,
                                         "totp_code": code_now(clock, reg["totp"]["secret"])})
    assert r.status_code == 403
    assert err["error"]["code"] == "totp_enrollment_required"


def test_a_wrong_totp_code_does_not_activate_an_account(client, clock):
    reg = register(client)
    wrong = str((int(code_now(clock, reg["totp"]["secret"])) + 1) % 1_000_000).zfill(6)
    r, err = post(client, "/api/register/verify", {"username": "alice", "password": PASSWORD, "code": wrong})
    assert r.status_code == 401
    r, err = post(client, "/api/login", {"username": "alice", "password": PASSWORD, "totp_code": wrong})
    assert err["error"]["code"] == "totp_enrollment_required"


def test_each_recovery_code_works_once(client, accounts):
    account = accounts.user()
    body = {"username": account.username, "password": account.password,
            "recovery_code": account.recovery_codes[0]}
    first, tokens = post(client, "/api/login", body)
    second, _ = post(client, "/api/login", body)
    assert first.status_code == 200 and tokens["access_token"]
    assert second.status_code == 401
    other, _ = post(client, "/api/login", {**body, "recovery_code": account.recovery_codes[1].upper()})
    assert other.status_code == 200


def test_login_without_any_code_asks_for_one(client, accounts):
    account = accounts.user()
    r, err = post(client, "/api/login", {"username": account.username, "password": account.password})
    assert r.status_code == 400
    assert err["error"]["code"] == "totp_code_required"


def test_refresh_rotates_and_reuse_revokes_the_whole_session(client, accounts):
    account = accounts.user()
    r1, pair1 = post(client, "/api/token/refresh", {"refresh_token": account.refresh_token})
    assert r1.status_code == 200
    r2, pair2 = post(client, "/api/token/refresh", {"refresh_token": pair1["refresh_token"]})
    assert r2.status_code == 200
    reused, err = post(client, "/api/token/refresh", {"refresh_token": account.refresh_token})
    assert reused.status_code == 401
    assert "already used" in err["error"]["message"]
    # the whole family is gone: the newest refresh and access tokens stop as well
    again, _ = post(client, "/api/token/refresh", {"refresh_token": pair2["refresh_token"]})
    assert again.status_code == 401
    assert client.http.get("/api/me", headers={"Authorization": f"Bearer {pair2['access_token']}"}).status_code == 401


def test_an_access_token_is_not_a_refresh_token(client, accounts):
    account = accounts.user()
    r, _ = post(client, "/api/token/refresh", {"refresh_token": account.access_token})
    assert r.status_code == 401
    headers = {"Authorization": f"Bearer {account.refresh_token}"}
    assert client.http.get("/api/me", headers=headers).status_code == 401


def test_other_sessions_survive_a_logout(client, accounts):
    first = accounts.user()
    second = accounts.login(first)
    assert client.http.post("/api/logout", headers=first.headers).status_code == 204
    assert client.http.get("/api/me", headers=first.headers).status_code == 401
    assert client.http.get("/api/me", headers=second.headers).status_code == 200
