"""Test support for the catalog and keys area: a Container with an in-memory audit
recorder and bearer tokens of the form `user:<id>` / `admin:<id>`, handed in through the
Container (no patching), plus a small fake upstream over real HTTP on 127.0.0.1.

The token and audit fakes stand in for the accounts area until it is merged.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from chalicelib.container import Container, set_container
from chalicelib.core.context import Caller
from chalicelib.core.errors import Unauthorized
from chalicelib.services.provider_probe import HttpProviderProbe

PROVIDER_KEY = "sk-upstream-SECRET-0123456789abcdef"


class InMemoryAudit:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def record(self, *, user_id: str, type: str, action: str, meta: Any = None,
               detail: dict[str, Any] | None = None, actor_id: str | None = None) -> None:
        json.dumps(detail)  # audit details must be plain JSON
        self.records.append({"user_id": user_id, "type": type, "action": action, "detail": detail,
                             "actor_id": actor_id})

    def actions(self) -> list[str]:
        return [r["action"] for r in self.records]


class CatalogTestContainer(Container):
    @cached_property
    def audit(self) -> InMemoryAudit:
        return InMemoryAudit()

    @cached_property
    def provider_client(self) -> HttpProviderProbe:
        return HttpProviderProbe(0.5, 0.5)

    def authenticate(self, access_token: str) -> Caller:
        role, _, user_id = access_token.partition(":")
        if role not in ("user", "admin") or not user_id:
            raise Unauthorized("Invalid token.", code="invalid_token")
        return Caller(user_id=user_id, username=user_id, role="superadmin" if role == "admin" else "user",
                      session_id="s", token_id="t")


def auth(role: str, user_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {role}:{user_id}", "Content-Type": "application/json"}


ADMIN = auth("admin", "admin1")
USER = auth("user", "user1")


@pytest.fixture
def kc(aws: None, settings: Any, clock: Any) -> Iterator[CatalogTestContainer]:
    from chalicelib.tables.base import create_tables

    c = CatalogTestContainer(settings, clock=clock)
    create_tables()
    set_container(c)
    yield c
    set_container(None)


@pytest.fixture
def kclient(kc: CatalogTestContainer) -> Iterator[Any]:
    from app import app
    from chalice.test import Client

    with Client(app) as test_client:
        yield test_client


# --- a fake OpenAI-compatible upstream: the first path segment picks its behaviour ---

class _Upstream(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        mode = self.path.strip("/").split("/")[0]
        self.server.seen.append((self.path, dict(self.headers)))  # type: ignore[attr-defined]
        if mode == "slow":
            time.sleep(1.5)  # longer than the probe's 0.5 s read timeout
            return self._send(200, b'{"data": []}')
        if mode == "unauthorized":
            # A careless upstream echoes the key it was given.
            return self._send(401, json.dumps({"error": self.headers.get("Authorization", "")}).encode())
        if mode == "broken":
            return self._send(500, b'{"error": "internal"}')
        if mode == "garbage":
            return self._send(200, b"<html>not json")
        if mode == "nolist":
            return self._send(200, b'{"models": "nope"}')
        if self.headers.get("Authorization") != f"Bearer {PROVIDER_KEY}":
            return self._send(401, b'{"error": "bad key"}')
        names = self.server.models  # type: ignore[attr-defined]
        return self._send(200, json.dumps({"object": "list", "data": [{"id": n, "object": "model"} for n in names]})
                          .encode())

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture
def upstream() -> Iterator[Any]:
    """`upstream.url(mode)`: base URL of a fake upstream on 127.0.0.1 (free port).
    Modes: ok, slow, unauthorized, broken, garbage, nolist; `upstream.models` sets the list."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    server.daemon_threads = True
    server.models = ["gpt-4o-mini", "text-embedding-3-small"]  # type: ignore[attr-defined]
    server.seen = []  # type: ignore[attr-defined]
    server.url = lambda mode="ok": f"http://127.0.0.1:{server.server_address[1]}/{mode}/v1"  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
