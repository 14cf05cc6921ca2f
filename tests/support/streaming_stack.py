"""The local stack's front server (uvicorn: /v1 from the proxy app, /api from Chalice) in this
process over moto, with every real service, serving one model from a scripted upstream; plus
the money invariants every streaming test checks afterwards."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from chalicelib.bootstrap import Container
from chalicelib.kernel.money import from_micros
from chalicelib.ledger import store as ledger
from chalicelib.metering.types import cost_of
from chalicelib.proxy.token_estimate import chat_prompt_tokens
from chalicelib.usage import reads_store as usage_reads

from tests.fakes.scripted_upstream import ScriptedUpstream
from tests.support.metering import assert_ledger_consistent
from tests.support.real_proxy import MODEL, RealProxy, build_real_proxy

MODEL_CAP = 4096  # the model's max_output_tokens (the catalog's default)


@dataclass
class StreamingStack:
    url: str  # the front server's origin
    upstream: ScriptedUpstream
    proxy: RealProxy

    @property
    def container(self) -> Container:
        return self.proxy.container

    def body(self, **extra: Any) -> dict[str, Any]:
        return {"model": MODEL, "messages": [{"role": "user", "content": "count for me"}], **extra}

    def hold_for(self, body: dict[str, Any]) -> Decimal:
        """What the proxy holds for `body`: prompt bound x $1/M + output cap x $2/M."""
        asked = body.get("max_completion_tokens") or body.get("max_tokens") or MODEL_CAP
        return cost_of(chat_prompt_tokens(body), min(asked, MODEL_CAP), Decimal(1), Decimal(2))

    def wait_settled(self, timeout: float = 10.0) -> None:
        """Streams settle after their last byte: wait (bounded) until no hold is left."""
        deadline = time.monotonic() + timeout
        while self.holds() and time.monotonic() < deadline:
            time.sleep(0.05)

    def holds(self) -> list[Any]:
        return [h for h in ledger.holds_expiring_before("9999", limit=100) if h.user_id == self.proxy.user_id]

    def charges(self) -> list[Decimal]:
        return [from_micros(-e.amount) for e in ledger.list_entries(self.proxy.user_id) if e.type == "charge"]

    def records(self) -> list[Any]:
        """The user's request records, newest first."""
        return usage_reads.records_page(self.proxy.user_id, 100, None)[0]

    def assert_money_holds(self, body: dict[str, Any], delivered: bool, limit_cost: Decimal | None = None) -> None:
        """After a request: charge <= hold, > 0 when content was delivered, quota used <= its
        limit, balance >= 0, the entries sum to the balance, no hold left."""
        self.wait_settled()
        assert self.holds() == []
        charges = self.charges()  # newest first: this request's is the first, if it was charged
        charged = charges[0] if charges else Decimal(0)
        assert charged <= self.hold_for(body)
        if delivered:
            assert charged > 0
        if limit_cost is not None:
            key = self.container.keys.lookup(self.proxy.key)
            from chalicelib.kernel.periods import period_window

            used = self.container.metering.quota_usage(key.quota_id, period_window(key.period,
                                                       self.container.clock.now()).key)
            assert used.used_cost + used.held_cost <= limit_cost
        assert_ledger_consistent(self.proxy.user_id)


@pytest.fixture
def scripted_upstream() -> Iterator[ScriptedUpstream]:
    fake = ScriptedUpstream().start()
    yield fake
    fake.stop()


def start_stack(container: Container, upstream: ScriptedUpstream, credit: str = "1", **limits: Any
                ) -> tuple[StreamingStack, Any]:
    from app import app
    from proxy_app import app as proxy_app

    from infra.localstack.front import FrontServer

    proxy = build_real_proxy(container, upstream, credit=credit, **limits)
    server = FrontServer(app, proxy_app, 0)
    server.start()
    return StreamingStack(server.url, upstream, proxy), server


@pytest.fixture
def stack(container: Container, scripted_upstream: ScriptedUpstream) -> Iterator[StreamingStack]:
    made, server = start_stack(container, scripted_upstream)
    yield made
    server.stop()


def raw_post(url: str, path: str, body: dict[str, Any], key: str | None) -> socket.socket:
    """Send a POST over a plain socket (HTTP/1.1, one request) and return the socket to read."""
    import json

    host, port = url.removeprefix("http://").split(":")
    data = json.dumps(body).encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\nConnection: close\r\n")
    if key:
        head += f"Authorization: Bearer {key}\r\n"
    sock = socket.create_connection((host, int(port)), timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(head.encode() + b"\r\n" + data)
    return sock


def arrivals(sock: socket.socket, marker: bytes) -> tuple[list[float], bytes]:
    """Read to the end; the monotonic time of each `marker` as it arrived, and all bytes."""
    times: list[float] = []
    received = b""
    with sock:
        while True:
            part = sock.recv(65536)
            if not part:
                break
            now = time.monotonic()
            before = received.count(marker)
            received += part
            times += [now] * (received.count(marker) - before)
    return times, received
