"""Access tokens that must not work: tampered, expired, alg none, wrong key, stale version."""

from __future__ import annotations

import base64
import json

import jwt
import pytest


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def me(client, token):
    r = client.http.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    return r.status_code, json.loads(r.body)


def test_a_valid_token_works(client, accounts):
    account = accounts.user()
    assert me(client, account.access_token)[0] == 200


def test_a_tampered_token_is_refused(client, accounts):
    account = accounts.user()
    other = accounts.user()
    header, _, signature = account.access_token.split(".")
    forged = f"{header}.{b64({**claims_of(account.access_token), 'sub': other.user_id})}.{signature}"
    status, body = me(client, forged)
    assert status == 401
    assert body["error"]["code"] == "invalid_token"


def test_an_expired_token_is_refused(client, accounts, clock):
    account = accounts.user()
    clock.advance(seconds=15 * 60 + 1)
    assert me(client, account.access_token)[0] == 401


def test_a_token_with_alg_none_is_refused(client, accounts):
    account = accounts.user()
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims_of(account.access_token))}."
    assert me(client, unsigned)[0] == 401


def test_a_token_signed_with_another_key_is_refused(client, accounts):
    account = accounts.user()
    forged = jwt.encode(claims_of(account.access_token), "another-key-" + "y" * 32, algorithm="HS256")
    assert me(client, forged)[0] == 401


def test_a_token_signed_with_the_raw_secret_key_is_refused(client, accounts, settings):
    account = accounts.user()
    forged = jwt.encode(claims_of(account.access_token), settings.secret_key, algorithm="HS256")
    assert me(client, forged)[0] == 401


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer    ", "Basic abc", "Bearer not.a.jwt", "Bearer a.b"])
def test_missing_or_malformed_authorization_is_401(client, header):
    r = client.http.get("/api/me", headers={"Authorization": header} if header else {})
    assert r.status_code == 401


def test_disabling_a_user_stops_every_token_at_once(client, accounts, container):
    admin = accounts.admin()
    account = accounts.user()
    second = accounts.login(account)
    r = client.http.put(f"/api/admin/users/{account.user_id}", body=json.dumps({"status": "disabled"}),
                        headers={**admin.headers, "Content-Type": "application/json"})
    assert r.status_code == 200, r.body
    assert me(client, account.access_token)[0] == 401
    assert me(client, second.access_token)[0] == 401
    refresh = client.http.post("/api/token/refresh", body=json.dumps({"refresh_token": second.refresh_token}),
                               headers={"Content-Type": "application/json"})
    assert refresh.status_code == 401
