"""Guard items in one transaction keep usernames and emails unique under concurrent sign-ups (moto)."""

from __future__ import annotations

import threading

from chalicelib.kernel.errors import AlreadyExists


def test_racing_registrations_of_one_username_create_exactly_one_account(container):
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def attempt(i: int) -> None:
        barrier.wait(timeout=10)
        try:
            container.accounts.register("racer", f"racer{i}@example.test", "correct horse battery", None)
            outcomes.append("created")
        except AlreadyExists:
            outcomes.append("exists")

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["created"] + ["exists"] * 5


def test_racing_registrations_of_one_email_create_exactly_one_account(container):
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def attempt(i: int) -> None:
        barrier.wait(timeout=10)
        try:
            container.accounts.register(f"racer{i}", "shared@example.test", "correct horse battery", None)
            outcomes.append("created")
        except AlreadyExists:
            outcomes.append("exists")

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["created"] + ["exists"] * 5
