"""The scheduled jobs on the local stack (`make run`), on a short LOCAL_JOB_INTERVAL_SECONDS:
a crossed quota warn fraction, a low balance and a renewal by the job each become a notification
the user reads through the API and in the portal (Chromium), and /docs.html renders the API
reference. Each run's outcome is in the stack's log."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import requests

from tests.e2e.portal_browser import ConsoleWatch, TotpCodes, chromium, chromium_available, log_in_to, screenshot
from tests.e2e.sessions import Session, admin_session, new_user_session

pytestmark = pytest.mark.e2e
INTERVAL = 3.0  # seconds between job runs on this stack
SLACK = 10.0  # a job run itself (moto, two shared cores), beyond the two intervals


def _get(api: str, path: str, who: Session) -> Any:
    r = requests.get(f"{api}{path}", headers=who.headers, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def _send(api: str, method: str, path: str, who: Session, body: dict[str, Any]) -> Any:
    r = requests.request(method, f"{api}{path}", headers=who.headers, json=body, timeout=30)
    assert r.status_code in (200, 201), r.text
    return r.json()


def _wait_for(api: str, user: Session, kind: str, since: float) -> tuple[dict[str, Any], float]:
    """The first notification of `kind`, and how long after `since` it was seen."""
    deadline = since + 2 * INTERVAL + SLACK
    while True:
        items = _get(api, "/api/notifications", user)["items"]
        found = [i for i in items if i["kind"] == kind]
        if found:
            return found[0], time.monotonic() - since
        assert time.monotonic() < deadline, f"no {kind} notification within {deadline - since:.0f}s: {items}"
        time.sleep(0.25)


def test_jobs_turn_a_warn_fraction_a_low_balance_and_a_renewal_into_notifications(make_local_stack: Callable[..., Any]
                                                                                  ) -> None:
    stack = make_local_stack(LOCAL_JOB_INTERVAL_SECONDS=str(INTERVAL),
                             MEMBERSHIP_RENEWAL_LEAD_SECONDS=str(36 * 3600))  # a 1-day plan is due at once
    stack.start()
    api = stack.api_url
    admin = admin_session(api, stack.admin_credentials())
    user = new_user_session(api, prefix="jobs")
    figures: dict[str, float] = {}

    # 1. A quota crosses its warn fraction: one paid chat, then a limit it has half used.
    chat = requests.post(f"{api}/v1/chat/completions", timeout=30,
                         headers={"Authorization": f"Bearer {user.extras['api_key']['key']}"},
                         json={"model": "local-demo-chat", "messages": [{"role": "user", "content": "hi"}],
                               "max_tokens": 16})
    assert chat.status_code == 200, chat.text
    quota = _get(api, "/api/quotas", user)["items"][0]
    used = Decimal(quota["used_cost"])
    assert used > 0
    began = time.monotonic()
    _send(api, "PUT", f"/api/admin/quotas/{quota['quota_id']}", admin,
          {"limit_cost": str(used * 2), "warn_at": ["0.5"]})
    warning, figures["quota_warning_s"] = _wait_for(api, user, "quota_warning", began)
    assert warning["detail"]["quota_id"] == quota["quota_id"] and warning["detail"]["threshold"] == "0.5"

    # 2. A low balance: the sign-up credit is below the user's own threshold.
    began = time.monotonic()
    _send(api, "PUT", "/api/notifications/settings", user, {"low_balance_threshold": "100"})
    low, figures["low_balance_s"] = _wait_for(api, user, "low_balance", began)
    assert Decimal(low["detail"]["available"]) < 100

    # 3. A renewal by the job: a 1-day plan with auto-renew, due within the renewal lead.
    plan = _send(api, "POST", "/api/admin/plans", admin, {"name": "Daily", "price": "0.01", "period": "days",
                                                            "days": 1})
    assert any(p["plan_id"] == plan["plan_id"] for p in _get(api, "/api/plans", user)["items"])
    first = _send(api, "POST", "/api/balance/renew", user, {"plan": plan["plan_id"]})["membership"]["expires_at"]
    began = time.monotonic()
    _send(api, "PUT", "/api/membership/auto-renew", user, {"enabled": True})
    renewed, figures["renewal_s"] = _wait_for(api, user, "membership_renewed", began)
    assert renewed["detail"]["expires_at"] > first
    assert _get(api, "/api/me", user)["membership"]["expires_at"] == renewed["detail"]["expires_at"]
    renewals = [e for e in _get(api, "/api/balance/history", user)["items"] if e["type"] == "renewal"]
    assert len(renewals) == 2  # the user's and the job's, once

    # Each appears once however many runs passed, and the runs are in the stack's log.
    time.sleep(2 * INTERVAL)  # two more runs of every job: nothing new may appear
    kinds = [i["kind"] for i in _get(api, "/api/notifications", user)["items"]]
    for kind in ("quota_warning", "low_balance", "membership_renewed"):
        assert kinds.count(kind) == 1, kinds
    log = stack.log(tail=None)
    for job in ("warn_quotas", "warn_low_balances", "renew_memberships", "release-expired-holds"):
        assert f"job {job}: " in log, job
    print(f"\nnotification latency (s, interval {INTERVAL:.0f} s):", {k: round(v, 1) for k, v in figures.items()})

    if chromium_available():
        _portal_shows_the_badge_the_list_and_the_api_reference(stack, user)


def _portal_shows_the_badge_the_list_and_the_api_reference(stack: Any, user: Session) -> None:
    with chromium() as browser:
        for locale in ("en-US", "zh-CN"):
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
            page = context.new_page()
            watch = ConsoleWatch().attach(page)
            try:
                if locale == "en-US":
                    # The API sign-ins may have used the next step's code already (each code
                    # works once): the portal gets one from the step after that.
                    codes = TotpCodes(user.totp_secret)
                    codes.last_step = int(time.time() // 30) + 1
                    log_in_to(page, stack.portal_url, "/notifications", user.username, user.password, codes.next())
                    badge = page.locator("#notify-badge .notify-count")
                    badge.wait_for(timeout=15_000)
                    assert int(badge.get_attribute("data-unread") or "0") >= 3
                    items = page.locator("#notification-list li.notification")
                    items.first.wait_for(timeout=15_000)
                    assert page.locator("li.notification[data-kind=quota_warning]").count() == 1
                    screenshot(page, "stack-notifications")
                page.goto(f"{stack.portal_url}/docs.html")
                page.locator("#api-reference[data-ready=true]").wait_for(state="attached", timeout=30_000)
                assert page.locator(".opblock").count() > 20  # every route of the OpenAPI document
                assert page.get_by_text("/api/notifications").count() > 0
                screenshot(page, f"stack-docs-{locale}")
                assert watch.errors == [], watch.errors
            finally:
                context.close()
