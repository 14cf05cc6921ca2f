"""The portal against the real local stack (accounts, security and admin users).

Registration with TOTP from the secret the page shows, login, authenticator rotation, new
recovery codes, the activity log, Chinese, logout, and a superadmin disabling and enabling the
new user. No console error on any page (the test fails on them).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.portal_browser import (
    ConsoleWatch,
    chromium,
    log_in_to,
    register_through_page,
    screenshot,
    settle,
    totp_codes,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def test_a_user_registers_secures_the_account_and_an_admin_disables_it(local_stack: Any, browser: Any) -> None:
    base = local_stack.portal_url
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US", accept_downloads=True)
    page = context.new_page()
    watch = ConsoleWatch().attach(page)
    username = f"web{uuid.uuid4().hex[:8]}"
    password = "a long enough password"
    try:
        codes = register_through_page(page, base, username, password)
        screenshot(page, "stack-register-codes")

        log_in_to(page, base, "/security", username, password, codes.next())
        page.get_by_role("cell", name="127.0.0.1").first.wait_for(timeout=15_000)  # this login is listed

        # Move to a new authenticator: codes from the new secret, the old one stops.
        page.get_by_role("button", name="Set up a new authenticator").click()
        new_secret = page.locator("[data-totp-secret]")
        new_secret.wait_for(timeout=15_000)
        codes.rotate(new_secret.get_attribute("data-totp-secret"))
        page.get_by_label("Code from the new authenticator entry").fill(codes.next())
        page.get_by_role("button", name="Confirm the new authenticator").click()
        page.get_by_text("Your new authenticator is active.").wait_for(timeout=15_000)

        # New recovery codes with the new authenticator.
        card = page.locator("section.card", has=page.get_by_role("heading", name="Recovery codes"))
        card.get_by_label("Password").fill(password)
        card.get_by_label("Authenticator code").fill(codes.next())
        card.get_by_role("button", name="Generate new codes").click()
        card.locator("ol.codes li").first.wait_for(timeout=15_000)
        assert card.locator("ol.codes li").count() == 10
        screenshot(page, "stack-security")

        page.goto(f"{base}#/logs")
        settle(page)
        page.get_by_role("cell", name="login").first.wait_for(timeout=15_000)
        screenshot(page, "stack-logs")

        page.select_option("#lang-select", "zh-CN")
        page.wait_for_function("() => document.documentElement.lang === 'zh-CN'"
                               " && document.querySelector('h1')?.textContent === '操作日志'")
        screenshot(page, "stack-logs-zh")
        page.select_option("#lang-select", "en")
        settle(page)

        page.locator("#logout").click()
        page.wait_for_url(re.compile(r"#/login"))
        assert page.evaluate("() => sessionStorage.length") == 0

        # The superadmin disables and re-enables the new user.
        admin = local_stack.admin_credentials()
        assert admin, "the local stack wrote no admin credentials"
        log_in_to(page, base, "/admin/users", admin["username"], admin["password"],
                  totp_codes(admin["totp_secret"]).next())
        page.get_by_label("Search").fill(username)
        page.get_by_role("button", name="Search").click()
        row = page.locator("tr", has_text=username)
        row.wait_for(timeout=15_000)
        row.get_by_role("button", name="Disable").click()
        page.locator("dialog[open]").get_by_role("button", name="Disable").click()
        page.locator("tr", has_text=username).get_by_text("Disabled").wait_for(timeout=15_000)
        page.locator("tr", has_text=username).get_by_role("button", name="Enable").click()
        page.locator("tr", has_text=username).get_by_text("Active").wait_for(timeout=15_000)
        screenshot(page, "stack-admin-users")
        assert watch.errors == [], watch.errors
    finally:
        context.close()
