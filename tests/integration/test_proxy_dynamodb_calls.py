"""The hot path's cost in DynamoDB calls, counted with a botocore event hook, through the real
keys, catalog and metering services."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from chalicelib.store.base import table_clients

from tests.support.real_proxy import build_real_proxy


class CallCounter:
    """Counts every DynamoDB operation sent by any table model's client."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._clients: list[Any] = []

    def attach(self) -> CallCounter:
        self._clients = table_clients()
        for client in self._clients:
            client.meta.events.register("before-call.dynamodb", self._count)
        return self

    def detach(self) -> None:
        for client in self._clients:
            client.meta.events.unregister("before-call.dynamodb", self._count)  # type: ignore[attr-defined]

    def _count(self, model, **_: object) -> None:
        self.calls[model.name] += 1

    @property
    def total(self) -> int:
        return sum(self.calls.values())


@pytest.mark.parametrize(("rpm", "first", "then"), [(None, 5, 3), (60, 6, 4)], ids=["no-rpm", "rpm-header-read"])
def test_a_chat_costs_three_dynamodb_calls_once_the_key_is_remembered_and_touched(container, openai_upstream, rpm,
                                                                                   first, then):
    proxy = build_real_proxy(container, openai_upstream, rpm=rpm)
    counter = CallCounter().attach()
    proxy.chat()
    assert counter.total == first, counter.calls
    assert counter.calls["GetItem"] == first - 4  # the key's read (+ the RPM window's for the header)
    assert counter.calls["UpdateItem"] == 1  # last_used_at, the first time this minute
    counter.calls.clear()
    proxy.chat()
    counter.detach()
    assert counter.total == then, counter.calls
    assert counter.calls["TransactWriteItems"] == 2  # reserve, settle (money only)
    assert counter.calls["PutItem"] == 1  # the request record; its rollups come from the stream


def test_with_key_caching_off_every_chat_reads_the_key(container, openai_upstream, monkeypatch):
    monkeypatch.setenv("KEY_CACHE_SECONDS", "0")
    from chalicelib.bootstrap import Container
    from chalicelib.kernel.settings import load_settings

    cold = Container(load_settings(), clock=container.clock)
    proxy = build_real_proxy(cold, openai_upstream)
    proxy.chat()
    counter = CallCounter().attach()
    proxy.chat()
    counter.detach()
    assert counter.calls == Counter({"GetItem": 1, "TransactWriteItems": 2, "PutItem": 1})
