"""The local stack's portal server over real HTTP on 127.0.0.1: files, config.js, CSP, no listing."""

from __future__ import annotations

import pytest
import requests

from infra.localstack.portal import PortalServer


@pytest.fixture
def portal(tmp_path):
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>KeyLedger</title>")
    (dist / "assets" / "app.js").write_text("export const x = 1;")
    (tmp_path / "secret.txt").write_text("outside the site")
    server = PortalServer(dist, 0)
    server.start("http://127.0.0.1:9")
    yield server
    server.stop()


def test_built_files_are_served_with_their_types_and_a_csp(portal):
    page = requests.get(f"{portal.url}/", timeout=5)
    assert page.status_code == 200 and "<title>KeyLedger</title>" in page.text
    assert "connect-src 'self' http://127.0.0.1:9" in page.headers["Content-Security-Policy"]
    script = requests.get(f"{portal.url}/assets/app.js", timeout=5)
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert script.headers["X-Content-Type-Options"] == "nosniff"


def test_config_js_names_the_api_and_is_not_cached(portal):
    r = requests.get(f"{portal.url}/config.js", timeout=5)
    assert r.text == 'window.KEYLEDGER_CONFIG = {"apiBase": "http://127.0.0.1:9"};\n'
    assert r.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/assets/", "/../secret.txt", "/%2e%2e/secret.txt", "/nope.js"])
def test_no_directory_listing_and_nothing_outside_the_site(portal, path):
    r = requests.get(f"{portal.url}{path}", timeout=5)
    assert r.status_code == 404
    assert "outside the site" not in r.text


def test_without_a_build_a_placeholder_says_how_to_make_one(tmp_path):
    server = PortalServer(tmp_path / "missing", 0)
    server.start("http://127.0.0.1:9")
    try:
        r = requests.get(f"{server.url}/", timeout=5)
        assert r.status_code == 200 and "make portal" in r.text
        assert requests.get(f"{server.url}/config.js", timeout=5).status_code == 200
    finally:
        server.stop()
