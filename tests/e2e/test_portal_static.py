"""The portal in a real browser (Debian's Chromium via Playwright) without the backend.

Every page is opened twice: with the API unreachable (it must say so, not go blank or throw)
and against a canned API (tests/e2e/fake_api.py) carrying hostile strings that must stay text.
Screenshots go to test-artifacts/screenshots/ (printed at the end of each test).
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import fake_api
from tests.e2e.portal_browser import ConsoleWatch, build_portal, chromium_available, launch, screenshot, serve_portal

pytestmark = pytest.mark.e2e

GUEST_PAGES = ["login", "register"]
USER_PAGES = ["dashboard", "keys", "usage", "balance", "notifications", "security", "logs"]
ADMIN_PAGES = [f"admin/{name}" for name in ("users", "providers", "models", "groups", "quotas", "plans", "codes")]
SESSION_PAGES = USER_PAGES + ADMIN_PAGES
SETTLED = ("() => document.getElementById('app').dataset.ready === 'true'"
           " && !document.querySelector('[data-state=loading]')")


@pytest.fixture(scope="module")
def api_base() -> str:
    """An address on which nothing listens (the port is closed again at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def portal_url(api_base: str) -> Iterator[str]:
    if not chromium_available():
        pytest.skip("needs /usr/bin/chromium and node (make browser)")
    dist = build_portal()
    with serve_portal(dist, api_base) as url:
        yield url


@pytest.fixture(scope="module")
def browser(portal_url: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def open_page(browser: Any, url: str, *, session: bool, width: int = 1280, locale: str = "en-US",
              api_base: str | None = None, fake: bool = False, unreachable: str | None = None,
              scheme: str = "light") -> tuple[Any, Any, ConsoleWatch]:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale, accept_downloads=True,
                                  color_scheme=scheme)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    if session:
        # A refresh token as a previous login in this tab would have left it.
        context.add_init_script("sessionStorage.setItem('kl.refresh', 'refresh-token')")
    page = context.new_page()
    watch = ConsoleWatch(unreachable_origin=unreachable).attach(page)
    if fake:
        fake_api.install(page, api_base)
    page.goto(url)
    page.wait_for_function(SETTLED, timeout=10_000)
    return context, page, watch


def slug(route: str) -> str:
    return route.replace("/", "-")


def test_every_page_says_the_api_is_unreachable_instead_of_going_blank(browser: Any, portal_url: str,
                                                                         api_base: str) -> None:
    shots: list[Path] = []
    for route in GUEST_PAGES + SESSION_PAGES:
        session = route not in GUEST_PAGES
        context, page, watch = open_page(browser, f"{portal_url}#/{route}", session=session, unreachable=api_base)
        try:
            if session:
                error = page.locator("[data-state=error]")
                error.first.wait_for(timeout=10_000)
                assert "network_error" in error.first.inner_text()
                assert page.locator("h1.page-title").count() == 1
            else:
                assert page.locator("main form").count() == 1
            shots.append(screenshot(page, f"unreachable-{slug(route)}"))
            assert watch.errors == [], f"{route}: {watch.errors}"
        finally:
            context.close()
    print("\nscreenshots:", shots[0].parent)


def test_every_page_renders_api_data_as_text(browser: Any, portal_url: str, api_base: str) -> None:
    shots: list[Path] = []
    for route in SESSION_PAGES:
        context, page, watch = open_page(browser, f"{portal_url}#/{route}", session=True, api_base=api_base, fake=True)
        try:
            page.wait_for_timeout(150)  # charts draw on the next frame
            errors = page.locator("[data-state=error]")
            assert errors.count() == 0, errors.first.inner_text()
            assert page.evaluate("window.__pwned") is None
            assert page.locator("img[src=x]").count() == 0
            shots.append(screenshot(page, f"page-{slug(route)}"))
            assert watch.errors == [], f"{route}: {watch.errors}"
        finally:
            context.close()
    print("\nscreenshots:", shots[0].parent)


def test_hostile_strings_from_the_api_appear_literally(browser: Any, portal_url: str, api_base: str) -> None:
    context, page, _ = open_page(browser, f"{portal_url}#/admin/users", session=True, api_base=api_base, fake=True)
    try:
        page.get_by_text(fake_api.HOSTILE, exact=True).wait_for(timeout=5_000)
        assert page.evaluate("window.__pwned") is None
    finally:
        context.close()


def test_admin_links_show_only_for_a_superadmin(browser: Any, portal_url: str, api_base: str) -> None:
    context, page, _ = open_page(browser, f"{portal_url}#/dashboard", session=True, api_base=api_base, fake=True)
    try:
        assert page.locator("nav a[href='#/admin/users']").count() == 1
    finally:
        context.close()
    original = dict(fake_api.ME)
    fake_api.ME["role"] = "user"
    try:
        context, page, _ = open_page(browser, f"{portal_url}#/admin/users", session=True, api_base=api_base, fake=True)
        assert page.locator("nav a[href='#/admin/users']").count() == 0
        assert "admin_only" in page.locator("[data-state=error]").inner_text()
        context.close()
    finally:
        fake_api.ME.clear()
        fake_api.ME.update(original)


def test_the_layout_fits_a_375px_phone(browser: Any, portal_url: str, api_base: str) -> None:
    shots: list[Path] = []
    for route in GUEST_PAGES + SESSION_PAGES:
        context, page, watch = open_page(browser, f"{portal_url}#/{route}", session=route not in GUEST_PAGES,
                                         width=375, api_base=api_base, fake=True)
        try:
            page.wait_for_timeout(150)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{route} is {overflow}px wider than a 375px screen"
            shots.append(screenshot(page, f"phone-{slug(route)}"))
            assert watch.errors == [], f"{route}: {watch.errors}"
        finally:
            context.close()
    print("\nscreenshots:", shots[0].parent)


def test_language_switch_is_applied_and_remembered(browser: Any, portal_url: str) -> None:
    context, page, watch = open_page(browser, f"{portal_url}#/login", session=False)
    try:
        assert page.evaluate("document.documentElement.lang") == "en"
        assert page.locator("h1").inner_text() == "Log in"
        page.select_option("#lang-select", "zh-CN")
        page.wait_for_function("() => document.documentElement.lang === 'zh-CN'")
        assert page.locator("h1").inner_text() == "登录"
        page.reload()
        page.wait_for_function(SETTLED)
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        assert page.locator("h1").inner_text() == "登录"
        page.goto(f"{portal_url}#/register")
        page.wait_for_function("() => document.querySelector('h1')"
                               " && document.querySelector('h1').textContent === '注册账户'")
        screenshot(page, "zh-register")
        assert watch.errors == []
    finally:
        context.close()


def test_a_chinese_browser_gets_chinese_by_default(browser: Any, portal_url: str) -> None:
    context, page, _ = open_page(browser, f"{portal_url}#/login", session=False, locale="zh-CN")
    try:
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        assert page.locator("h1").inner_text() == "登录"
    finally:
        context.close()


def test_registration_shows_the_qr_code_as_an_image_and_the_recovery_codes_once(browser: Any, portal_url: str,
                                                                                 api_base: str) -> None:
    context, page, watch = open_page(browser, f"{portal_url}#/register", session=False, api_base=api_base, fake=True)
    try:
        page.get_by_label("Username").fill("bob")
        page.get_by_label("Email").fill("bob@example.test")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Create account").click()
        qr = page.locator("img.qr")
        qr.wait_for()
        assert qr.get_attribute("src").startswith("data:image/svg+xml;base64,")
        secret = page.locator("[data-totp-secret]").get_attribute("data-totp-secret")
        assert secret == "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
        screenshot(page, "flow-register-totp")
        page.get_by_label("Authenticator code").fill("123456")
        page.get_by_role("button", name="Verify and activate").click()
        page.locator("[data-recovery=codes]").wait_for()
        assert page.locator("ol.codes li").count() == 10
        assert "sk-kl-FFFF" in page.locator("[data-secret=once]").inner_text()
        with page.expect_download() as download:
            page.get_by_role("button", name="Download as .txt").click()
        saved = Path(download.value.path()).read_text()
        assert all(code in saved for code in fake_api.RECOVERY)
        screenshot(page, "flow-register-codes")
        assert watch.errors == []
    finally:
        context.close()


def test_a_reset_key_is_shown_once_with_a_ready_sdk_snippet(browser: Any, portal_url: str, api_base: str) -> None:
    context, page, watch = open_page(browser, f"{portal_url}#/keys", session=True, api_base=api_base, fake=True)
    try:
        page.get_by_role("button", name="Reset key").first.click()
        page.locator("dialog").get_by_role("button", name="Reset key").click()
        secret = page.locator("[data-secret=once]")
        secret.wait_for()
        assert fake_api.NEW_KEY in secret.inner_text()
        snippet = page.locator(".snippet[data-with-key] code").inner_text()
        assert f'base_url="{api_base}/v1"' in snippet
        assert f'api_key="{fake_api.NEW_KEY}"' in snippet
        assert 'model="gpt-4o-mini"' in snippet  # the first model the new key may use (GET /v1/models)
        screenshot(page, "flow-keys-reset")
        assert watch.errors == []
    finally:
        context.close()


def test_a_bedrock_provider_is_added_with_a_region_and_no_key(browser: Any, portal_url: str, api_base: str) -> None:
    context, page, watch = open_page(browser, f"{portal_url}#/admin/providers", session=True, api_base=api_base,
                                     fake=True)
    try:
        fake_api.SENT.clear()
        page.get_by_role("button", name="Add provider").click()
        dialog = page.locator("dialog[open]")
        dialog.get_by_label("Name").fill("bedrock-us")
        dialog.get_by_label("Type").select_option("bedrock")
        dialog.get_by_label("AWS region").fill("us-east-1")
        dialog.get_by_label("Cross-region inference profile").fill("us")
        dialog.get_by_role("button", name="Save").click()
        dialog.wait_for(state="detached")
        assert fake_api.SENT == [("POST", "/api/admin/providers", {
            "name": "bedrock-us", "type": "bedrock", "bedrock": {"region": "us-east-1", "inference_profile": "us"}})]
        assert watch.errors == []
    finally:
        context.close()


def test_a_provider_is_added_through_a_dialog_with_a_write_only_key(browser: Any, portal_url: str,
                                                                     api_base: str) -> None:
    context, page, watch = open_page(browser, f"{portal_url}#/admin/providers", session=True, api_base=api_base,
                                     fake=True)
    try:
        fake_api.SENT.clear()
        page.get_by_role("button", name="Add provider").click()
        dialog = page.locator("dialog[open]")
        dialog.get_by_label("Name").fill("deepseek")
        dialog.get_by_label("Base URL").fill("https://api.deepseek.com/v1")
        dialog.get_by_label("API key").fill("sk-upstream-secret")
        assert dialog.get_by_label("API key").get_attribute("type") == "password"
        screenshot(page, "flow-admin-add-provider")
        dialog.get_by_role("button", name="Save").click()
        dialog.wait_for(state="detached")
        assert fake_api.SENT == [("POST", "/api/admin/providers", {
            "name": "deepseek", "type": "openai", "base_url": "https://api.deepseek.com/v1",
            "api_key": "sk-upstream-secret"})]
        assert "sk-upstream-secret" not in page.content()
        assert watch.errors == []
    finally:
        context.close()


def test_an_openai_provider_is_added_as_serving_the_responses_api(browser: Any, portal_url: str,
                                                                  api_base: str) -> None:
    context, page, watch = open_page(browser, f"{portal_url}#/admin/providers", session=True, api_base=api_base,
                                     fake=True)
    try:
        fake_api.SENT.clear()
        page.get_by_role("button", name="Add provider").click()
        dialog = page.locator("dialog[open]")
        dialog.get_by_label("Name").fill("openai")
        dialog.get_by_label("Base URL").fill("https://api.openai.com/v1")
        dialog.get_by_label("API key").fill("sk-upstream-secret")
        dialog.get_by_label("Serves the Responses API (/responses)").check()
        dialog.get_by_role("button", name="Save").click()
        dialog.wait_for(state="detached")
        assert fake_api.SENT == [("POST", "/api/admin/providers", {
            "name": "openai", "type": "openai", "base_url": "https://api.openai.com/v1",
            "api_key": "sk-upstream-secret", "responses_api": True})]
        assert watch.errors == []
    finally:
        context.close()


def test_the_csv_export_is_fetched_with_the_bearer_token_and_saved(browser: Any, portal_url: str,
                                                                     api_base: str) -> None:
    context, page, watch = open_page(browser, f"{portal_url}#/usage", session=True, api_base=api_base, fake=True)
    try:
        with page.expect_download() as download:
            page.locator("#csv-download").click()
        assert download.value.suggested_filename.startswith("keyledger-usage-")
        assert Path(download.value.path()).read_bytes().decode() == fake_api.CSV
        assert watch.errors == []
    finally:
        context.close()


@pytest.mark.parametrize(("locale", "heading", "messages"), [("en-US", "Endpoint", "Anthropic Messages"),
                                                             ("zh-CN", "接口", "Anthropic Messages")])
def test_the_usage_page_groups_statistics_by_endpoint_and_shows_each_requests_endpoint(
        browser: Any, portal_url: str, api_base: str, locale: str, heading: str, messages: str) -> None:
    context, page, watch = open_page(browser, f"{portal_url}#/usage", session=True, api_base=api_base, fake=True,
                                     locale=locale)
    try:
        form = page.locator("#usage-statistics")
        form.locator("select[name=group_by]").select_option("endpoint")
        with page.expect_request(lambda r: "/api/usage/statistics" in r.url and "group_by=endpoint" in r.url):
            form.locator("button[type=submit]").click()
        stats = page.locator("table").first
        stats.get_by_role("columnheader", name=heading).wait_for(timeout=5_000)
        assert stats.get_by_role("cell", name=messages, exact=True).count() == 1
        assert stats.get_by_role("cell", name=fake_api.HOSTILE, exact=True).count() == 1  # an unknown one as text
        history = page.locator("table").nth(1)
        history.get_by_role("columnheader", name=heading).wait_for(timeout=5_000)
        assert history.get_by_role("cell", name=messages, exact=True).count() > 0
        assert page.evaluate("window.__pwned") is None
        screenshot(page, f"usage-by-endpoint-{locale}")
        assert watch.errors == []
    finally:
        context.close()


def test_dark_mode_follows_the_system(browser: Any, portal_url: str, api_base: str) -> None:
    context, page, _ = open_page(browser, f"{portal_url}#/dashboard", session=True, api_base=api_base, fake=True,
                                 scheme="dark")
    try:
        page.wait_for_timeout(150)
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        channels = [int(c) for c in re.findall(r"\d+", background)[:3]]
        assert sum(channels) < 150, background
        screenshot(page, "dark-dashboard")
    finally:
        context.close()


def test_the_phone_menu_and_the_login_form_work_from_the_keyboard(browser: Any, portal_url: str, api_base: str) -> None:
    context, page, watch = open_page(browser, f"{portal_url}#/dashboard", session=True, width=375,
                                     api_base=api_base, fake=True)
    try:
        nav = page.locator("#nav")
        assert not nav.is_visible()
        page.locator(".menu-toggle").focus()
        page.keyboard.press("Enter")
        assert nav.is_visible() and page.locator(".menu-toggle").get_attribute("aria-expanded") == "true"
        page.locator("#nav a[href='#/keys']").focus()
        page.keyboard.press("Enter")
        page.wait_for_url("**#/keys")
        page.wait_for_function(SETTLED)
        # focus moved to the new page's heading
        page.wait_for_function("() => document.activeElement"
                               " && document.activeElement.classList.contains('page-title')")
        assert not nav.is_visible()
    finally:
        context.close()
    context, page, watch = open_page(browser, f"{portal_url}#/login", session=False, api_base=api_base, fake=True)
    try:
        page.get_by_label("Username").focus()
        page.keyboard.type("alice")
        page.keyboard.press("Tab")
        page.keyboard.type("correct horse battery")
        page.keyboard.press("Tab")  # the second-factor choice
        page.keyboard.press("Tab")
        page.keyboard.type("123456")
        page.keyboard.press("Enter")
        page.wait_for_url("**#/dashboard")
        assert watch.errors == []
    finally:
        context.close()
