from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from chalicelib.catalog.types import QuotaLimits
from chalicelib.kernel.crypto import sha256_hex
from chalicelib.kernel.errors import BadRequest, Forbidden, NotFound, QuotaExceeded, Unauthorized
from chalicelib.keys.store import ApiKeyItem, KeysItem, QuotaItem

from tests.catalog_support import audit_log

ADMIN = {"actor_id": "admin1", "meta": None}


@pytest.fixture
def u1(accounts):
    return accounts.user().user_id


@pytest.fixture
def u2(accounts):
    return accounts.user().user_id


def _group(container, name="basic", **limits):
    return container.catalog_admin.create_group(name=name, models=[], default_quota=QuotaLimits(**limits), **ADMIN)


def _quota(container, user_id, group="basic", **kw):
    limits = kw.pop("limits", {})
    return container.keys.create_quota(user_id=user_id, group=group, limits=limits, **ADMIN, **kw)


def test_a_new_key_is_found_by_its_hash_with_the_quota_limits_on_it(container, u1):
    _group(container, rpm=30, limit_cost=Decimal("5"), period="day")
    view, issued = _quota(container, u1, limits={"limit_tokens": 1000})
    assert issued.key.startswith("sk-kl-") and len(issued.key) == 6 + 43
    assert issued.prefix == issued.key[:10]
    info = container.keys.lookup(issued.key)
    assert (info.user_id, info.quota_id, info.key_id) == (u1, view.quota_id, issued.key_id)
    assert (info.period, info.limit_cost, info.limit_tokens, info.rpm) == ("day", Decimal("5"), 1000, 30)
    assert info.key_hash == sha256_hex(issued.key) and info.group == view.group_id


def test_only_the_hash_of_a_key_is_stored(container, u1):
    _group(container)
    _, issued = _quota(container, u1)
    stored = [str(i.attribute_values) for i in KeysItem.scan()]
    assert stored and not any(issued.key in s for s in stored)


def test_lookup_is_one_consistent_get_item(container, u1):
    _group(container)
    _, issued = _quota(container, u1)
    calls = []
    client = ApiKeyItem._get_connection().connection.client
    client.meta.events.register("before-call.dynamodb", lambda **kw: calls.append(
        (kw["model"].name, json.loads(kw["params"]["body"]).get("ConsistentRead"))))
    container.keys.lookup(issued.key)
    assert calls == [("GetItem", True)]


def test_unknown_and_malformed_keys_are_refused(container):
    for key in ("sk-kl-" + "x" * 43, "not-a-key", "sk-kl-" + "x" * 500):
        with pytest.raises(Unauthorized) as err:
            container.keys.lookup(key)
        assert err.value.code == "invalid_api_key"


def test_a_reset_key_stops_the_old_one_at_once(container, u1):
    _group(container)
    view, first = _quota(container, u1)
    second = container.keys.reset_key(view.quota_id, **ADMIN)
    with pytest.raises(Unauthorized):
        container.keys.lookup(first.key)
    assert container.keys.lookup(second.key).quota_id == view.quota_id
    assert ApiKeyItem.get(f"KEY#{sha256_hex(first.key)}", "KEY").status == "replaced"


def test_a_user_cannot_reset_someone_elses_quota(container, u1):
    _group(container)
    view, first = _quota(container, u1)
    with pytest.raises(NotFound):
        container.keys.reset_key(view.quota_id, owner_id="intruder", actor_id="intruder", meta=None)
    with pytest.raises(NotFound):
        container.keys.create_quota(user_id="nobody", group="basic", limits={}, **ADMIN)
    assert container.keys.lookup(first.key)


def test_disabling_a_user_refuses_all_their_keys(container, accounts, u2):
    alice = accounts.user()
    u1 = alice.user_id
    _group(container)
    _, a = _quota(container, u1)
    _, other = _quota(container, u2)
    container.on_user_disabled(u1, None)
    for key in (a.key, alice.extras["api_key"]["key"]):
        with pytest.raises(Unauthorized):
            container.keys.lookup(key)
    assert container.keys.lookup(other.key).user_id == u2


def test_an_expired_key_is_refused(container, clock, u1):
    _group(container)
    _, issued = _quota(container, u1, expires_at=clock.now() + timedelta(hours=1))
    assert container.keys.lookup(issued.key)
    clock.advance(hours=1)
    with pytest.raises(Unauthorized) as err:
        container.keys.lookup(issued.key)
    assert err.value.code == "invalid_api_key"


