"""Holds are indexed over HOLDS#<0..15> (no index partition takes every request), and the
expiry job still finds and releases every expired hold, oldest first, in bounded batches."""

from __future__ import annotations

from decimal import Decimal

from chalicelib.kernel.ids import new_id
from chalicelib.ledger import store as ledger
from chalicelib.ledger.store import HOLD_SHARDS, HoldItem, user_pk

from tests.support.metering import assert_ledger_consistent, make_key, make_route


def test_holds_spread_over_the_shards_and_the_expiry_job_releases_them_all(container, clock):
    metering = container.metering
    metering.credit("u1", Decimal("10"), "topup", "t")
    key, route = make_key("u1"), make_route()
    rids = []
    for _ in range(40):
        clock.advance(seconds=1)
        rid = new_id(clock.now())
        metering.reserve(key, route, 10, 10, rid, clock.now())
        rids.append(rid)
    shards = {HoldItem.get(user_pk("u1"), f"HOLD#{rid}").gsi1pk for rid in rids}
    assert len(shards) >= HOLD_SHARDS // 2 and all(s.startswith("HOLDS#") for s in shards)

    expiring = ledger.holds_expiring_before("9999", limit=10)
    assert [h.request_id for h in expiring] == rids[:10]  # the oldest ten across every shard

    clock.advance(seconds=container.settings.hold_ttl_seconds + 1)
    assert metering.release_expired_holds(clock.now(), limit=15) == 15
    assert metering.release_expired_holds(clock.now(), limit=100) == 25
    assert ledger.holds_expiring_before("9999") == []
    assert metering.balance("u1").held == 0
    assert_ledger_consistent("u1")


def test_a_hold_made_before_sharding_is_still_released(container, clock):
    metering = container.metering
    metering.credit("u1", Decimal("1"), "topup", "t")
    rid = new_id(clock.now())
    metering.reserve(make_key("u1"), make_route(), 10, 10, rid, clock.now())
    item = HoldItem.get(user_pk("u1"), f"HOLD#{rid}")
    item.update([HoldItem.gsi1pk.set(ledger.LEGACY_HOLDS)])  # as the unsharded index wrote it
    clock.advance(seconds=container.settings.hold_ttl_seconds + 1)
    assert metering.release_expired_holds(clock.now()) == 1
    assert metering.balance("u1").held == 0
