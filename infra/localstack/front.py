"""The local stack's one origin (PORT): uvicorn serves `/v1/*` from the proxy's ASGI app, as the
proxy function does on AWS, and everything else from the Chalice app through Chalice's local
gateway (called in a worker thread, one request at a time per thread). So `/api` and `/v1`
share a base URL, as behind the one REST API deployed, and local streams are real streams.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

import anyio.to_thread

from .options import HOST
from .servers import bind_errors, chalice_config

log = logging.getLogger("local")
access_log = logging.getLogger("local.access")
Message = dict[str, Any]


class Front:
    """The ASGI app behind PORT: dispatch by path, one access-log line per request (method,
    path without query, status, ms; never bodies or headers)."""

    def __init__(self, chalice_app: Any, proxy_app: Any) -> None:
        from chalice.local import LocalChalice, LocalGateway

        # As chalice's local server does: `app.current_request` becomes thread-local, so
        # concurrent requests in worker threads do not see each other's request.
        if not isinstance(chalice_app, LocalChalice):
            chalice_app.__class__ = type("LocalStackChalice", (LocalChalice, chalice_app.__class__), {})
        self.gateway = LocalGateway(chalice_app, chalice_config(chalice_app))
        self.proxy_app = proxy_app

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        started, status = time.perf_counter(), [0]

        async def logged_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        path = scope["path"]
        label = "v1" if path == "/v1" or path.startswith("/v1/") else "api"
        try:
            if label == "v1":
                await self.proxy_app(scope, receive, logged_send)
            else:
                await self._chalice(scope, receive, logged_send)
        finally:
            ms = (time.perf_counter() - started) * 1000
            access_log.info("%s %s %s %d %.1fms", label, scope["method"], path, status[0], ms)

    async def _chalice(self, scope: Message, receive: Any, send: Any) -> None:
        from chalice.local import LocalGatewayException

        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        query = scope.get("query_string", b"").decode("latin-1")
        path = scope["path"] + (f"?{query}" if query else "")
        try:
            answer = await anyio.to_thread.run_sync(self.gateway.handle_request, scope["method"], path, headers,
                                                    body or None)
            status, out, payload = answer["statusCode"], dict(answer["headers"]), answer.get("body")
            out.update(answer.get("multiValueHeaders") or {})
            if answer.get("isBase64Encoded") and payload is not None:
                import base64

                payload = base64.b64decode(payload)
        except LocalGatewayException as exc:
            status, out, payload = exc.CODE, dict(exc.headers), exc.body
        data = payload.encode() if isinstance(payload, str) else (payload or b"")
        raw: list[tuple[bytes, bytes]] = []
        for name, value in out.items():
            if name.lower() == "content-length":
                continue
            for one in value if isinstance(value, list) else [value]:
                raw.append((name.lower().encode("latin-1"), str(one).encode("latin-1")))
        if not any(name == b"content-type" for name, _ in raw) and data:
            raw.append((b"content-type", b"application/json"))
        raw.append((b"content-length", str(len(data)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": data})


class FrontServer:
    """uvicorn in a thread on 127.0.0.1:`port` (0: any free port) serving `Front`."""

    def __init__(self, chalice_app: Any, proxy_app: Any, port: int) -> None:
        import uvicorn

        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with bind_errors("API", port, "PORT"):
            self._socket.bind((HOST, port))
        config = uvicorn.Config(Front(chalice_app, proxy_app), log_level="warning", access_log=False,
                                lifespan="off", timeout_graceful_shutdown=30, backlog=128)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, name="api",
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self._server.started:
            raise RuntimeError("the API server did not start")

    def stop(self) -> None:
        """No new connections; the requests being handled finish (streams included, bounded)."""
        self._server.should_exit = True
        self._thread.join(timeout=40)
        if self._thread.is_alive():
            log.warning("API: requests still running after 40 s; stopping anyway")
        self._socket.close()
