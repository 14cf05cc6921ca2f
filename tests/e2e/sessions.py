"""Signed-in sessions against a running local stack over real HTTP (fuzzing, load, bench).

Each TOTP step is accepted once per account and a code is valid within +-1 step. So a login
tries the current step, then the next one, and only then waits for a fresh step (bounded):
several logins of one account within a minute still work.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import pyotp
import requests

STEP = 30
THROTTLE_WAIT = 65.0  # the per-address sign-in throttle counts per minute


def post(url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> requests.Response:
    """POST that waits out the per-address throttle (429 + Retry-After), bounded."""
    deadline = time.monotonic() + THROTTLE_WAIT
    while True:
        r = requests.post(url, json=body, headers=headers, timeout=30)
        if r.status_code != 429 or time.monotonic() > deadline:
            return r
        time.sleep(min(float(r.headers.get("Retry-After", "5")) + 0.2, 61.0))


@dataclass
class Session:
    user_id: str
    username: str
    password: str
    totp_secret: str
    access_token: str
    refresh_token: str
    extras: dict[str, Any]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def login(api_url: str, username: str, password: str, totp_secret: str, *, max_wait: float = 65.0) -> dict[str, Any]:
    """Sign in with a TOTP code no earlier login used; returns the token pair."""
    totp = pyotp.TOTP(totp_secret)
    deadline = time.monotonic() + max_wait
    tried: set[str] = set()
    while True:
        now = time.time()
        for at in (now, now + STEP):
            code = totp.at(int(at))
            if code in tried:
                continue
            tried.add(code)
            r = post(f"{api_url}/api/login", {"username": username, "password": password, "totp_code": code})
            if r.status_code == 200:
                return r.json()
            if r.status_code not in (401,):
                raise AssertionError(f"login of {username} answered {r.status_code}: {r.text}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no fresh TOTP step for {username} within {max_wait} s")
        time.sleep(STEP - (time.time() % STEP) + 0.2)  # the next step starts


def admin_session(api_url: str, credentials: dict[str, Any]) -> Session:
    pair = login(api_url, credentials["username"], credentials["password"], credentials["totp_secret"])
    return Session(credentials["user_id"], credentials["username"], credentials["password"],
                   credentials["totp_secret"], pair["access_token"], pair["refresh_token"], {})


def new_user_session(api_url: str, prefix: str = "e2e") -> Session:
    """Register, verify and sign in a fresh user; `extras` holds what verify returned besides
    the recovery codes (the first API key once the keys area provides it)."""
    username = f"{prefix}{secrets.token_hex(4)}"
    password = "e2e password " + secrets.token_hex(4)
    r = post(f"{api_url}/api/register", {"username": username, "email": f"{username}@example.test",
                                         "password": password})
    assert r.status_code == 201, r.text
    reg = r.json()
    secret = reg["totp"]["secret"]
    r = post(f"{api_url}/api/register/verify", {"username": username, "password": password,
                                                "code": pyotp.TOTP(secret).now()})
    assert r.status_code == 200, r.text
    extras = {k: v for k, v in r.json().items() if k not in ("recovery_codes", "status", "user_id")}
    pair = login(api_url, username, password, secret)
    return Session(reg["user_id"], username, password, secret, pair["access_token"], pair["refresh_token"], extras)


def promoted_admin_session(api_url: str, admin: Session, prefix: str = "fuzzadmin") -> Session:
    """A second superadmin made by `admin` (create, then promote): for runs that may lock or
    log out the account they use, so the stack's own admin stays usable."""
    username = f"{prefix}{secrets.token_hex(4)}"
    password = "e2e admin password " + secrets.token_hex(4)
    r = requests.post(f"{api_url}/api/admin/users", headers=admin.headers, timeout=30,
                      json={"username": username, "email": f"{username}@example.test", "password": password})
    assert r.status_code == 201, r.text
    created = r.json()
    r = requests.put(f"{api_url}/api/admin/users/{created['user_id']}", headers=admin.headers, timeout=30,
                     json={"role": "superadmin"})
    assert r.status_code == 200, r.text
    # The new account enrols its own TOTP at first login (the admin never receives a secret).
    r = requests.post(f"{api_url}/api/login", timeout=30, json={"username": username, "password": password,
                                                                "totp_code": "000000"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "totp_enrollment_required", r.text
    secret = r.json()["error"]["details"]["totp"]["secret"]
    r = requests.post(f"{api_url}/api/register/verify", timeout=30,
                      json={"username": username, "password": password, "code": pyotp.TOTP(secret).now()})
    assert r.status_code == 200, r.text
    pair = login(api_url, username, password, secret)
    return Session(created["user_id"], username, password, secret, pair["access_token"], pair["refresh_token"], {})
