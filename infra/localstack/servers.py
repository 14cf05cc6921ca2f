"""The moto (DynamoDB) server on 127.0.0.1, and what the local servers share (ports, access log, Chalice's config)."""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..nodelay import NoDelayMixin
from .moto_http import MotoHttpServer
from .moto_inprocess import serve_in_process, stop_serving
from .options import HOST, REPO_ROOT

log = logging.getLogger("local")
access_log = logging.getLogger("local.access")


class PortBusy(RuntimeError):
    """A fixed port is already taken; the message says which variable to change."""


def port_busy_message(what: str, port: int, variable: str) -> str:
    return (f"{what}: port {port} on {HOST} is already in use (another `make run`?). "
            f"Stop the other process or choose another port, e.g. {variable}={port + 10} make run "
            f"({variable}=0 picks any free port).")


@contextlib.contextmanager
def bind_errors(what: str, port: int, variable: str) -> Iterator[None]:
    """Turns EADDRINUSE into PortBusy with a clear message."""
    try:
        yield
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortBusy(port_busy_message(what, port, variable)) from exc
        raise


class InFlight:
    """Counts requests being handled so a stop can wait for them (their writes must reach the
    final snapshot) without waiting for idle keep-alive connections."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._count = 0
        self.closing = False

    def enter(self) -> bool:
        with self._cond:
            if self.closing:
                return False
            self._count += 1
            return True

    def leave(self) -> None:
        with self._cond:
            self._count -= 1
            self._cond.notify_all()

    def close_and_wait(self, timeout: float = 30.0) -> bool:
        """Refuse new requests, then wait (bounded) until none is being handled."""
        with self._cond:
            self.closing = True
            return self._cond.wait_for(lambda: self._count == 0, timeout=timeout)


if TYPE_CHECKING:  # the mixin is only ever mixed into a BaseHTTPRequestHandler
    from http.server import BaseHTTPRequestHandler as _HandlerBase
else:
    _HandlerBase = object


class AccessLogMixin(NoDelayMixin, _HandlerBase):
    """For BaseHTTPRequestHandler subclasses on a server with an `in_flight: InFlight`:
    one log line per request (method, path without query, status, ms), never bodies or
    headers; requests arriving while the server stops get 503 and the connection closes."""

    _status: int = 0
    _started: float | None = None
    label = "api"

    def send_response(self, code: int, message: str | None = None) -> None:
        self._status = code
        super().send_response(code, message)

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        pass  # replaced by the timed line in handle_one_request

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # stdlib error lines would repeat the raw request line (with its query string)

    def _in_flight(self) -> InFlight:
        return self.server.in_flight  # type: ignore[attr-defined]  # our servers set it

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if not self._in_flight().enter():
            self.close_connection = True
            self.send_error(503, "Shutting down")
            return False
        self._started = time.perf_counter()
        return True

    def handle_one_request(self) -> None:
        self._status = 0
        self._started = None
        self.command = None  # type: ignore[assignment]  # a closed keep-alive connection parses nothing
        try:
            super().handle_one_request()
        finally:
            if self._started is not None:
                self._in_flight().leave()
                path = (getattr(self, "path", "") or "").split("?", 1)[0]
                ms = (time.perf_counter() - self._started) * 1000
                access_log.info("%s %s %s %d %.1fms", self.label, self.command, path, self._status, ms)


def check_port_free(port: int) -> None:
    """Bind and release `port` (0: nothing to check); raises OSError(EADDRINUSE) when taken."""
    if port:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((HOST, port))


# --- DynamoDB on moto ---------------------------------------------------------------------


class MotoEndpoint:
    """moto's DynamoDB on a keep-alive HTTP server (moto_http); this process's own botocore
    calls to it are answered in the calling thread without the HTTP hop (moto_inprocess),
    unless `in_process` is False."""

    def __init__(self, port: int, in_process: bool = True) -> None:
        from infra.moto_atomic import make_moto_dynamodb_atomic

        # The API is threaded: without this, two requests can both pass one condition in moto
        # (a hold left on the balance, an overspend) where DynamoDB never would. It also lets
        # the journal see each write under its items' locks.
        make_moto_dynamodb_atomic()
        self._port = port
        self._in_process = in_process
        self._server: MotoHttpServer | None = None

    def start(self) -> str:
        with bind_errors("DynamoDB (moto)", self._port, "MOTO_PORT"):
            self._server = MotoHttpServer(HOST, self._port)
        url = self._server.start()
        if self._in_process:
            serve_in_process(url)
        return url

    def stop(self) -> None:
        if self._server is not None:
            stop_serving(self._server.url)
            self._server.stop()


# --- the API: Chalice's configuration for its local gateway (front.py) -------------------------


def chalice_config(app: Any) -> Any:
    """A `chalice.config.Config` for stage `local` from .chalice/config.json."""
    from chalice.config import Config

    disk = json.loads((REPO_ROOT / ".chalice" / "config.json").read_text())
    return Config(
        chalice_stage="local",
        user_provided_params={"chalice_app": app},
        config_from_disk=disk,
        default_params={"project_dir": str(REPO_ROOT / "functions"), "api_gateway_stage": "api"},
    )


def local_stage_environment() -> dict[str, str]:
    """The environment variables .chalice/config.json sets for stage `local` (global + stage)."""
    disk = json.loads((REPO_ROOT / ".chalice" / "config.json").read_text())
    env = dict(disk.get("environment_variables", {}))
    env.update(disk.get("stages", {}).get("local", {}).get("environment_variables", {}))
    return env
