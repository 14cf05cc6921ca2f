"""The hot path's cost in DynamoDB calls, counted with a botocore event hook."""

from __future__ import annotations

from collections import Counter

import pytest
from chalicelib.tables.base import all_models

from tests.support.proxy_env import ALICE, build_proxy_env, chat_body, meta


class CallCounter:
    """Counts every DynamoDB operation sent by any table model's client."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._clients: dict[int, object] = {}

    def attach(self) -> None:
        for model in all_models():
            client = model._get_connection().connection.client
            if id(client) not in self._clients:
                self._clients[id(client)] = client
                client.meta.events.register("before-call.dynamodb", self._count)

    def _count(self, model, **_: object) -> None:
        self.calls[model.name] += 1

    @property
    def total(self) -> int:
        return sum(self.calls.values())


def _key_read(env) -> None:
    """The keys area reads the key item by hash: one GetItem (the fake does it too, so it counts)."""
    from chalicelib.tables.quota_usage import KeyStateItem, key_pk

    KeyStateItem.get(key_pk(env.key.key_hash), "KEY", consistent_read=True)


@pytest.mark.parametrize(("rpm", "expected"), [(None, 3), (60, 4)], ids=["no-rpm", "rpm-header-read"])
def test_a_non_streamed_chat_costs_three_dynamodb_calls(container, rpm, expected):
    env = build_proxy_env(container, rpm=rpm)
    original = env.keys.lookup

    def lookup(plaintext, ip=None):
        _key_read(env)
        return original(plaintext, ip)

    env.keys.lookup = lookup  # the fake keys service reads the key item like the real one
    env.proxy.chat(ALICE, chat_body(), meta())  # warm: clients built
    counter = CallCounter()
    counter.attach()
    env.proxy.chat(ALICE, chat_body(), meta())
    assert counter.total == expected, counter.calls
    assert counter.calls["GetItem"] == expected - 2
    assert counter.calls["TransactWriteItems"] == 2
