"""`kill -9` of the local stack in the middle of a load loses nothing a client was told succeeded:
after a restart every top-up and every charge that got a 2xx is in the ledger, and each user's
entries add up to their balance (available + held: a request cut by the kill may leave a hold,
which the hold-expiry job releases later)."""

from __future__ import annotations

import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import requests

from tests.e2e.sessions import Session, admin_session, new_user_session

pytestmark = pytest.mark.e2e
THREADS = 8
KILL_AFTER_SUCCESSES = 40  # the kill lands while requests are still in flight
LOAD_SECONDS = 60.0  # bound on the load before the kill


class Told:
    """What the clients were told succeeded, per user: charges by request id, top-ups by entry id."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.charges: dict[str, dict[str, Decimal]] = {}
        self.topups: dict[str, dict[str, Decimal]] = {}
        self.successes = 0
        self.enough = threading.Event()

    def record(self, kind: dict[str, dict[str, Decimal]], user: str, ref: str, amount: Decimal) -> None:
        with self.lock:
            kind.setdefault(user, {})[ref] = amount
            self.successes += 1
            if self.successes >= KILL_AFTER_SUCCESSES:
                self.enough.set()


def _client_loop(api: str, admin: Session, user: Session, key: str, told: Told, n: int) -> None:
    """Chats, with a top-up every fourth call, until the stack dies or the bound passes."""
    deadline = time.monotonic() + LOAD_SECONDS
    i = 0
    while time.monotonic() < deadline:
        i += 1
        try:
            if i % 4 == 0:
                r = requests.post(f"{api}/api/admin/users/{user.user_id}/topup", headers=admin.headers, timeout=30,
                                  json={"amount": "0.01", "note": f"crash test {n}-{i}"})
                if r.status_code in (200, 201):
                    told.record(told.topups, user.user_id, r.json()["entry_id"], Decimal(r.json()["amount"]))
            else:
                r = requests.post(f"{api}/v1/chat/completions", headers={"Authorization": f"Bearer {key}"},
                                  timeout=30, json={"model": "local-demo-chat", "max_tokens": 8,
                                                    "messages": [{"role": "user", "content": f"crash {n}-{i}"}]})
                if r.status_code == 200:
                    told.record(told.charges, user.user_id, r.headers["x-request-id"],
                                Decimal(r.headers["x-keyledger-cost"]))
        except requests.RequestException:
            return  # the stack is gone: nothing more was acknowledged


def _ledger(api: str, user: Session) -> tuple[dict, list[dict]]:
    balance = requests.get(f"{api}/api/balance", headers=user.headers, timeout=30).json()
    entries: list[dict] = []
    cursor = None
    for _ in range(100):  # bounded paging
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = requests.get(f"{api}/api/balance/history", params=params, headers=user.headers, timeout=30).json()
        entries += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return balance, entries


def test_kill_9_during_load_loses_nothing_a_client_was_told_succeeded(make_local_stack):
    stack = make_local_stack(SIGNUP_CREDIT="0.05")
    stack.start()
    api = stack.api_url
    admin = admin_session(api, stack.admin_credentials())
    users = [new_user_session(api, prefix="crash") for _ in range(2)]
    told = Told()
    pool = ThreadPoolExecutor(THREADS)
    futures = [pool.submit(_client_loop, api, admin, users[n % 2], users[n % 2].extras["api_key"]["key"], told, n)
               for n in range(THREADS)]
    assert told.enough.wait(LOAD_SECONDS), f"only {told.successes} successes:\n{stack.log()}"
    assert stack.stop(signal.SIGKILL) == -signal.SIGKILL
    for f in futures:
        f.result(timeout=60)
    pool.shutdown()

    stack.start()
    for user in users:
        balance, entries = _ledger(api := stack.api_url, user)
        by_ref = {e["ref"]: Decimal(e["amount"]) for e in entries}
        by_id = {e["entry_id"]: Decimal(e["amount"]) for e in entries}
        for request_id, cost in told.charges.get(user.user_id, {}).items():
            assert by_ref.get(request_id) == -cost, (request_id, cost)
        for entry_id, amount in told.topups.get(user.user_id, {}).items():
            assert by_id.get(entry_id) == amount, (entry_id, amount)
        total = sum(by_id.values())
        assert total == Decimal(balance["available"]) + Decimal(balance["held"]), (balance, total)
    assert told.charges and told.topups, "both kinds of write were acknowledged before the kill"
    again = requests.post(f"{api}/v1/chat/completions", timeout=30,
                          headers={"Authorization": f"Bearer {users[0].extras['api_key']['key']}"},
                          json={"model": "local-demo-chat", "messages": [{"role": "user", "content": "after"}]})
    assert again.status_code == 200, again.text
