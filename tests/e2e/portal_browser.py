"""Helpers for driving the portal in Debian's Chromium through Playwright (no downloaded browsers).

Used by the static portal tests (API unreachable or faked with page.route) and by the full-flow
test against the local stack.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import http.server
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PORTAL = ROOT / "portal"
DIST = PORTAL / "dist"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def build_portal() -> Path:
    """Builds portal/dist (npm ci first when node_modules is missing or older than the lockfile),
    unless it is already newer than every source file (`make test` builds it before the run).

    Under pytest-xdist several workers ask at once, and a worker's local stack may be serving
    dist/ while another asks: the build rewrites the whole folder, so it runs under a lock and
    only when a source changed since the last build."""
    lock = PORTAL / "package-lock.json"
    stamp = PORTAL / "node_modules" / f".lock-{hashlib.sha1(lock.read_bytes()).hexdigest()[:12]}"  # noqa: S324
    with (PORTAL / ".build.lock").open("a") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        if not stamp.exists():
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PORTAL, check=True, timeout=300)  # noqa: S607
            stamp.touch()
        if not _dist_is_current(stamp):
            subprocess.run(["node", "build.mjs"], cwd=PORTAL, check=True, timeout=120)  # noqa: S607
    return DIST


def _dist_is_current(node_modules_stamp: Path) -> bool:
    built = DIST / "build.json"
    if not built.exists():
        return False
    sources = [PORTAL / "build.mjs", node_modules_stamp, *(p for p in (PORTAL / "src").rglob("*") if p.is_file())]
    return built.stat().st_mtime >= max(p.stat().st_mtime for p in sources)


class _PortalHandler(http.server.SimpleHTTPRequestHandler):
    config_js = b""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:
        if self.path.split("?")[0] == "/config.js":
            body = self.config_js
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


@contextmanager
def serve_portal(dist: Path, api_base: str) -> Iterator[str]:
    """Serves dist on 127.0.0.1 (a free port) with a config.js pointing at api_base; yields the URL."""
    config = f"window.KEYLEDGER_CONFIG = {json.dumps({'apiBase': api_base})};\n".encode()
    handler = type("Handler", (_PortalHandler,), {"config_js": config})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(dist)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def launch(playwright: Any) -> Any:
    """Debian's Chromium, headless; never a browser downloaded by Playwright."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@dataclass
class ConsoleWatch:
    """Collects console errors and uncaught exceptions of a page.

    Chromium itself logs "Failed to load resource: net::ERR_..." for a request to a server that
    is down; those are expected only for the API origin when a test takes the API away on purpose.
    """

    unreachable_origin: str | None = None
    errors: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> ConsoleWatch:
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        return self

    def _on_console(self, msg: Any) -> None:
        if msg.type not in ("error", "assert"):
            return
        url = (msg.location or {}).get("url", "")
        if (
            self.unreachable_origin
            and url.startswith(self.unreachable_origin)
            and msg.text.startswith("Failed to load resource: net::ERR_CONNECTION_REFUSED")
        ):
            return
        self.errors.append(f"{msg.text} ({url})")


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() and shutil.which("node") is not None


class TotpCodes:
    """Fresh TOTP codes for one user: each code is accepted once and the server remembers the
    last accepted time step, so every code here comes from a later step than the one before.
    The server accepts one step either side of now; when the next step is further ahead than
    that, this waits (at most one step, 30 s) until it is in reach."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.last_step = -1

    def next(self) -> str:
        import time

        import pyotp

        step = max(self.last_step + 1, int(time.time() // 30))
        while step > int(time.time() // 30) + 1:  # bounded: at most one step of waiting
            time.sleep(0.5)
        self.last_step = step
        return pyotp.TOTP(self.secret).at(step * 30)

    def rotate(self, secret: str) -> None:
        """A new secret for the same user: the step order carries over."""
        self.secret = secret


_CODES: dict[str, TotpCodes] = {}


def totp_codes(secret: str) -> TotpCodes:
    """One TotpCodes per secret for the whole run (the admin logs in from several tests)."""
    return _CODES.setdefault(secret, TotpCodes(secret))


READY = ("() => document.getElementById('app').dataset.ready === 'true'"
         " && !document.querySelector('[data-state=loading]')")


def settle(page: Any) -> None:
    """Waits until the portal finished rendering the current page."""
    page.wait_for_function(READY, timeout=15_000)


def register_through_page(page: Any, base: str, username: str, password: str) -> TotpCodes:
    """Signs up on #/register (QR shown as an SVG data URL), verifies with a code computed from
    the secret the page shows, and waits for the ten recovery codes; returns the TOTP codes."""
    page.goto(f"{base}#/register")
    settle(page)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.test")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Create account").click()
    qr = page.locator("img.qr")
    qr.wait_for(timeout=15_000)
    assert qr.get_attribute("src").startswith("data:image/svg+xml;base64,")
    codes = TotpCodes(page.locator("[data-totp-secret]").get_attribute("data-totp-secret"))
    page.get_by_label("Authenticator code").fill(codes.next())
    page.get_by_role("button", name="Verify and activate").click()
    page.locator("[data-recovery=codes]").wait_for(timeout=15_000)
    assert page.locator("ol.codes li").count() == 10
    return codes


def log_in_to(page: Any, base: str, route: str, username: str, password: str, code: str) -> None:
    """Opens a page that needs a session: the portal asks to log in, then comes back to it."""
    import re

    page.goto(f"{base}#{route}")
    page.wait_for_url(re.compile(r"#/login"))
    settle(page)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Authenticator code").fill(code)
    page.locator("#login-submit").click()
    page.wait_for_url(re.compile(f"#{re.escape(route)}$"), timeout=15_000)
    settle(page)


@contextmanager
def chromium() -> Iterator[Any]:
    """Builds the portal and starts Debian's Chromium (skips when it is not installed)."""
    import pytest

    if not chromium_available():
        pytest.skip("needs /usr/bin/chromium and node (make browser)")
    build_portal()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p)
        try:
            yield b
        finally:
            b.close()
