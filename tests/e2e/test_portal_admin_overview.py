"""The admin dashboard in Chromium against the real local stack: totals, tops, provider health
and the operation log render with no console error, in English and in Chinese; a screenshot
of each is kept under test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.portal_browser import ConsoleWatch, chromium, log_in_to, screenshot, settle, totp_codes

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def test_the_admin_dashboard_renders_in_english_and_chinese_without_console_errors(local_stack: Any,
                                                                                    browser: Any) -> None:
    base = local_stack.portal_url
    admin = local_stack.admin_credentials()
    assert admin, "the local stack wrote no admin credentials"
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="en-US")
    page = context.new_page()
    watch = ConsoleWatch().attach(page)
    try:
        log_in_to(page, base, "/admin/overview", admin["username"], admin["password"],
                  totp_codes(admin["totp_secret"]).next())
        overview = page.locator("#admin-overview")
        overview.locator("[data-total=users]").wait_for(timeout=15_000)
        assert int(overview.locator("[data-total=users] strong").inner_text().replace(",", "")) >= 1
        page.get_by_role("heading", name="Provider health").wait_for(timeout=15_000)
        assert overview.locator("figure.chart canvas").count() == 2  # cost and requests per day (uPlot)
        page.get_by_role("cell", name="login").first.wait_for(timeout=15_000)  # the admin's own sign-in
        screenshot(page, "stack-admin-overview")

        page.select_option("#lang-select", "zh-CN")
        page.wait_for_function("() => document.documentElement.lang === 'zh-CN'"
                               " && document.querySelector('h1')?.textContent === '总览'")
        settle(page)
        page.get_by_role("heading", name="供应商健康状况").wait_for(timeout=15_000)
        screenshot(page, "stack-admin-overview-zh")
        page.select_option("#lang-select", "en")
        settle(page)
        assert watch.errors == []
    finally:
        context.close()
