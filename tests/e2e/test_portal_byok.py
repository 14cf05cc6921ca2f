"""Issue 21 end to end: bring your own provider key, through the portal and the real local stack.

A user adds their own provider in the portal (a fake OpenAI-compatible upstream on 127.0.0.1
that also answers DeepSeek's balance endpoint and records every Authorization header), tests it
and sees its balance on the page and the dashboard. The OpenAI SDK then calls
`<own>/<model>` through the stack: the fake sees the user's own key, and the KeyLedger balance is
charged only the own-key fee (BYOK_FEE_PER_1M_TOKENS). Another user naming the same provider is
refused (404). No console error on any page; the provider key never appears in a page.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import openai
import pytest
import requests
from openai import OpenAI

from tests.e2e.portal_browser import ConsoleWatch, chromium, log_in_to, register_through_page, screenshot, settle
from tests.e2e.sessions import admin_session, new_user_session
from tests.fakes.balance_servers import documented_answer
from tests.fakes.upstream_servers import FakeUpstream

pytestmark = pytest.mark.e2e
FEE = "1000"  # USD per 1M tokens, so the fake's 11 + 7 tokens cost 0.018


class OwnUpstream(FakeUpstream):
    """The fake OpenAI server, plus DeepSeek's documented balance endpoint."""

    balance = Decimal("12.50")

    def _openai_get_user_balance(self, h: Any, body: dict[str, Any], fault: Any) -> None:
        h.send_json(200, documented_answer("deepseek", self.balance))


@pytest.fixture
def upstream() -> Iterator[OwnUpstream]:
    fake = OwnUpstream("openai").start()
    yield fake
    fake.stop()


@pytest.fixture
def stack(make_local_stack: Any) -> Any:
    s = make_local_stack(BYOK_FEE_PER_1M_TOKENS=FEE)
    s.start()
    return s


def available(api_url: str, admin: Any, username: str) -> Decimal:
    """The user's exact available balance, as the admin's user list shows it (the portal rounds)."""
    r = requests.get(f"{api_url}/api/admin/users", params={"q": username}, headers=admin.headers, timeout=30)
    assert r.status_code == 200, r.text
    (user,) = [u for u in r.json()["items"] if u["username"] == username]
    return Decimal(user["balance"]["available"])


def test_a_user_adds_their_own_key_uses_it_through_the_sdk_and_pays_only_the_fee(stack: Any, upstream: OwnUpstream):
    base = stack.portal_url
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
        page = context.new_page()
        watch = ConsoleWatch().attach(page)
        username = f"byok{uuid.uuid4().hex[:8]}"
        password = "a long enough password"
        codes = register_through_page(page, base, username, password)
        log_in_to(page, base, "/providers", username, password, codes.next())

        page.get_by_role("button", name="Add a provider key").click()
        dialog = page.locator("dialog[open]")
        dialog.get_by_label("Name").fill("mine")
        dialog.get_by_label("Base URL").fill(upstream.base_url)
        dialog.get_by_label("API key").fill(upstream.api_key)
        dialog.get_by_label("Balance source").select_option("deepseek")
        dialog.get_by_role("button", name="Save").click()
        dialog.wait_for(state="detached", timeout=15_000)
        page.get_by_role("cell", name="mine", exact=True).wait_for(timeout=15_000)
        page.locator("[data-provider=mine]", has_text="12.50 USD").wait_for(timeout=15_000)
        page.get_by_role("button", name="Test").click()
        page.locator(".result.pos").wait_for(timeout=15_000)
        assert upstream.api_key not in page.content()
        screenshot(page, "byok-providers")

        page.goto(f"{base}#/keys")
        settle(page)
        page.get_by_role("button", name="Reset key").first.click()
        page.locator("dialog[open]").get_by_role("button", name="Reset key").click()
        key = page.locator("[data-secret=once] .secret-value").first.inner_text(timeout=15_000)
        admin = admin_session(stack.api_url, stack.admin_credentials())
        before = available(stack.api_url, admin, username)

        client = OpenAI(base_url=f"{stack.api_url}/v1", api_key=key, max_retries=0, timeout=30)
        raw = client.chat.completions.with_raw_response.create(
            model="mine/gpt-fake-mini", max_tokens=32, messages=[{"role": "user", "content": "Hello, own key"}])
        reply = raw.parse()
        assert reply.choices[0].message.content == upstream.reply
        assert raw.headers["x-keyledger-cost"] == "0.018000"
        (sent,) = upstream.calls("/v1/chat/completions")
        assert sent.headers["authorization"] == f"Bearer {upstream.api_key}" and sent.body["model"] == "gpt-fake-mini"
        assert before - available(stack.api_url, admin, username) == Decimal("0.018")

        other = new_user_session(stack.api_url, prefix="byokother")
        stranger = OpenAI(base_url=f"{stack.api_url}/v1", api_key=other.extras["api_key"]["key"], max_retries=0,
                          timeout=30)
        with pytest.raises(openai.NotFoundError):
            stranger.chat.completions.create(model="mine/gpt-fake-mini", messages=[{"role": "user", "content": "x"}])
        assert len(upstream.calls("/v1/chat/completions")) == 1

        page.goto(f"{base}#/usage")
        settle(page)
        page.get_by_role("cell", name="mine (own)").first.wait_for(timeout=15_000)
        page.goto(f"{base}#/dashboard")
        settle(page)
        page.locator("#my-providers [data-provider=mine]", has_text="12.50 USD").wait_for(timeout=15_000)
        screenshot(page, "byok-dashboard")

        page.select_option("#lang-select", "zh-CN")
        page.goto(f"{base}#/providers")
        page.wait_for_function("() => document.querySelector('h1')?.textContent === '我的服务商密钥'")
        settle(page)
        screenshot(page, "byok-providers-zh")
        page.select_option("#lang-select", "en")
        settle(page)

        page.get_by_role("button", name="Delete").click()
        page.locator("dialog[open]").get_by_role("button", name="Delete").click()
        page.get_by_role("cell", name="mine", exact=True).wait_for(state="detached", timeout=15_000)
        with pytest.raises(openai.NotFoundError):
            client.chat.completions.create(model="mine/gpt-fake-mini", messages=[{"role": "user", "content": "x"}])
        assert watch.errors == []
        context.close()
    assert upstream.api_key not in stack.log(tail=None)
