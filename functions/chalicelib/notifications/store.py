"""Quota warning markers in the `keys` table: `QUOTA#<quota_id>`/`WARNED#<period_key>#<fraction>`.

A marker is written with a condition that it does not exist yet, so each threshold of a
quota warns once per period however often (or concurrently) the job runs; `ttl` lets
DynamoDB remove it after the period is long over.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError

from ..store.base import TableModel


class WarnMarkerItem(TableModel):
    table = "keys"

    created_at = UnicodeAttribute()
    ttl = NumberAttribute(null=True)


def mark_warned(quota_id: str, period_key: str, fraction: str, now_iso: str, ttl: int | None) -> bool:
    """True the first time this threshold is marked for this period, False after."""
    item = WarnMarkerItem(f"QUOTA#{quota_id}", f"WARNED#{period_key}#{fraction}", created_at=now_iso, ttl=ttl)
    try:
        item.save(condition=WarnMarkerItem.pk.does_not_exist())
    except PutError as exc:
        if getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException":
            return False
        raise
    return True
