from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from chalicelib.core.crypto import sha256_hex
from chalicelib.core.errors import BadRequest, Forbidden, NotFound, QuotaExceeded, Unauthorized
from chalicelib.services.catalog_types import QuotaLimits
from chalicelib.tables.keys import ApiKeyItem, KeysItem, QuotaItem

from tests.catalog_support import kc  # noqa: F401

ADMIN = {"actor_id": "admin1", "meta": None}


def _group(kc, name="default", **limits):
    return kc.catalog_admin.create_group(name=name, models=[], default_quota=QuotaLimits(**limits), **ADMIN)


def _quota(kc, user_id="u1", group="default", **kw):
    limits = kw.pop("limits", {})
    return kc.keys.create_quota(user_id=user_id, group=group, limits=limits, **ADMIN, **kw)


def test_a_new_key_is_found_by_its_hash_with_the_quota_limits_on_it(kc):
    _group(kc, rpm=30, limit_cost=Decimal("5"), period="day")
    view, issued = _quota(kc, limits={"limit_tokens": 1000})
    assert issued.key.startswith("sk-kl-") and len(issued.key) == 6 + 43
    assert issued.prefix == issued.key[:10]
    info = kc.keys.lookup(issued.key)
    assert (info.user_id, info.quota_id, info.key_id) == ("u1", view["quota_id"], issued.key_id)
    assert (info.period, info.limit_cost, info.limit_tokens, info.rpm) == ("day", Decimal("5"), 1000, 30)
    assert info.key_hash == sha256_hex(issued.key) and info.group == view["group_id"]


def test_only_the_hash_of_a_key_is_stored(kc):
    _group(kc)
    _, issued = _quota(kc)
    stored = [str(i.attribute_values) for i in KeysItem.scan()]
    assert stored and not any(issued.key in s for s in stored)


def test_lookup_is_one_consistent_get_item(kc):
    _group(kc)
    _, issued = _quota(kc)
    calls = []
    client = ApiKeyItem._get_connection().connection.client
    client.meta.events.register("before-call.dynamodb", lambda **kw: calls.append(
        (kw["model"].name, json.loads(kw["params"]["body"]).get("ConsistentRead"))))
    kc.keys.lookup(issued.key)
    assert calls == [("GetItem", True)]


def test_unknown_and_malformed_keys_are_refused(kc):
    for key in ("sk-kl-" + "x" * 43, "not-a-key", "sk-kl-" + "x" * 500):
        with pytest.raises(Unauthorized) as err:
            kc.keys.lookup(key)
        assert err.value.code == "invalid_api_key"


def test_a_reset_key_stops_the_old_one_at_once(kc):
    _group(kc)
    view, first = _quota(kc)
    second = kc.keys.reset_key(view["quota_id"], **ADMIN)
    with pytest.raises(Unauthorized):
        kc.keys.lookup(first.key)
    assert kc.keys.lookup(second.key).quota_id == view["quota_id"]
    assert ApiKeyItem.get(f"KEY#{sha256_hex(first.key)}", "KEY").status == "replaced"


def test_a_user_cannot_reset_someone_elses_quota(kc):
    _group(kc)
    view, first = _quota(kc)
    with pytest.raises(NotFound):
        kc.keys.reset_key(view["quota_id"], owner_id="intruder", actor_id="intruder", meta=None)
    assert kc.keys.lookup(first.key)


def test_disabling_a_user_refuses_all_their_keys(kc):
    _group(kc)
    _group(kc, name="extra")
    _, a = _quota(kc)
    _, b = _quota(kc, group="extra")
    _, other = _quota(kc, user_id="u2")
    kc.on_user_disabled("u1", None)
    for key in (a.key, b.key):
        with pytest.raises(Unauthorized):
            kc.keys.lookup(key)
    assert kc.keys.lookup(other.key).user_id == "u2"


