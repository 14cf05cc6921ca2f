"""A canned KeyLedger API for the portal's browser tests, answered through Playwright's page.route.

The data follows ../shared/API.md and carries hostile strings: the portal must show them as
text, never run them as markup.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

HOSTILE = '<img src=x onerror="window.__pwned=1">'

ME = {
    "user_id": "01JUSER",
    "username": "alice",
    "email": "alice@example.test",
    "role": "superadmin",
    "status": "active",
    "membership": {"plan": "pro", "expires_at": "2026-12-21T00:00:00Z", "auto_renew": True},
    "created_at": "2026-11-01T08:00:00Z",
}
QUOTA = {
    "quota_id": "q1",
    "group": "default",
    "period": "month",
    "limit_cost": "20.000000",
    "limit_tokens": 2_000_000,
    "rpm": 60,
    "used_cost": "14.250000",
    "used_tokens": 1_720_000,
    "period_start": "2026-11-01T00:00:00Z",
    "period_end": "2026-12-01T00:00:00Z",
    "key": {"key_id": "k1", "prefix": "sk-kl-3f9a", "status": "active", "created_at": "2026-11-01T08:01:00Z",
            "last_used_at": "2026-11-21T09:58:00Z"},
}


def _days() -> list[dict[str, Any]]:
    out = []
    for day in range(1, 22):
        n = (day * 37) % 11 + 1
        out.append({"key": f"2026-11-{day:02d}", "requests": n * 12, "input_tokens": n * 21000,
                    "output_tokens": n * 9000, "cost": f"{n * 0.0713:.6f}"})
    return out


REQUESTS = [
    {"request_id": f"req_{i}", "model": "gpt-4o-mini" if i % 3 else HOSTILE, "provider": "openai",
     "input_tokens": 1200 + i, "output_tokens": 300 + i, "cost": "0.000420",
     "status": 200 if i % 5 else 502, "outcome": "ok" if i % 5 else "upstream_error",
     "latency_ms": 640 + i * 3, "ip": "203.0.113.7", "endpoint": "messages" if i % 4 == 1 else "chat",
     "created_at": f"2026-11-21T09:{i:02d}:00Z"}
    for i in range(25)
]


def answer(method: str, url: str) -> tuple[int, Any]:
    """(status, JSON body) for one API call."""
    path = urlsplit(url).path
    query = parse_qs(urlsplit(url).query)
    if method == "POST":
        return _post(path)
    if path == "/v1/models":
        return 200, {"object": "list",
                     "data": [{"id": "gpt-4o-mini", "object": "model", "owned_by": "openai"}]}
    if path == "/api/me":
        return 200, ME
    if path == "/api/balance":
        return 200, {"available": "85.750000", "held": "0.120000", "currency": "USD",
                     "by_provider": [{"provider": "openai", "spent": "12.500000"},
                                     {"provider": HOSTILE, "spent": "1.750000"}]}
    if path == "/api/quotas":
        return 200, {"items": [QUOTA, {**QUOTA, "quota_id": "q2", "group": "embeddings", "period": "day",
                                       "limit_cost": None, "used_cost": "0.310000", "limit_tokens": None,
                                       "used_tokens": 5000, "rpm": 0,
                                       "key": {**QUOTA["key"], "prefix": "sk-kl-77c1"}}]}
    if path == "/api/usage/statistics":
        if query.get("group_by") == ["model"]:
            items = [{"key": "gpt-4o-mini", "requests": 900, "input_tokens": 1_500_000, "output_tokens": 420_000,
                      "cost": "9.120000"},
                     {"key": "claude-3-5-haiku", "requests": 200, "input_tokens": 300_000, "output_tokens": 90_000,
                      "cost": "3.400000"},
                     {"key": HOSTILE, "requests": 5, "input_tokens": 1000, "output_tokens": 100, "cost": "0.010000"}]
        elif query.get("group_by") == ["endpoint"]:
            items = [{"key": "chat", "requests": 1000, "input_tokens": 1_700_000, "output_tokens": 480_000,
                      "cost": "11.000000"},
                     {"key": "messages", "requests": 100, "input_tokens": 100_000, "output_tokens": 30_000,
                      "cost": "1.520000"},
                     {"key": HOSTILE, "requests": 5, "input_tokens": 1000, "output_tokens": 100, "cost": "0.010000"}]
        else:
            items = _days()
        return 200, {"items": items, "totals": {"requests": 1105, "input_tokens": 1_801_000, "output_tokens": 510_100,
                                                "cost": "12.530000"}}
    if path == "/api/usage/history":
        return 200, {"items": REQUESTS, "next_cursor": "c2"}
    if path == "/api/my/providers":  # the dashboard lists the user's own providers' balances
        return 200, {"items": []}
    if path == "/api/balance/history":
        return 200, {"items": [
            {"entry_id": "e1", "type": "charge", "amount": "-0.000420", "balance_after": "85.750000",
             "ref": "req_1", "created_at": "2026-11-21T09:58:00Z"},
            {"entry_id": "e2", "type": "topup", "amount": "50.000000", "balance_after": "85.750420",
             "ref": HOSTILE, "created_at": "2026-11-20T12:00:00Z"},
            {"entry_id": "e3", "type": "signup_credit", "amount": "1.000000", "balance_after": "35.750420",
             "ref": None, "created_at": "2026-11-01T08:01:00Z"},
        ], "next_cursor": None}
    if path == "/api/security/login-history":
        return 200, {"items": [{"at": "2026-11-21T09:00:00Z", "ip": "203.0.113.7", "user_agent": HOSTILE,
                                "success": True, "reason": None},
                               {"at": "2026-11-20T22:10:00Z", "ip": "198.51.100.4", "user_agent": "curl/8.5",
                                "success": False, "reason": "bad_totp"}]}
    if path == "/api/security/ip-records":
        return 200, {"items": [{"ip": "203.0.113.7", "first_seen": "2026-11-01T08:00:00Z",
                                "last_seen": "2026-11-21T09:00:00Z", "count": 42}]}
    if path == "/api/logs":
        return 200, {"items": [
            {"log_id": "l1", "type": "auth", "action": "login", "ip": "203.0.113.7", "detail": {"ua": HOSTILE},
             "created_at": "2026-11-21T09:00:00Z"},
            {"log_id": "l2", "type": "keys", "action": "reset_key", "ip": "203.0.113.7",
             "detail": {"quota_id": "q1", "prefix": "sk-kl-3f9a", "note": "x" * 80},
             "created_at": "2026-11-20T09:00:00Z"},
        ], "next_cursor": None}
    if path == "/api/notifications":
        return 200, {"items": [
            {"notification_id": "n1", "kind": "quota_warning", "message": HOSTILE, "detail": {"threshold": "0.8"},
             "created_at": "2026-11-21T09:00:00Z", "read": False},
            {"notification_id": "n2", "kind": "low_balance", "message": "Your available balance is 1.00 USD.",
             "detail": {}, "created_at": "2026-11-20T09:00:00Z", "read": True}], "unread": 1}
    if path == "/api/notifications/settings":
        return 200, {"low_balance_threshold": "5.000000"}
    if path == "/api/plans":
        return 200, {"items": [{"plan": "Pro", "plan_id": "pro", "price": "9.900000", "period": "month", "days": None,
                                "description": HOSTILE},
                               {"plan": HOSTILE, "plan_id": "p2", "price": "1.000000", "period": "days", "days": 7,
                                "description": ""}]}
    if path == "/api/admin/users":
        return 200, {"items": [{**ME, "user_id": "u1"},
                               {**ME, "user_id": "u2", "username": HOSTILE, "role": "user", "status": "disabled",
                                "email": "b@example.test"}],
                     "next_cursor": None}
    if path == "/api/admin/providers":
        health = {"healthy": True, "last_test_ok": True, "last_test_at": "2026-11-21T09:30:00Z",
                  "last_test_detail": "3 models", "last_latency_ms": 212, "last_error": None, "last_error_at": None,
                  "consecutive_failures": 0, "unhealthy_until": None}
        return 200, {"items": [{"provider_id": "p1", "name": "openai", "type": "openai",
                                "base_url": "https://api.openai.com/v1", "api_key_hint": "sk-…x9Qa", "health": health},
                               {"provider_id": "p2", "name": "local-demo", "type": "openai",
                                "base_url": "http://127.0.0.1:8100/v1",
                                "api_key_hint": "", "health": {**health, "healthy": False, "last_test_ok": False,
                                                               "last_error": HOSTILE}}]}
    if path == "/api/admin/models":
        return 200, {"items": [{"model_id": "m1", "name": "gpt-4o-mini", "provider": "p1",
                                "upstream_model": "gpt-4o-mini", "input_price": "0.150000", "output_price": "0.600000",
                                "capabilities": ["chat"], "enabled": True},
                               {"model_id": "m2", "name": "text-embedding-3-small", "provider": "p1",
                                "upstream_model": "text-embedding-3-small", "input_price": "0.020000",
                                "output_price": "0.000000", "capabilities": ["embeddings"], "enabled": False}]}
    if path == "/api/admin/groups":
        return 200, {"items": [{"group_id": "g1", "name": "default", "models": ["gpt-4o-mini"],
                                "default_quota": {"period": "month", "limit_cost": "20.000000", "rpm": 60}}]}
    if path == "/api/admin/quotas":
        return 200, {"items": [{**QUOTA, "user_id": "u1", "group_id": "g1", "warn_at": ["0.8"], "auto_renew": True}],
                     "next_cursor": None}
    if path == "/api/admin/plans":
        return 200, {"items": [{"plan_id": "pro", "name": "Pro", "price": "9.900000", "period": "month", "days": None,
                                "enabled": True, "created_at": "2026-11-01T00:00:00Z"},
                               {"plan_id": "p2", "name": HOSTILE, "price": "1.000000", "period": "days", "days": 7,
                                "enabled": True, "created_at": "2026-11-01T00:00:00Z"}]}
    if path == "/api/admin/codes":
        return 200, {"items": [{"batch_id": "b1", "count": 10, "amount": "5.000000", "expires_at": None,
                                "note": HOSTILE, "created_by": "u1", "created_at": "2026-11-20T10:00:00Z"}],
                     "next_cursor": None}
    return 404, {"error": {"code": "not_found", "message": f"No route {method} {path}"}}


QR_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 21 21"><rect width="21" height="21" fill="#fff"/>'
    '<path d="M1 1h7v7H1zM13 1h7v7h-7zM1 13h7v7H1zM10 10h2v2h-2z"/></svg>'
)
RECOVERY = [f"rc{i:02d}-abcd-efgh" for i in range(10)]
NEW_KEY = "sk-kl-" + "N" * 43
CSV = "request_id,model,cost\r\nreq_1,gpt-4o-mini,0.000420\r\n"


SENT: list[tuple[str, str, Any]] = []  # (method, path, JSON body) of every write, for assertions


def _post(path: str) -> tuple[int, Any]:
    if path == "/api/register":
        return 201, {"user_id": "u9", "status": "pending_totp", "totp": {
            "secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
            "provisioning_uri": "otpauth://totp/KeyLedger:bob?secret=JBSWY3DPEHPK3PXP",
            "qr_svg": QR_SVG}}
    if path == "/api/register/verify":
        # The keys area answers the first key as an object (the on_user_activated hook).
        return 200, {"status": "active", "recovery_codes": RECOVERY,
                     "api_key": {"key_id": "k1", "key": "sk-kl-" + "F" * 43, "prefix": "sk-kl-FFFF", "quota_id": "q1"}}
    if path == "/api/token/refresh":
        return 200, {"access_token": "acc", "refresh_token": "ref2", "token_type": "bearer", "expires_in": 900}
    if path == "/api/login":
        return 200, {"access_token": "acc", "refresh_token": "ref", "token_type": "bearer", "expires_in": 900}
    if path == "/api/quotas/q1/reset-key":
        return 200, {"key_id": "k2", "key": NEW_KEY, "prefix": "sk-kl-NNNN"}
    if path == "/api/logout":
        return 204, None
    if path == "/api/admin/providers":
        return 201, {"provider_id": "p3"}
    return 404, {"error": {"code": "not_found", "message": f"No route POST {path}"}}


def install(page: Any, api_base: str) -> None:
    """Answers every request to api_base from answer()."""

    def handle(route: Any) -> None:
        request = route.request
        if request.method in ("POST", "PUT", "DELETE"):
            SENT.append((request.method, urlsplit(request.url).path,
                         request.post_data_json if request.post_data else None))
        if urlsplit(request.url).path == "/api/usage/export.csv":
            authorized = request.headers.get("authorization") == "Bearer acc"
            route.fulfill(status=200 if authorized else 401, content_type="text/csv", body=CSV if authorized else "",
                          headers={"Access-Control-Allow-Origin": "*"})
            return
        status, body = answer(request.method, request.url)
        route.fulfill(status=status, content_type="application/json", body="" if body is None else json.dumps(body),
                      headers={"Access-Control-Allow-Origin": "*"})

    page.route(f"{api_base}/**", handle)
