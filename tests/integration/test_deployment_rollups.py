"""The deployment-wide rollups: one user's requests spread over the shards (no single item takes
every request), and the shards together hold exactly what the user's own rollups hold."""

from __future__ import annotations

from decimal import Decimal

from chalicelib.usage import reads_store
from chalicelib.usage.store import DEPLOYMENT_SHARDS, deployment_shard

from tests.support.ledger import ensure_tables, paid_request


def test_one_users_requests_spread_over_the_shards_and_sum_to_the_users_rollups(container, clock):
    ensure_tables()
    container.metering.credit("u1", Decimal("10"), "topup", "t")
    ids = []
    for _ in range(40):
        clock.advance(seconds=1)
        ids.append(paid_request(container, "u1", model="m", provider="p"))
    shards = {deployment_shard(i) for i in ids}
    assert len(shards) >= DEPLOYMENT_SHARDS // 2  # 40 ids over 8 shards: never all on one item

    day = clock.now().date().isoformat()
    everyone = reads_store.deployment_rollups(day, day, "model")
    own = reads_store.user_rollups("u1", day, day, "model")
    assert len(everyone) == len(shards)  # one item per shard that saw a request
    for field in ("requests", "input_tokens", "output_tokens", "cost"):
        assert sum(getattr(r, field) for r in everyone) == sum(getattr(r, field) for r in own)
    assert sum(r.requests for r in everyone) == 40
    keys = reads_store.deployment_rollups(day, day, "key")
    assert {r.user_id for r in keys} == {"u1"} and {r.value for r in keys} == {"u1#k-q1"}
