"""The signed-in user's TOTP rotation, disabling and recovery codes."""

from __future__ import annotations

import dataclasses
import json

import pyotp
from chalicelib.bootstrap import Container, set_container

from tests.support.api_calls import JSON, call


def code(clock, secret):
    clock.advance(seconds=30)
    return pyotp.TOTP(secret).at(clock.now())


def login(client, account, totp_code):
    r = client.http.post("/api/login", body=json.dumps({"username": account.username, "password": account.password,
                                                        "totp_code": totp_code}), headers=JSON)
    return r.status_code


def test_totp_rotation_replaces_the_secret_once_confirmed(client, accounts, clock):
    account = accounts.user()
    status, pending = call(client, "GET", "/api/totp/secret", account)
    assert status == 200 and pending["secret"] != account.totp_secret
    assert pending["qr_svg"].startswith("<svg")
    # until confirmed, the old secret still works
    assert login(client, account, code(clock, account.totp_secret)) == 200
    status, _ = call(client, "POST", "/api/totp/enable", account, {"code": code(clock, pending["secret"])})
    assert status == 200
    assert login(client, account, code(clock, account.totp_secret)) == 401
    assert login(client, account, code(clock, pending["secret"])) == 200


def test_enabling_with_a_wrong_code_keeps_the_old_secret(client, accounts, clock):
    account = accounts.user()
    _, pending = call(client, "GET", "/api/totp/secret", account)
    status, body = call(client, "POST", "/api/totp/enable", account, {"code": code(clock, account.totp_secret)})
    assert status == 401
    assert login(client, account, code(clock, account.totp_secret)) == 200


def test_enable_without_a_started_rotation_is_409(client, accounts, clock):
    account = accounts.user()
    status, body = call(client, "POST", "/api/totp/enable", account, {"code": "123456"})
    assert status == 409 and body["error"]["code"] == "no_pending_totp"


def test_disabling_totp_is_refused_while_it_is_required(client, accounts, clock):
    account = accounts.user()
    status, body = call(client, "POST", "/api/totp/disable", account,
                        {"password": account.password, "code": code(clock, account.totp_secret)})
    assert status == 409
    assert body["error"]["code"] == "totp_required"


def test_disabling_totp_works_when_the_deployment_allows_it(client, accounts, container, settings, clock):
    account = accounts.user()
    set_container(Container(dataclasses.replace(settings, require_totp=False), clock=clock))
    status, body = call(client, "POST", "/api/totp/disable", account,
                        {"password": account.password, "code": code(clock, account.totp_secret)})
    assert status == 200, body
    r = client.http.post("/api/login", body=json.dumps({"username": account.username,
                                                        "password": account.password}), headers=JSON)
    assert r.status_code == 200


def test_new_recovery_codes_replace_the_old_ones(client, accounts, clock):
    account = accounts.user()
    status, body = call(client, "POST", "/api/recovery-codes", account,
                        {"password": account.password, "code": code(clock, account.totp_secret)})
    assert status == 200 and len(body["recovery_codes"]) == 10
    old = client.http.post("/api/login", body=json.dumps({"username": account.username, "password": account.password,
                                                          "recovery_code": account.recovery_codes[0]}), headers=JSON)
    new = client.http.post("/api/login", body=json.dumps({"username": account.username, "password": account.password,
                                                          "recovery_code": body["recovery_codes"][0]}), headers=JSON)
    assert old.status_code == 401 and new.status_code == 200


def test_recovery_codes_need_the_password(client, accounts, clock):
    account = accounts.user()
    status, _ = call(client, "POST", "/api/recovery-codes", account,
                     {"password": "not the password", "code": code(clock, account.totp_secret)})
    assert status == 401


def test_account_routes_need_a_token(client):
    for method, path in (("GET", "/api/me"), ("GET", "/api/totp/secret"), ("POST", "/api/logout"),
                         ("GET", "/api/security/ip-records"), ("GET", "/api/logs")):
        assert client.http.request(method, path).status_code == 401