def test_an_expired_key_is_refused(kc, clock):
    _group(kc)
    _, issued = _quota(kc, expires_at=clock.now() + timedelta(hours=1))
    assert kc.keys.lookup(issued.key)
    clock.advance(hours=1)
    with pytest.raises(Unauthorized) as err:
        kc.keys.lookup(issued.key)
    assert err.value.code == "invalid_api_key"


def test_the_ip_allow_list_admits_only_its_networks(kc):
    _group(kc)
    _, issued = _quota(kc, ip_allow=["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"])
    assert kc.keys.lookup(issued.key, ip="10.1.2.3")
    assert kc.keys.lookup(issued.key, ip="2001:db8::1")
    assert kc.keys.lookup(issued.key, ip="192.0.2.7")
    for ip in ("192.0.2.8", "11.0.0.1", "garbage"):
        with pytest.raises(Forbidden) as err:
            kc.keys.lookup(issued.key, ip=ip)
        assert err.value.code == "ip_not_allowed"


def test_a_bad_cidr_is_refused_before_anything_is_written(kc):
    _group(kc)
    with pytest.raises(BadRequest):
        _quota(kc, ip_allow=["10.0.0.0/33"])
    assert list(QuotaItem.scan()) == []


def test_changing_a_quota_changes_the_limits_its_key_carries(kc):
    _group(kc)
    view, issued = _quota(kc)
    kc.keys.update_quota(view["quota_id"], {"rpm": 7, "limit_cost": Decimal("2.5"), "ip_allow": ["10.0.0.0/8"]},
                         **ADMIN)
    info = kc.keys.lookup(issued.key)
    assert (info.rpm, info.limit_cost, info.ip_allow) == (7, Decimal("2.5"), ("10.0.0.0/8",))
    kc.keys.update_quota(view["quota_id"], {"limit_cost": None}, **ADMIN)
    assert kc.keys.lookup(issued.key).limit_cost is None


def test_a_one_off_quota_ends_with_its_period(kc, clock):
    _group(kc)
    _, issued = _quota(kc, limits={"period": "day", "auto_renew": False})
    assert kc.keys.lookup(issued.key).quota_ends_at is not None
    clock.advance(days=1)
    with pytest.raises(QuotaExceeded):
        kc.keys.lookup(issued.key)


def test_deleting_a_quota_stops_its_key(kc):
    _group(kc)
    view, issued = _quota(kc)
    kc.keys.delete_quota(view["quota_id"], **ADMIN)
    with pytest.raises(Unauthorized):
        kc.keys.lookup(issued.key)


def test_an_activated_user_gets_a_key_on_the_default_group_once(kc):
    extras = kc.on_user_activated("newbie", None)
    api_key = extras["api_key"]
    assert set(api_key) == {"key_id", "key", "prefix", "quota_id"}
    info = kc.keys.lookup(api_key["key"])
    assert info.user_id == "newbie"
    assert kc.catalog.group_by_ref("default").group_id == info.group  # created on first use
    assert kc.keys.provision_default("newbie") is None  # idempotent


def test_reset_all_keys_replaces_every_key_of_the_user(kc):
    _group(kc)
    _group(kc, name="extra")
    _, a = _quota(kc)
    _, b = _quota(kc, group="extra")
    fresh = kc.keys.reset_all_keys("u1", **ADMIN)
    assert len(fresh) == 2
    for old in (a, b):
        with pytest.raises(Unauthorized):
            kc.keys.lookup(old.key)
    assert all(kc.keys.lookup(k.key).user_id == "u1" for k in fresh)


def test_key_actions_are_audited_without_the_key(kc):
    _group(kc)
    view, issued = _quota(kc)
    new = kc.keys.reset_key(view["quota_id"], **ADMIN)
    text = str(kc.audit.records)
    assert issued.key not in text and new.key not in text
    assert [r["action"] for r in kc.audit.records if r["user_id"] == "u1"] == ["quota.create", "key.reset"]
