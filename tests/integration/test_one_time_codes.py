"""A TOTP step and a recovery code are accepted once, even by concurrent sign-ins (moto)."""

from __future__ import annotations

import threading

import pyotp
from chalicelib.kernel.errors import AppError


def race(n, target):
    outcomes: list[str] = []
    barrier = threading.Barrier(n)

    def run() -> None:
        barrier.wait(timeout=10)
        try:
            target()
            outcomes.append("ok")
        except AppError as err:
            outcomes.append(err.code)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return sorted(outcomes)


def test_concurrent_logins_with_one_totp_code_succeed_once(accounts, container, clock):
    account = accounts.user()
    clock.advance(seconds=30)
    code = pyotp.TOTP(account.totp_secret).at(clock.now())
    outcomes = race(5, lambda: container.accounts.login(account.username, account.password, code, None,
                                                        accounts.meta))
    assert outcomes == ["invalid_credentials"] * 4 + ["ok"]


def test_concurrent_logins_with_one_recovery_code_succeed_once(accounts, container):
    account = accounts.user()
    code = account.recovery_codes[3]
    outcomes = race(5, lambda: container.accounts.login(account.username, account.password, None, code,
                                                        accounts.meta))
    assert outcomes == ["invalid_credentials"] * 4 + ["ok"]


def test_concurrent_refreshes_of_one_token_leave_at_most_one_winner(accounts, container):
    account = accounts.user()
    outcomes = race(4, lambda: container.accounts.refresh(account.refresh_token, accounts.meta))
    assert outcomes.count("ok") <= 1
    assert outcomes.count("invalid_token") >= 3
