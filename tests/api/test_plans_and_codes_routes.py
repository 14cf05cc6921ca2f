"""Membership plans users can list and admins edit or disable; code batches admins revoke."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.support.ledger import ensure_tables


@pytest.fixture(autouse=True)
def _tables(container):
    ensure_tables()


def _json(resp):
    return json.loads(resp.body)


def _send(client, method, path, body, headers):
    return getattr(client.http, method)(path, body=json.dumps(body),
                                        headers={**headers, "Content-Type": "application/json"})


def test_users_list_enabled_plans_with_prices_and_admins_edit_and_disable_them(client, container, accounts):
    admin, user = accounts.admin(), accounts.user()
    pro = _json(_send(client, "post", "/api/admin/plans",
                      {"name": "Pro", "price": "10", "period": "month", "description": "For teams"}, admin.headers))
    _send(client, "post", "/api/admin/plans", {"name": "Day", "price": "1", "period": "days", "days": 1},
          admin.headers)
    body = _json(client.http.get("/api/plans", headers=user.headers))
    assert [(p["plan"], p["price"], p["period"], p["days"], p["description"]) for p in body["items"]] == [
        ("Day", "1.000000", "days", 1, ""), ("Pro", "10.000000", "month", None, "For teams")]
    resp = _send(client, "put", f"/api/admin/plans/{pro['plan_id']}", {"price": "12.5", "name": "Pro Plus"},
                 admin.headers)
    assert resp.status_code == 200, resp.body
    assert (_json(resp)["name"], _json(resp)["price"], _json(resp)["period"]) == ("Pro Plus", "12.500000", "month")
    assert _send(client, "put", f"/api/admin/plans/{pro['plan_id']}", {"enabled": False},
                 admin.headers).status_code == 200
    assert [p["plan"] for p in _json(client.http.get("/api/plans", headers=user.headers))["items"]] == ["Day"]
    container.metering.credit(user.user_id, Decimal("20"), "topup", "t")
    assert _send(client, "post", "/api/balance/renew", {"plan": "Pro Plus"}, user.headers).status_code == 409
    assert _send(client, "put", f"/api/admin/plans/{pro['plan_id']}", {"enabled": False},
                 user.headers).status_code == 403


def test_an_invalid_plan_edit_is_a_400_and_an_unknown_plan_a_404(client, accounts):
    admin = accounts.admin()
    pro = _json(_send(client, "post", "/api/admin/plans", {"name": "Pro", "price": "10", "period": "month"},
                      admin.headers))
    _send(client, "post", "/api/admin/plans", {"name": "Lite", "price": "1", "period": "week"}, admin.headers)
    path = f"/api/admin/plans/{pro['plan_id']}"
    assert _send(client, "put", path, {"period": "days"}, admin.headers).status_code == 400  # days missing
    assert _send(client, "put", path, {"price": "-1"}, admin.headers).status_code == 400
    assert _send(client, "put", path, {"bogus": 1}, admin.headers).status_code == 400
    assert _send(client, "put", path, {"name": "lite"}, admin.headers).status_code == 409
    assert _send(client, "put", "/api/admin/plans/nope", {"price": "1"}, admin.headers).status_code == 404
    resp = _send(client, "put", path, {"period": "days", "days": 30}, admin.headers)
    assert resp.status_code == 200 and _json(resp)["days"] == 30


def test_a_revoked_batch_stops_its_unused_codes_and_keeps_the_redeemed(client, accounts):
    admin, user = accounts.admin(), accounts.user()
    batch = _json(_send(client, "post", "/api/admin/codes", {"count": 2, "amount": "3"}, admin.headers))
    first, second = (c["code"] for c in batch["codes"])
    assert _send(client, "post", "/api/balance/redeem", {"code": first}, user.headers).status_code == 200
    path = f"/api/admin/codes/{batch['batch_id']}/revoke"
    assert client.http.post(path, headers=user.headers).status_code == 403
    resp = client.http.post(path, headers=admin.headers)
    assert resp.status_code == 200 and _json(resp)["revoked"] == 1
    assert _json(client.http.post(path, headers=admin.headers))["revoked"] == 0
    assert _send(client, "post", "/api/balance/redeem", {"code": second}, user.headers).status_code == 400
    states = _json(client.http.get(f"/api/admin/codes/{batch['batch_id']}", headers=admin.headers))
    assert sorted(c["status"] for c in states["codes"]) == ["redeemed", "revoked"]
    assert states["revoked_at"] is not None
    assert client.http.post("/api/admin/codes/nope/revoke", headers=admin.headers).status_code == 404
