"""Balance, history, top-up, redemption and renewal through the HTTP API."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.support.ledger import ensure_tables, paid_request
from tests.support.metering import assert_ledger_consistent


@pytest.fixture(autouse=True)
def _tables(container):
    ensure_tables()


def _json(resp):
    return json.loads(resp.body)


def _post(client, path, body, headers):
    return client.http.post(path, body=json.dumps(body), headers={**headers, "Content-Type": "application/json"})


def _put(client, path, body, headers):
    return client.http.put(path, body=json.dumps(body), headers={**headers, "Content-Type": "application/json"})


def test_a_new_user_has_a_zero_usd_balance(client, accounts):
    user = accounts.user()
    body = _json(client.http.get("/api/balance", headers=user.headers))
    assert body["available"] == "0.000000" and body["held"] == "0.000000" and body["currency"] == "USD"
    assert body["by_provider"] == []


def test_admin_top_up_credits_the_balance_with_one_entry(client, accounts):
    admin, user = accounts.admin(), accounts.user()
    resp = _post(client, f"/api/admin/users/{user.user_id}/topup", {"amount": "12.5", "note": "invoice 7"},
                 admin.headers)
    assert resp.status_code == 200, resp.body
    assert _json(resp)["available"] == "12.500000"
    hist = _json(client.http.get("/api/balance/history", headers=user.headers))
    assert [(i["type"], i["amount"], i["balance_after"], i["note"]) for i in hist["items"]] == [
        ("topup", "12.500000", "12.500000", "invoice 7")]
    assert_ledger_consistent(user.user_id)


def test_a_bad_top_up_amount_is_a_400_and_writes_nothing(client, accounts):
    admin, user = accounts.admin(), accounts.user()
    for amount in ("0", "-1", "100000.01", "1.0000001", "abc", None, "NaN", "Infinity"):
        resp = _post(client, f"/api/admin/users/{user.user_id}/topup", {"amount": amount}, admin.headers)
        assert resp.status_code == 400, (amount, resp.body)
    assert _json(client.http.get("/api/balance/history", headers=user.headers))["items"] == []


def test_top_up_of_an_unknown_user_is_404_and_users_cannot_top_up(client, accounts):
    admin, user = accounts.admin(), accounts.user()
    assert _post(client, "/api/admin/users/nobody/topup", {"amount": "1"}, admin.headers).status_code == 404
    assert _post(client, f"/api/admin/users/{user.user_id}/topup", {"amount": "1"}, user.headers).status_code == 403


def test_balance_shows_spend_by_provider_from_the_rollups(client, accounts, container):
    admin, user = accounts.admin(), accounts.user()
    _post(client, f"/api/admin/users/{user.user_id}/topup", {"amount": "1"}, admin.headers)
    paid_request(container, user.user_id, provider="openai-east")  # 100 x $1/M + 200 x $2/M = $0.0005
    paid_request(container, user.user_id, provider="openai-east")
    paid_request(container, user.user_id, provider="anthropic", model="claude-test")
    body = _json(client.http.get("/api/balance", headers=user.headers))
    assert body["by_provider"] == [{"provider": "anthropic", "spent": "0.000500"},
                                   {"provider": "openai-east", "spent": "0.001000"}]
    assert body["available"] == "0.998500"


def test_history_pages_newest_first_with_a_running_balance_after(client, accounts, container, clock):
    admin, user = accounts.admin(), accounts.user()
    for amount in ("1", "2", "3", "4", "5"):
        clock.advance(seconds=1)
        _post(client, f"/api/admin/users/{user.user_id}/topup", {"amount": amount}, admin.headers)
    clock.advance(seconds=1)
    paid_request(container, user.user_id)
    seen, cursor = [], None
    for _ in range(10):
        url = "/api/balance/history?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = _json(client.http.get(url, headers=user.headers))
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [i["amount"] for i in seen] == ["-0.000500", "5.000000", "4.000000", "3.000000", "2.000000",
                                           "1.000000"]
    assert [i["balance_after"] for i in seen] == ["14.999500", "15.000000", "10.000000", "6.000000",
                                                  "3.000000", "1.000000"]
    # a new entry after page one does not shift the figures of the pages that follow
    first = _json(client.http.get("/api/balance/history?limit=2", headers=user.headers))
    _post(client, f"/api/admin/users/{user.user_id}/topup", {"amount": "100"}, admin.headers)
    second = _json(client.http.get(f"/api/balance/history?limit=2&cursor={first['next_cursor']}",
                                   headers=user.headers))
    assert [i["balance_after"] for i in second["items"]] == ["10.000000", "6.000000"]


def test_a_forged_or_foreign_history_cursor_is_a_400(client, accounts, admin_topup):
    a, b = accounts.user(), accounts.user()
    for _ in range(3):
        admin_topup(a, "1")
    cursor = _json(client.http.get("/api/balance/history?limit=1", headers=a.headers))["next_cursor"]
    assert client.http.get(f"/api/balance/history?cursor={cursor}", headers=b.headers).status_code == 400
    assert client.http.get(f"/api/balance/history?cursor={cursor[:-2]}xx", headers=a.headers).status_code == 400
    assert client.http.get("/api/balance/history?cursor=garbage", headers=a.headers).status_code == 400


@pytest.fixture
def admin_topup(client, accounts):
    admin = accounts.admin()

    def topup(user, amount):
        resp = _post(client, f"/api/admin/users/{user.user_id}/topup", {"amount": amount}, admin.headers)
        assert resp.status_code == 200, resp.body

    return topup


def test_a_plan_renewal_debits_the_price_and_extends_from_the_later_of_now_and_expiry(client, accounts,
                                                                                        admin_topup):
    admin, user = accounts.admin(), accounts.user()
    plan = _json(_post(client, "/api/admin/plans", {"name": "Pro", "price": "10", "period": "month"},
                       admin.headers))
    assert plan["price"] == "10.000000"
    admin_topup(user, "25")
    first = _json(_post(client, "/api/balance/renew", {"plan": "pro"}, user.headers))
    assert first["available"] == "15.000000"
    expires = first["membership"]["expires_at"]
    second = _json(_post(client, "/api/balance/renew", {"plan": plan["plan_id"]}, user.headers))
    assert second["available"] == "5.000000"
    assert second["membership"]["expires_at"] > expires  # stacked on the current expiry, not on now
    me = _json(client.http.get("/api/me", headers=user.headers))
    assert me["membership"]["plan"] == "Pro" and me["membership"]["expires_at"] == second["membership"]["expires_at"]
    assert_ledger_consistent(user.user_id)


def test_renewal_short_of_money_is_402_and_writes_nothing(client, accounts, admin_topup, container):
    admin, user = accounts.admin(), accounts.user()
    _post(client, "/api/admin/plans", {"name": "Pro", "price": "10", "period": "year"}, admin.headers)
    admin_topup(user, "9.999999")
    resp = _post(client, "/api/balance/renew", {"plan": "Pro"}, user.headers)
    assert resp.status_code == 402 and _json(resp)["error"]["code"] == "insufficient_balance"
    assert _json(client.http.get("/api/me", headers=user.headers))["membership"]["expires_at"] is None
    assert [i["type"] for i in _json(client.http.get("/api/balance/history", headers=user.headers))["items"]] == [
        "topup"]
    assert _post(client, "/api/balance/renew", {"plan": "Gold"}, user.headers).status_code == 404


def test_auto_renew_is_switched_by_the_user(client, accounts):
    user = accounts.user()
    resp = _put(client, "/api/membership/auto-renew", {"enabled": True}, user.headers)
    assert resp.status_code == 200 and _json(resp)["auto_renew"] is True
    assert _json(client.http.get("/api/me", headers=user.headers))["membership"]["auto_renew"] is True
    assert _put(client, "/api/membership/auto-renew", {"enabled": "yes"}, user.headers).status_code == 400


def test_plans_are_admin_only_and_names_unique(client, accounts):
    admin, user = accounts.admin(), accounts.user()
    assert _post(client, "/api/admin/plans", {"name": "Pro", "price": "1", "period": "week"}, admin.headers
                 ).status_code == 201
    assert _post(client, "/api/admin/plans", {"name": "PRO", "price": "1", "period": "week"}, admin.headers
                 ).status_code == 409
    assert _post(client, "/api/admin/plans", {"name": "Trial", "price": "1", "period": "days"}, admin.headers
                 ).status_code == 400
    assert _post(client, "/api/admin/plans", {"name": "Trial", "price": "1", "period": "days", "days": 3},
                 admin.headers).status_code == 201
    assert client.http.get("/api/admin/plans", headers=user.headers).status_code == 403
    names = [p["name"] for p in _json(client.http.get("/api/admin/plans", headers=admin.headers))["items"]]
    assert sorted(names) == ["Pro", "Trial"]


def test_codes_are_shown_once_stored_hashed_and_redeemed_once(client, accounts, container):
    admin, user, other = accounts.admin(), accounts.user(), accounts.user()
    resp = _post(client, "/api/admin/codes", {"count": 3, "amount": "5", "note": "promo"}, admin.headers)
    assert resp.status_code == 201, resp.body
    batch = _json(resp)
    codes = [c["code"] for c in batch["codes"]]
    assert len(set(codes)) == 3
    listing = client.http.get("/api/admin/codes", headers=admin.headers).body.decode()
    detail = client.http.get(f"/api/admin/codes/{batch['batch_id']}", headers=admin.headers).body.decode()
    assert not any(c in listing or c in detail for c in codes)
    ok = _post(client, "/api/balance/redeem", {"code": codes[0].lower().replace("-", " ")}, user.headers)
    assert ok.status_code == 200 and _json(ok)["amount"] == "5.000000" and _json(ok)["available"] == "5.000000"
    again = _post(client, "/api/balance/redeem", {"code": codes[0]}, other.headers)
    unknown = _post(client, "/api/balance/redeem", {"code": "KL-AAAA-BBBB-CCCC-DDDD"}, other.headers)
    assert again.status_code == unknown.status_code == 400
    assert _json(again)["error"] == _json(unknown)["error"]  # nothing tells a used code from an unknown one
    states = {c["code_id"]: c for c in _json(client.http.get(f"/api/admin/codes/{batch['batch_id']}",
                                                             headers=admin.headers))["codes"]}
    assert states[batch["codes"][0]["code_id"]]["redeemed_by"] == user.user_id
    assert_ledger_consistent(user.user_id)


def test_an_expired_code_is_refused(client, accounts, clock):
    admin, user = accounts.admin(), accounts.user()
    batch = _json(_post(client, "/api/admin/codes", {"count": 1, "amount": "5", "expires_at": "2026-11-22T00:00:00Z"},
                        admin.headers))
    clock.set(clock.now().replace(day=23))
    user = accounts.login(user)
    resp = _post(client, "/api/balance/redeem", {"code": batch["codes"][0]["code"]}, user.headers)
    assert resp.status_code == 400 and _json(resp)["error"]["code"] == "invalid_code"
    assert _json(client.http.get("/api/balance", headers=user.headers))["available"] == "0.000000"


def test_a_code_batch_needs_sane_input(client, accounts):
    admin = accounts.admin()
    for body in ({"count": 0, "amount": "1"}, {"count": 501, "amount": "1"}, {"count": 1, "amount": "-1"},
                 {"count": 1, "amount": "1", "expires_at": "2020-01-01T00:00:00Z"}, {"count": 1}):
        assert _post(client, "/api/admin/codes", body, admin.headers).status_code == 400, body


def test_amounts_are_exact_decimal_strings(client, accounts, admin_topup):
    user = accounts.user()
    admin_topup(user, "0.1")
    admin_topup(user, "0.2")
    assert Decimal(_json(client.http.get("/api/balance", headers=user.headers))["available"]) == Decimal("0.3")
