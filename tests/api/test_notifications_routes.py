"""Notifications a user reads (quota warnings, low balance, membership), their settings, and the
jobs that write them, through the HTTP API and the scheduled functions."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from chalicelib.kernel.clock import parse_iso
from chalicelib.ledger import store as ledger
from chalicelib.notifications.quota_warnings import QuotaWatch

from tests.support.ledger import ensure_tables, paid_request


@pytest.fixture(autouse=True)
def _tables(container):
    ensure_tables()


def run(client, name):
    event = client.events.generate_cw_event("aws.events", "Scheduled Event", {},
                                            [f"arn:aws:events:us-east-1:123456789012:rule/{name}"])
    return client.lambda_.invoke(name, event).payload


def _json(resp):
    return json.loads(resp.body)


def _send(client, method, path, body, headers):
    return getattr(client.http, method)(path, body=json.dumps(body),
                                        headers={**headers, "Content-Type": "application/json"})


def notices(client, user):
    resp = client.http.get("/api/notifications", headers=user.headers)
    assert resp.status_code == 200, resp.body
    return _json(resp)


def test_a_crossed_warn_fraction_becomes_one_unread_notification_the_user_can_mark_read(client, container,
                                                                                        accounts):
    user, other = accounts.user(), accounts.user()
    container.quota_watches = lambda: [QuotaWatch("q1", user.user_id, "month", Decimal("0.001"), None,
                                                  (Decimal("0.5"),))]
    container.metering.credit(user.user_id, Decimal("1"), "topup", "t")
    assert notices(client, user) == {"items": [], "unread": 0}
    paid_request(container, user.user_id)  # 50 % of the cost limit
    assert run(client, "warn_quotas") == {"warned": 1}
    assert run(client, "warn_quotas") == {"warned": 0}
    body = notices(client, user)
    assert body["unread"] == 1 and len(body["items"]) == 1
    item = body["items"][0]
    assert item["kind"] == "quota_warning" and item["read"] is False and "50%" in item["message"]
    assert item["detail"]["threshold"] == "0.5" and item["detail"]["quota_id"] == "q1"
    note_id = item["notification_id"]
    assert client.http.post(f"/api/notifications/{note_id}/read", headers=other.headers).status_code == 404
    resp = client.http.post(f"/api/notifications/{note_id}/read", headers=user.headers)
    assert resp.status_code == 204 and resp.body in (b"", "")
    assert notices(client, user)["unread"] == 0 and notices(client, user)["items"][0]["read"] is True
    assert client.http.post("/api/notifications/nope/read", headers=user.headers).status_code == 404
    assert notices(client, other)["items"] == []


def test_notifications_need_a_signed_in_user(client):
    assert client.http.get("/api/notifications").status_code == 401
    assert client.http.post("/api/notifications/x/read").status_code == 401


def test_the_low_balance_threshold_is_the_users_own_and_notifies_once_until_topped_up_again(client, container,
                                                                                          accounts):
    admin, user = accounts.admin(), accounts.user()
    resp = client.http.get("/api/notifications/settings", headers=user.headers)
    assert _json(resp) == {"low_balance_threshold": None}
    for bad in ("-1", 5, "abc"):
        assert _send(client, "put", "/api/notifications/settings", {"low_balance_threshold": bad},
                     user.headers).status_code == 400, bad
    resp = _send(client, "put", "/api/notifications/settings", {"low_balance_threshold": "5"}, user.headers)
    assert resp.status_code == 200 and _json(resp) == {"low_balance_threshold": "5.000000"}
    container.metering.credit(user.user_id, Decimal("2"), "topup", "t")  # 2 < 5
    assert run(client, "warn_low_balances") == {"notified": 1}
    assert run(client, "warn_low_balances") == {"notified": 0}
    items = notices(client, user)["items"]
    assert [i["kind"] for i in items] == ["low_balance"]
    assert items[0]["detail"] == {"available": "2.000000", "threshold": "5.000000", "at": items[0]["detail"]["at"]}
    _send(client, "post", f"/api/admin/users/{user.user_id}/topup", {"amount": "10"}, admin.headers)
    assert run(client, "warn_low_balances") == {"notified": 0}  # back above: armed again
    container.metering.debit(user.user_id, Decimal("9"), "adjustment", "t")
    assert run(client, "warn_low_balances") == {"notified": 1}
    assert _send(client, "put", "/api/notifications/settings", {"low_balance_threshold": None},
                 user.headers).status_code == 200
    assert run(client, "warn_low_balances") == {"notified": 0}


def test_renewal_by_the_job_and_a_failed_renewal_are_notified_once(client, container, clock, accounts):
    """Ordering of notices: ULIDs of the FixedClock, which moves between the two jobs."""
    admin, rich, poor = accounts.admin(), accounts.user(), accounts.user()
    assert _send(client, "post", "/api/admin/plans", {"name": "Pro", "price": "10", "period": "month"},
                 admin.headers).status_code == 201
    for user, money in ((rich, "25"), (poor, "10")):
        container.metering.credit(user.user_id, Decimal(money), "topup", "t")
        assert _send(client, "post", "/api/balance/renew", {"plan": "Pro"}, user.headers).status_code == 200
        assert _send(client, "put", "/api/membership/auto-renew", {"enabled": True}, user.headers).status_code == 200
    expiry = ledger.get_balance(rich.user_id).expires_at
    clock.set(parse_iso(expiry) - timedelta(days=2))
    assert run(client, "notify_expiring_memberships") == {"notified": 2}
    assert run(client, "notify_expiring_memberships") == {"notified": 0}
    clock.set(parse_iso(expiry) - timedelta(minutes=30))
    assert run(client, "renew_memberships")["renewed"] == 1
    run(client, "renew_memberships")
    rich, poor = accounts.login(rich), accounts.login(poor)  # a month on: new sessions
    assert [i["kind"] for i in notices(client, rich)["items"]] == ["membership_renewed", "membership_expiring"]
    assert [i["kind"] for i in notices(client, poor)["items"]] == ["membership_renewal_failed",
                                                                  "membership_expiring"]
    failed = notices(client, poor)["items"][0]
    assert failed["detail"]["reason"] == "insufficient_balance"
