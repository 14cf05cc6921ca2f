"""The whole flow of the issue through the portal against the real local stack.

A new user registers (the TOTP code computed from the secret the page shows), logs in, resets
their key and calls the proxy with it through the OpenAI SDK, sees that request in the usage
history and the balance drop, and switches to Chinese. The superadmin adds a provider, prices a
model and tops the user up. No console error on any page (the test fails on them).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from openai import OpenAI

from tests.e2e.portal_browser import (
    SCREENSHOTS,
    ConsoleWatch,
    chromium,
    log_in_to,
    register_through_page,
    screenshot,
    settle,
    totp_codes,
)

DEMO_MODEL = "local-demo-chat"


pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def available(page: Any) -> Decimal:
    text = page.locator("[data-stat=available]").inner_text(timeout=15_000)
    return Decimal(re.sub(r"[^0-9.\-]", "", text.replace("−", "-")))


def test_register_use_a_key_see_usage_and_balance_then_admin_prices_and_tops_up(local_stack: Any, browser: Any) -> None:
    base = local_stack.portal_url
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    watch = ConsoleWatch().attach(page)
    username = f"flow{uuid.uuid4().hex[:8]}"
    password = "a long enough password"
    try:
        codes = register_through_page(page, base, username, password)

        log_in_to(page, base, "/dashboard", username, password, codes.next())
        screenshot(page, "flow-stack-dashboard")
        page.goto(f"{base}#/balance")
        settle(page)
        before = available(page)
        assert before > 0, "a new user needs sign-up credit to call the proxy"

        page.goto(f"{base}#/keys")
        settle(page)
        page.get_by_role("button", name="Reset key").first.click()
        page.locator("dialog[open]").get_by_role("button", name="Reset key").click()
        key = page.locator("[data-secret=once] .secret-value").first.inner_text(timeout=15_000)
        assert key.startswith("sk-kl-")
        page.locator(".snippet[data-with-key]").wait_for()
        assert f'base_url="{local_stack.api_url}/v1"' in page.locator(".snippet[data-with-key] code").inner_text()
        screenshot(page, "flow-stack-keys")

        client = OpenAI(base_url=f"{local_stack.api_url}/v1", api_key=key, max_retries=0, timeout=30)
        reply = client.chat.completions.create(model=DEMO_MODEL, max_tokens=32,
                                               messages=[{"role": "user", "content": "Hello from the portal test"}])
        assert reply.choices[0].message.content

        page.goto(f"{base}#/usage")
        settle(page)
        page.get_by_role("cell", name=DEMO_MODEL).first.wait_for(timeout=15_000)
        screenshot(page, "flow-stack-usage")
        page.goto(f"{base}#/balance")
        settle(page)
        assert available(page) < before
        screenshot(page, "flow-stack-balance")

        page.select_option("#lang-select", "zh-CN")
        page.wait_for_function("() => document.documentElement.lang === 'zh-CN'"
                               " && document.querySelector('h1')?.textContent === '余额'")
        settle(page)
        screenshot(page, "flow-stack-balance-zh")
        page.select_option("#lang-select", "en")
        settle(page)
        page.locator("#logout").click()
        page.wait_for_url(re.compile(r"#/login"))

        admin = local_stack.admin_credentials()
        assert admin, "the local stack wrote no admin credentials"
        log_in_to(page, base, "/admin/providers", admin["username"], admin["password"],
                  totp_codes(admin["totp_secret"]).next())
        page.get_by_role("button", name="Add provider").click()
        dialog = page.locator("dialog[open]")
        dialog.get_by_label("Name").fill(f"prov-{username}")
        dialog.get_by_label("Base URL").fill("https://api.example.test/v1")
        dialog.get_by_label("API key").fill("sk-upstream-never-shown")
        dialog.get_by_role("button", name="Save").click()
        dialog.wait_for(state="detached", timeout=15_000)
        page.get_by_role("cell", name=f"prov-{username}").wait_for(timeout=15_000)
        assert "sk-upstream-never-shown" not in page.content()
        screenshot(page, "flow-stack-providers")

        page.goto(f"{base}#/admin/models")
        settle(page)
        page.locator("tr", has_text=DEMO_MODEL).first.get_by_role("button", name="Edit prices").click()
        dialog = page.locator("dialog[open]")
        dialog.get_by_label("Input / 1M tokens").fill("0.75")
        dialog.get_by_label("Output / 1M tokens").fill("2.25")
        dialog.get_by_role("button", name="Save").click()
        dialog.wait_for(state="detached", timeout=15_000)
        page.locator("tr", has_text=DEMO_MODEL).first.get_by_text("$2.25").wait_for(timeout=15_000)
        screenshot(page, "flow-stack-models")

        page.goto(f"{base}#/admin/users")
        settle(page)
        page.get_by_label("Search").fill(username)
        page.get_by_role("button", name="Search").click()
        row = page.locator("tr", has_text=username)
        row.wait_for(timeout=15_000)
        row.get_by_role("button", name="Top up").click()
        dialog = page.locator("dialog[open]")
        dialog.get_by_label("Amount (USD)").fill("5.00")
        dialog.get_by_role("button", name="Top up").click()
        dialog.wait_for(state="detached", timeout=15_000)
        # The sign-in toast ("Welcome, <name>") may still be up: wait for the top-up's own.
        page.locator(".toast-success", has_text=f"added to {username}").wait_for(timeout=15_000)
        screenshot(page, "flow-stack-users")
        assert watch.errors == [], watch.errors
    finally:
        context.close()
    print("\nscreenshots:", SCREENSHOTS)
