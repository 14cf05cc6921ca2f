"""The scheduled functions, invoked the way EventBridge does (chalice.test lambda_.invoke
with a generated scheduled event), with the FixedClock moved by hand."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from chalicelib.kernel.clock import iso, parse_iso
from chalicelib.kernel.ids import new_id
from chalicelib.ledger import store as ledger
from chalicelib.notifications.quota_warnings import QuotaWatch
from chalicelib.notifications.webhooks import WebhookSender

from tests.support.ledger import ensure_tables, paid_request
from tests.support.metering import assert_ledger_consistent, make_key, make_route

SECRET = "webhook-secret-for-tests"


@pytest.fixture(autouse=True)
def _tables(container):
    ensure_tables()


def run(client, name):
    event = client.events.generate_cw_event("aws.events", "Scheduled Event", {},
                                            [f"arn:aws:events:us-east-1:123456789012:rule/{name}"])
    return client.lambda_.invoke(name, event).payload


def entries(user_id, type_=None):
    return [e for e in ledger.list_entries(user_id) if type_ is None or e.type == type_]


def logs(container, user_id, action):
    items, _ = container.audit.logs(user_id, limit=100)
    return [i for i in items if i.action == action]


@pytest.fixture
def member(container):
    """u1 with a paid monthly membership and auto-renew on; returns its expiry."""
    from tests.conftest import Accounts

    admin = Accounts(container, container.clock).admin()
    caller = container.tokens.authenticate(admin.access_token)
    container.membership.create_plan(caller, name="Pro", price=Decimal("10"), period="month", days=None)

    def make(balance: str) -> str:
        container.metering.credit("u1", Decimal(balance), "topup", "t")
        container.membership.renew("u1", "Pro")
        container.membership.set_auto_renew("u1", True)
        return ledger.get_balance("u1").expires_at

    return make


def test_auto_renewal_happens_on_time_from_the_expiry_and_only_once(client, container, clock, member):
    expiry = member("25")
    clock.set(parse_iso(expiry) - timedelta(minutes=30))  # the job runs a little ahead: no gap
    assert run(client, "renew_memberships") == {"renewed": 1, "lapsed": 0, "expired": 0}
    bal = ledger.get_balance("u1")
    assert bal.expires_at == iso(parse_iso(expiry).replace(month=1, year=2027))  # a month after the old expiry
    assert bal.available == 5_000_000
    assert run(client, "renew_memberships") == {"renewed": 0, "lapsed": 0, "expired": 0}
    assert len(entries("u1", "renewal")) == 2 and ledger.get_balance("u1") == bal
    assert len(logs(container, "u1", "membership_renewed")) == 2
    assert_ledger_consistent("u1")


def test_a_membership_lapses_at_expiry_when_the_balance_is_short_with_one_warning(client, container, clock, member):
    expiry = member("10")
    clock.set(parse_iso(expiry) - timedelta(minutes=30))
    assert run(client, "renew_memberships") == {"renewed": 0, "lapsed": 0, "expired": 0}  # not yet expired
    clock.set(parse_iso(expiry) + timedelta(minutes=1))
    assert run(client, "renew_memberships") == {"renewed": 0, "lapsed": 1, "expired": 0}
    assert run(client, "renew_memberships") == {"renewed": 0, "lapsed": 0, "expired": 0}
    warnings = logs(container, "u1", "membership_lapsed")
    assert len(warnings) == 1 and warnings[0].detail["reason"] == "insufficient_balance"
    assert ledger.get_balance("u1").available == 0 and len(entries("u1", "renewal")) == 1
    assert container.membership.membership_of("u1").active is False
    assert_ledger_consistent("u1")


def test_quota_warnings_fire_once_per_threshold_with_a_signed_webhook(client, container, clock):
    posts = []

    def post(url, body, headers, timeout):
        posts.append((url, body, headers))
        return 500 if len(posts) == 1 else 204  # the first attempt fails: retried

    container.webhooks = WebhookSender("https://hooks.example.test/kl", SECRET, post=post, sleep=lambda s: None)
    container.quota_watches = lambda: [QuotaWatch("q1", "u1", "month", Decimal("0.001"), None,
                                                  (Decimal("0.5"), Decimal("0.80"), Decimal("0.8")))]
    container.metering.credit("u1", Decimal("1"), "topup", "t")
    assert run(client, "warn_quotas") == {"warned": 0}
    paid_request(container, "u1")  # $0.0005 of $0.001: 50 %
    assert run(client, "warn_quotas") == {"warned": 1}
    assert run(client, "warn_quotas") == {"warned": 0}
    paid_request(container, "u1")  # 100 %: only the 0.8 threshold is new
    assert run(client, "warn_quotas") == {"warned": 1}
    assert run(client, "warn_quotas") == {"warned": 0}
    warnings = logs(container, "u1", "quota_warning")
    assert sorted(w.detail["threshold"] for w in warnings) == ["0.5", "0.8"]
    assert len(posts) == 3  # 0.5 (failed once, retried) and 0.8
    for _, body, headers in posts:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["x-keyledger-signature"], expected)
        assert json.loads(body)["type"] == "quota.warning"
    clock.set(clock.now().replace(month=12, day=1))  # a new period warns again
    paid_request(container, "u1")
    assert run(client, "warn_quotas") == {"warned": 1}


def test_expired_holds_are_released_once_by_meterings_job(client, container, clock):
    container.metering.credit("u1", Decimal("1"), "topup", "t")
    hold = container.metering.reserve(make_key("u1"), make_route(), 100, 100, new_id(clock.now()), clock.now())
    assert ledger.get_balance("u1").held == hold.amount_micros
    assert run(client, "release-expired-holds") == {"released": 0}
    clock.advance(seconds=container.settings.hold_ttl_seconds + 1)
    assert run(client, "release-expired-holds") == {"released": 1}
    assert run(client, "release-expired-holds") == {"released": 0}
    assert ledger.get_balance("u1").held == 0 and ledger.get_balance("u1").available == 1_000_000
    assert_ledger_consistent("u1")


def test_cleanup_expires_unused_codes_of_expired_batches_once(client, container, clock):
    from tests.conftest import Accounts

    admin = container.tokens.authenticate(Accounts(container, clock).admin().access_token)
    batch = container.codes.create_batch(admin, count=3, amount=Decimal("1"), expires_at=clock.now() + timedelta(
        days=1), note="")
    container.codes.redeem("u1", batch.codes[0].code)
    assert run(client, "cleanup_expired") == {"codes_expired": 0}
    clock.advance(days=2)
    assert run(client, "cleanup_expired") == {"codes_expired": 2}
    assert run(client, "cleanup_expired") == {"codes_expired": 0}
    states = sorted(c.status for c in container.codes.batch_codes(batch.batch_id).codes)
    assert states == ["expired", "expired", "redeemed"]


def test_quota_warnings_page_through_the_stored_quotas_themselves(client, container, clock):
    # No stand-in list: the job reads every quota from the keys table (a Scan its role must grant).
    container.catalog_admin.ensure_group("default", actor_id="system")
    quota, _ = container.keys.create_quota(user_id="u1", group="default", actor_id="system", meta=None,
                                           limits={"limit_cost": Decimal("0.001"), "warn_at": [Decimal("0.5")]})
    container.metering.credit("u1", Decimal("1"), "topup", "t")
    paid_request(container, "u1", quota_id=quota.quota_id)  # $0.0005 of $0.001: 50 %
    assert run(client, "warn_quotas") == {"warned": 1}
    assert run(client, "warn_quotas") == {"warned": 0}
