"""What the gateway adds to a stream's time to first byte (prints figures).

Run: `make bench` (or `.venv/bin/python bench/streams.py [N]`). Everything is on 127.0.0.1: the
local stack's front server (uvicorn: /v1 = the proxy's ASGI app) in this process with every
real service, DynamoDB on moto's server, the local demo upstream. For each of N rounds,
interleaved so both see the same load, a raw socket asks for a streamed chat directly from
the upstream and through KeyLedger, and times the first `data:` event of each. Added time to
first byte = proxied - direct (p50/p95): the key, the reservation and the upstream's connect.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]


def first_event_seconds(origin: str, path: str, body: dict, key: str) -> float:
    """Seconds from sending a streamed chat to the first `data:` of its answer (read to the end)."""
    host, port = origin.removeprefix("http://").split("/")[0].split(":")
    data = json.dumps(body).encode()
    request = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
               f"Authorization: Bearer {key}\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n").encode()
    started = time.perf_counter()
    first = None
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(request + data)
        received = b""
        while part := sock.recv(65536):
            received += part
            if first is None and b"data:" in received:
                first = time.perf_counter() - started
    if first is None:
        raise RuntimeError(f"no event in the answer: {received[:300]!r}")
    return first


def measure(n: int = 100) -> dict:
    from bench.proxy import _env, _pct, seed_bench_user
    from infra.demo_upstream import start_demo_upstream
    from infra.localstack.moto_http import MotoHttpServer
    from infra.moto_atomic import make_moto_dynamodb_atomic

    make_moto_dynamodb_atomic()
    moto = MotoHttpServer()
    os.environ.update(_env(moto.start()))
    demo, demo_url = start_demo_upstream()

    from app import app
    from chalicelib.bootstrap import Container, set_container
    from chalicelib.kernel.settings import load_settings
    from chalicelib.store.base import create_tables
    from proxy_app import app as proxy_app

    from infra.localstack.front import FrontServer

    c = Container(load_settings())
    set_container(c)
    create_tables(wait=True)
    user_id, _, issued = seed_bench_user(c, demo_url, "benchstreams")
    c.metering.credit(user_id, Decimal("1000"), "topup", "bench")
    server = FrontServer(app, proxy_app, 0)
    server.start()
    body = {"model": "bench-chat", "messages": [{"role": "user", "content": "say something short"}],
            "max_tokens": 64, "stream": True}
    direct_body = {**body, "model": "demo-chat"}
    try:
        for _ in range(5):  # warm: connections, catalog snapshot, the remembered key
            first_event_seconds(server.url, "/v1/chat/completions", body, issued.key)
        direct, added = [], []
        for _ in range(n):
            d = first_event_seconds(demo_url, "/v1/chat/completions", direct_body, "local-demo")
            p = first_event_seconds(server.url, "/v1/chat/completions", body, issued.key)
            direct.append(d * 1000)
            added.append((p - d) * 1000)
    finally:
        server.stop()
        demo.stop()
        moto.stop()
        set_container(None)
    return {"streams": n, "ttfb_added_p50": _pct(added, 50), "ttfb_added_p95": _pct(added, 95),
            "ttfb_direct_p50": _pct(direct, 50), "ttfb_direct_p95": _pct(direct, 95)}


def main(n: int = 100) -> None:
    f = measure(n)
    print(f"streamed chats: {n} (front server over real HTTP, local demo upstream, DynamoDB = moto server)")
    print(f"added time to first byte (proxied - direct): p50 {f['ttfb_added_p50']:.2f} ms, "
          f"p95 {f['ttfb_added_p95']:.2f} ms (direct p50 {f['ttfb_direct_p50']:.2f} ms, "
          f"p95 {f['ttfb_direct_p95']:.2f} ms)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
