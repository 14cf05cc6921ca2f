"""Lockout after repeated failures (423), the same for unknown names, and the per-IP throttle (429)."""

from __future__ import annotations

import dataclasses
import json
import time

import pyotp
from chalicelib.bootstrap import Container, set_container

JSON = {"Content-Type": "application/json"}


def login(client, username, password, code="000000"):
    r = client.http.post("/api/login", body=json.dumps({"username": username, "password": password,
                                                        "totp_code": code}), headers=JSON)
    return r.status_code, json.loads(r.body)


def test_the_sixth_wrong_password_is_locked(client, accounts, clock):
    account = accounts.user()
    answers = [login(client, account.username, "wrong password!")[0] for _ in range(5)]
    assert answers == [401] * 5
    status, body = login(client, account.username, "wrong password!")
    assert status == 423
    assert body["error"]["code"] == "account_locked"
    # the right password with a wrong code is refused the same way while locked (no oracle)
    assert login(client, account.username, account.password, "000000")[0] == 423


def test_an_unknown_username_gets_the_same_answers(client, accounts):
    account = accounts.user()
    known = [login(client, account.username, "wrong password!") for _ in range(6)]
    unknown = [login(client, "nobody-here", "wrong password!") for _ in range(6)]
    assert [s for s, _ in known] == [s for s, _ in unknown] == [401] * 5 + [423]
    assert [b["error"] for _, b in known] == [b["error"] for _, b in unknown]


def test_an_unknown_username_takes_about_as_long_as_a_wrong_password(client, accounts):
    account = accounts.user()

    def timed(username):
        start = time.perf_counter()
        login(client, username, "wrong password!")
        return time.perf_counter() - start

    known = min(timed(account.username) for _ in range(3))
    unknown = min(timed("nobody-here") for _ in range(3))
    # both run one argon2 verification; with test parameters both are fast, so allow slack
    assert unknown < known * 3 + 0.05 and known < unknown * 3 + 0.05


def test_the_lock_lifts_after_the_lockout_period(client, accounts, clock, settings):
    account = accounts.user()
    for _ in range(6):
        login(client, account.username, "wrong password!")
    clock.advance(seconds=settings.lockout_duration + 1)
    assert login(client, account.username, account.password, pyotp.TOTP(account.totp_secret).at(clock.now()))[0] \
        == 200


def test_failures_outside_the_window_do_not_add_up(client, accounts, clock, settings):
    account = accounts.user()
    for _ in range(4):
        login(client, account.username, "wrong password!")
    clock.advance(seconds=settings.lockout_window + 1)
    assert [login(client, account.username, "wrong password!")[0] for _ in range(4)] == [401] * 4


def test_too_many_logins_from_one_address_are_throttled(client, container, settings, clock):
    set_container(Container(dataclasses.replace(settings, login_rate_limit_per_minute=3), clock=clock))
    clock.set(clock.now().replace(second=0))
    statuses = [client.http.post("/api/login", body=json.dumps({"username": f"u{i}x", "password": "p",
                                                                "totp_code": "123456"}), headers=JSON)
                for i in range(4)]
    assert [r.status_code for r in statuses] == [401, 401, 401, 429]
    assert statuses[-1].headers["Retry-After"] == "60"
    clock.advance(seconds=60)
    r = client.http.post("/api/login", body=json.dumps({"username": "u9x", "password": "p", "totp_code": "123456"}),
                         headers=JSON)
    assert r.status_code == 401


def test_sign_ups_from_one_address_share_the_throttle(client, container, settings, clock):
    set_container(Container(dataclasses.replace(settings, login_rate_limit_per_minute=2), clock=clock))
    clock.set(clock.now().replace(second=0))
    answers = [client.http.post("/api/register", body=json.dumps({"username": f"new{i}", "email": f"n{i}@ex.test",
                                                                  "password": "correct horse battery"}),
                                headers=JSON).status_code for i in range(3)]
    assert answers == [201, 201, 429]