def test_the_ip_allow_list_admits_only_its_networks(container, u1):
    _group(container)
    _, issued = _quota(container, u1, ip_allow=["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"])
    assert container.keys.lookup(issued.key, ip="10.1.2.3")
    assert container.keys.lookup(issued.key, ip="2001:db8::1")
    assert container.keys.lookup(issued.key, ip="192.0.2.7")
    for ip in ("192.0.2.8", "11.0.0.1", "garbage"):
        with pytest.raises(Forbidden) as err:
            container.keys.lookup(issued.key, ip=ip)
        assert err.value.code == "ip_not_allowed"


def test_a_bad_cidr_is_refused_before_anything_is_written(container, u1):
    _group(container)
    before = len(list(QuotaItem.scan()))
    with pytest.raises(BadRequest):
        _quota(container, u1, ip_allow=["10.0.0.0/33"])
    assert len(list(QuotaItem.scan())) == before


def test_changing_a_quota_changes_the_limits_its_key_carries(container, u1):
    _group(container)
    view, issued = _quota(container, u1)
    container.keys.update_quota(view.quota_id, {"rpm": 7, "limit_cost": Decimal("2.5"), "ip_allow": ["10.0.0.0/8"]},
                         **ADMIN)
    info = container.keys.lookup(issued.key)
    assert (info.rpm, info.limit_cost, info.ip_allow) == (7, Decimal("2.5"), ("10.0.0.0/8",))
    container.keys.update_quota(view.quota_id, {"limit_cost": None}, **ADMIN)
    assert container.keys.lookup(issued.key).limit_cost is None


def test_a_one_off_quota_ends_with_its_period(container, clock, u1):
    _group(container)
    _, issued = _quota(container, u1, limits={"period": "day", "auto_renew": False})
    assert container.keys.lookup(issued.key).quota_ends_at is not None
    clock.advance(days=1)
    with pytest.raises(QuotaExceeded):
        container.keys.lookup(issued.key)


def test_deleting_a_quota_stops_its_key(container, u1):
    _group(container)
    view, issued = _quota(container, u1)
    container.keys.delete_quota(view.quota_id, **ADMIN)
    with pytest.raises(Unauthorized):
        container.keys.lookup(issued.key)


def test_an_activated_user_gets_a_key_on_the_default_group_once(container, accounts):
    newbie = accounts.user()
    api_key = newbie.extras["api_key"]
    assert set(api_key) == {"key_id", "key", "prefix", "quota_id"}
    info = container.keys.lookup(api_key["key"])
    assert info.user_id == newbie.user_id and info.quota_id == api_key["quota_id"]
    assert container.catalog.group_by_ref("default").group_id == info.group  # created on first use
    assert info.rpm == 60  # DEFAULT_RPM: the default group's keys report x-ratelimit-remaining-requests
    assert container.keys.provision_default(newbie.user_id) is None  # idempotent


def test_reset_all_keys_replaces_every_key_of_the_user(container, u1):
    _group(container)
    _group(container, name="extra")
    _, a = _quota(container, u1)
    _, b = _quota(container, u1, group="extra")
    fresh = container.keys.reset_all_keys(u1, **ADMIN)
    assert len(fresh) == 3  # the default quota's key and these two
    for old in (a, b):
        with pytest.raises(Unauthorized):
            container.keys.lookup(old.key)
    assert all(container.keys.lookup(k.key).user_id == u1 for k in fresh)


def test_key_actions_are_audited_without_the_key(container, u1):
    _group(container)
    view, issued = _quota(container, u1)
    new = container.keys.reset_key(view.quota_id, **ADMIN)
    log = audit_log()
    assert issued.key not in str(log) and new.key not in str(log)
    keys_log = [r for r in log if r["user_id"] == u1 and r["type"] == "keys"]
    assert [(r["action"], r["actor_id"]) for r in keys_log] == [
        ("quota.create", "system"), ("quota.create", "admin1"), ("key.reset", "admin1")]
    assert [r["action"] for r in log if r["user_id"] == "admin1"] == ["group.create", "quota.create", "key.reset"]


def test_an_expiry_without_a_zone_is_taken_as_utc(container, clock, u1):
    from datetime import datetime

    _group(container)
    view, issued = _quota(container, u1, expires_at=datetime(2026, 11, 21, 11, 0))  # naive: 11:00 UTC
    assert container.keys.lookup(issued.key).expires_at.isoformat() == "2026-11-21T11:00:00+00:00"
    container.keys.update_quota(view.quota_id, {"expires_at": datetime(2026, 11, 21, 10, 30)}, **ADMIN)
    clock.advance(minutes=31)
    with pytest.raises(Unauthorized):
        container.keys.lookup(issued.key)
