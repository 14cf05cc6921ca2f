"""Serves the built portal (`portal/dist/`) with a generated `/config.js` and a CSP.

Plain `http.server` (threaded). Without a build, a placeholder page says how to make one.
"""

from __future__ import annotations

import json
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .options import HOST
from .servers import AccessLogMixin, InFlight, bind_errors

PLACEHOLDER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>KeyLedger portal not built</title></head>
<body><h1>The KeyLedger portal is not built yet</h1>
<p>Run <code>make portal</code> (it writes <code>portal/dist/</code>), then reload this page.
The API is at <a href="{api}/api/health">{api}</a>.</p></body></html>
"""


def content_security_policy(api_base: str) -> str:
    """Same-origin scripts and styles only; the API is the one other origin the page may call."""
    return "; ".join((
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        f"connect-src 'self' {api_base}",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


class PortalHandler(AccessLogMixin, SimpleHTTPRequestHandler):
    label = "portal"
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
        ".svg": "image/svg+xml", ".json": "application/json", ".wasm": "application/wasm",
        ".woff2": "font/woff2", ".map": "application/json",
    }

    def __init__(self, *args: Any, site: PortalSite, **kwargs: Any) -> None:
        self.site = site
        super().__init__(*args, directory=str(site.root), **kwargs)

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", content_security_policy(self.site.api_base))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        super().end_headers()

    def _send_text(self, body: str, content_type: str, status: int = 200) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _route(self) -> bool:
        """Answers the generated paths; False lets the static file handler serve the rest."""
        path = self.path.split("?", 1)[0]
        if path == "/config.js":
            config = json.dumps({"apiBase": self.site.api_base})
            self._send_text(f"window.KEYLEDGER_CONFIG = {config};\n", "text/javascript; charset=utf-8")
            return True
        if not self.site.built:
            self._send_text(PLACEHOLDER.format(api=self.site.api_base), "text/html; charset=utf-8",
                            200 if path in ("/", "/index.html") else 404)
            return True
        return False

    def do_GET(self) -> None:
        if not self._route():
            super().do_GET()

    def do_HEAD(self) -> None:
        if not self._route():
            super().do_HEAD()

    def list_directory(self, path: str | Path) -> None:  # type: ignore[override]
        self.send_error(404, "Not found")
        return None


class PortalSite:
    """What the handler needs; `api_base` is set once the API server has its port."""

    def __init__(self, root: Path, api_base: str = "") -> None:
        self.root = root
        self.api_base = api_base

    @property
    def built(self) -> bool:
        return (self.root / "index.html").is_file()


class PortalServer:
    def __init__(self, root: Path, port: int) -> None:
        self.site = PortalSite(root)
        with bind_errors("portal", port, "PORTAL_PORT"):
            self._server = ThreadingHTTPServer((HOST, port), partial(PortalHandler, site=self.site))
        self._server.daemon_threads = True
        self._server.in_flight = InFlight()  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="portal", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"  # a TCP server's host is a str (typeshed allows bytes)

    def start(self, api_base: str) -> None:
        self.site.api_base = api_base
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.in_flight.close_and_wait(timeout=5)  # type: ignore[attr-defined]
        self._server.server_close()
        self._thread.join(timeout=10)
