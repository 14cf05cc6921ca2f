"""Issue 17: a registration not verified within PENDING_REGISTRATION_HOURS releases its name and email."""

from __future__ import annotations

import json

import pyotp

JSON = {"Content-Type": "application/json"}


def register(client, username, email, password="correct horse battery"):
    r = client.http.post("/api/register", headers=JSON,
                         body=json.dumps({"username": username, "email": email, "password": password}))
    return r.status_code, json.loads(r.body)


def verify(client, username, password, code):
    r = client.http.post("/api/register/verify", headers=JSON,
                         body=json.dumps({"username": username, "password": password, "code": code}))
    return r.status_code, json.loads(r.body)


def test_a_squatted_email_is_released_when_the_pending_registration_expires(client, clock, settings):
    assert register(client, "squatter", "victim@example.test")[0] == 201
    clock.advance(seconds=settings.pending_registration_seconds - 60)
    assert register(client, "victim", "victim@example.test")[0] == 409  # still held
    assert register(client, "squatter", "other@example.test")[0] == 409
    clock.advance(seconds=61)
    status, body = register(client, "victim", "victim@example.test", "the victims own password")
    assert status == 201, body
    assert register(client, "squatter", "squatter@example.test")[0] == 201  # the name is free too
    code = pyotp.TOTP(body["totp"]["secret"]).at(clock.now())
    assert verify(client, "victim", "the victims own password", code)[0] == 200


def test_an_expired_registration_cannot_be_verified_any_more(client, clock, settings):
    status, body = register(client, "slowpoke", "slow@example.test")
    clock.advance(seconds=settings.pending_registration_seconds + 1)
    status, answer = verify(client, "slowpoke", "correct horse battery",
                            pyotp.TOTP(body["totp"]["secret"]).at(clock.now()))
    assert status == 409 and answer["error"]["code"] == "registration_expired"
    assert register(client, "slowpoke", "slow@example.test")[0] == 201


def test_a_verified_account_never_expires(client, clock, settings, accounts):
    account = accounts.user()
    clock.advance(seconds=settings.pending_registration_seconds * 2)
    assert register(client, account.username, "new@example.test")[0] == 409
