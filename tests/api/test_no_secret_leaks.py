"""No secret (password, TOTP secret, token, recovery code) in a log line, an audit item or an
answer where it does not belong."""

from __future__ import annotations

import json
import logging

import pyotp

JSON = {"Content-Type": "application/json"}
PASSWORD = "Sup3r-secret-passphrase"


def post(client, path, body, headers=None):
    r = client.http.post(path, body=json.dumps(body), headers={**JSON, **(headers or {})})
    return r.status_code, (json.loads(r.body) if r.body else None)


def test_secrets_never_reach_logs_or_audit_items(client, container, clock, caplog):
    caplog.set_level(logging.DEBUG)
    status, reg = post(client, "/api/register", {"username": "alice", "email": "alice@example.test",
                                                  "password": PASSWORD})
    assert status == 201
    secret = reg["totp"]["secret"]
    clock.advance(seconds=30)
    _, verified = post(client, "/api/register/verify", {"username": "alice", "password": PASSWORD,
                                                         "code": pyotp.TOTP(secret).at(clock.now())})
    post(client, "/api/login", {"username": "alice", "password": "wrong " + PASSWORD, "totp_code": "123456"})
    clock.advance(seconds=30)
    _, tokens = post(client, "/api/login", {"username": "alice", "password": PASSWORD,
                                            "totp_code": pyotp.TOTP(secret).at(clock.now())})
    _, by_code = post(client, "/api/login", {"username": "alice", "password": PASSWORD,
                                             "recovery_code": verified["recovery_codes"][0]})
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    _, refreshed = post(client, "/api/token/refresh", {"refresh_token": tokens["refresh_token"]})
    rotation = json.loads(client.http.get("/api/totp/secret", headers=auth).body)
    client.http.post("/api/logout", headers={"Authorization": f"Bearer {refreshed['access_token']}"})

    secrets = [PASSWORD, "wrong " + PASSWORD, secret, rotation["secret"], tokens["access_token"],
               tokens["refresh_token"], refreshed["access_token"], refreshed["refresh_token"],
               by_code["access_token"], *verified["recovery_codes"]]
    logged = caplog.text
    stored = json.dumps(container.audit_store.all_items())
    for value in secrets:
        assert value not in logged
        assert value not in stored
    # JWT signatures alone must not leak either
    for token in (tokens["access_token"], tokens["refresh_token"]):
        assert token.rsplit(".", 1)[1] not in logged + stored


def test_the_profile_and_admin_listing_hold_no_hashes_or_secrets(client, accounts):
    admin = accounts.admin()
    account = accounts.user()
    me = client.http.get("/api/me", headers=account.headers).body.decode()
    listing = client.http.get("/api/admin/users", headers=admin.headers).body.decode()
    for text in (me, listing):
        assert "argon2" not in text and "hash" not in text and "totp" not in text
        assert account.totp_secret not in text


def test_the_users_table_holds_no_plaintext_secret(container, accounts):
    account = accounts.user()
    text = json.dumps(container.users_store.all_items())
    assert account.user_id in text
    for value in (account.password, account.totp_secret, account.refresh_token, *account.recovery_codes):
        assert value not in text
