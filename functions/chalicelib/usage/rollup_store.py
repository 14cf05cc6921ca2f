"""Rollup writes of the usage stream processor (`usage/rollups.py`): transaction pieces only.

- marker `USER#<user_id>`/`ROLLED#<request_id>` with `ttl`: this request is in the rollups.
  Put once (conditional), in the same transaction as the rollup additions it stands for, so a
  stream record delivered twice adds nothing the second time. Kept two days: DynamoDB Streams
  keep a record 24 hours, after which it can no longer be delivered at all.
- rollup additions: the same items as `usage/store.py` describes (per user and per deployment
  shard), each ADDed once per batch with the batch's sum.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute

from ..store.base import TableModel
from ..store.txn import Txn
from .store import RollupItem

MARKER_TTL_SECONDS = 2 * 86400


class RolledMarkerItem(TableModel):
    table = "usage"

    ttl = NumberAttribute(null=True)


def mark_rolled(txn: Txn, user_pk: str, request_id: str, ttl: int) -> None:
    """Label `mark:<request_id>`: fails if this request was already rolled up."""
    item = RolledMarkerItem(user_pk, f"ROLLED#{request_id}", ttl=ttl)
    txn.put(f"mark:{request_id}", item, RolledMarkerItem.pk.does_not_exist())


def add_to_rollup(txn: Txn, pk: str, sk: str, fields: dict[str, str], counts: tuple[int, int, int, int]) -> None:
    """Label `rollup:<pk>:<sk>`: add (requests, input_tokens, output_tokens, cost) to one rollup;
    `fields` sets `day`, `dim`, `value` and, for a quota rollup, its gsi1 keys."""
    requests, input_tokens, output_tokens, cost = counts
    actions = [getattr(RollupItem, name).set(value) for name, value in fields.items()]
    actions += [RollupItem.requests.add(requests), RollupItem.input_tokens.add(input_tokens),
                RollupItem.output_tokens.add(output_tokens), RollupItem.cost.add(cost)]
    txn.update(f"rollup:{pk}:{sk}", RollupItem(pk, sk), actions)
