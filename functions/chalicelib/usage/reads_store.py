"""Reads over the `usage` table for statistics, history and exports (the ledger area's).

The items and their writes belong to `usage.py` (metering). Everything here is a Query on
a key range; nothing scans. Pages are fetched with one extra item so a page that ends the
listing carries no cursor; a start key is a plain `{attribute: string}` dict (the service
signs it into an opaque cursor).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .store import DEPLOYMENT_SHARDS, Rollup, RollupItem, UsageRecord, UsageRecordItem, deployment_pk, user_pk
from .store import _record as to_record  # one conversion from item to row, kept in usage.py

StartKey = dict[str, str]
_PAGE_SCAN_CAP = 20  # bounded DynamoDB pages per filtered listing page


def _dynamo_key(start: StartKey | None) -> dict[str, Any] | None:
    return {k: {"S": v} for k, v in start.items()} if start else None


def _page(items: Iterator[Any], limit: int, names: tuple[str, ...]) -> tuple[list[Any], StartKey | None]:
    got: list[Any] = []
    for item in items:
        got.append(item)
        if len(got) > limit:
            break
    if len(got) <= limit:
        return got, None
    last = got[limit - 1]
    return got[:limit], {n: getattr(last, n) for n in names}


def records_page(user_id: str, limit: int, start: StartKey | None,
                 model: str | None = None) -> tuple[list[UsageRecord], StartKey | None]:
    """A user's request records, newest first (request ids are ULIDs).

    With `model` a filter drops other models' records, so a page may need several
    DynamoDB pages: at most `_PAGE_SCAN_CAP` are read, then the page ends early with a
    cursor (a short page with a cursor means "more may follow")."""
    if model is None:
        items = UsageRecordItem.query(user_pk(user_id), UsageRecordItem.sk.startswith("REQ#"),
                                      scan_index_forward=False, limit=limit + 1,
                                      last_evaluated_key=_dynamo_key(start))
        rows, last = _page(items, limit, ("pk", "sk"))
        return [to_record(i) for i in rows], last
    pages = UsageRecordItem.query(user_pk(user_id), UsageRecordItem.sk.startswith("REQ#"),
                                  filter_condition=UsageRecordItem.model == model, scan_index_forward=False,
                                  last_evaluated_key=_dynamo_key(start), page_size=100).page_iter
    got: list[UsageRecordItem] = []
    for n, page in enumerate(pages):
        for raw in page.get("Items", []):
            got.append(UsageRecordItem.from_raw_data(raw))
            if len(got) == limit:
                return [to_record(i) for i in got], {"pk": got[-1].pk, "sk": got[-1].sk}
        lek = page.get("LastEvaluatedKey")
        if not lek:
            break
        if n + 1 >= _PAGE_SCAN_CAP:
            return [to_record(i) for i in got], {k: v["S"] for k, v in lek.items()}
    return [to_record(i) for i in got], None


def records_between(user_id: str, low_id: str, high_id: str, max_rows: int) -> tuple[list[UsageRecord], bool]:
    """Request records with ids in [low_id, high_id], oldest first; True if cut at `max_rows`."""
    items = UsageRecordItem.query(user_pk(user_id), UsageRecordItem.sk.between(f"REQ#{low_id}", f"REQ#{high_id}"),
                                  limit=max_rows + 1)
    rows = [to_record(i) for i in items]
    return rows[:max_rows], len(rows) > max_rows


def quota_records_page(quota_id: str, limit: int,
                       start: StartKey | None) -> tuple[list[UsageRecord], StartKey | None]:
    """A quota's request records through gsi1 `QUOTA#<quota_id>`, newest first."""
    items = UsageRecordItem.gsi1.query(f"QUOTA#{quota_id}", scan_index_forward=False, limit=limit + 1,
                                       last_evaluated_key=_dynamo_key(start))
    rows, last = _page(items, limit, ("pk", "sk", "gsi1pk", "gsi1sk"))
    return [to_record(i) for i in rows], last


def user_rollups(user_id: str, first_day: str, last_day: str, dim: str) -> list[Rollup]:
    """A user's rollups of one dimension for days first_day..last_day (inclusive).

    One Query on the sort-key range `DAY#first .. DAY#last#~`: every dimension's items of
    those days are read (they share the day prefix) and the filter drops the others before
    they cross the network; DynamoDB pages at 1 MB."""
    items = RollupItem.query(user_pk(user_id), RollupItem.sk.between(f"DAY#{first_day}", f"DAY#{last_day}#\uffff"),
                             filter_condition=RollupItem.dim == dim)
    return _rollups(user_id, items)


def deployment_rollups(first_day: str, last_day: str, dim: str | None) -> list[Rollup]:
    """The deployment-wide rollups of one dimension (None: all) for days first_day..last_day
    (inclusive): one Query per shard (`ALL#0` .. `ALL#<n-1>`), each on the same sort-key range
    as a user's. Rows of the `key` dimension carry the user id (value `<user_id>#<key_id>`)."""
    rows: list[Rollup] = []
    for shard in range(DEPLOYMENT_SHARDS):
        items = RollupItem.query(deployment_pk(shard),
                                 RollupItem.sk.between(f"DAY#{first_day}", f"DAY#{last_day}#\uffff"),
                                 filter_condition=(RollupItem.dim == dim) if dim else None)
        for i in items:
            owner = (i.value or "").split("#", 1)[0] if i.dim == "key" else ""
            rows.append(Rollup(owner, i.day or "", i.dim or "", i.value or "", int(i.requests or 0),
                               int(i.input_tokens or 0), int(i.output_tokens or 0), int(i.cost or 0)))
    return rows


def quota_rollups(quota_id: str, first_day: str, last_day: str) -> list[Rollup]:
    """A quota's per-model rollups through gsi1 `QUOTA#<quota_id>#DAY` (one Query)."""
    items = RollupItem.rollup_index.query(f"QUOTA#{quota_id}#DAY",
                                          RollupItem.gsi1sk.between(first_day, f"{last_day}#\uffff"))
    rows = []
    for i in items:
        model = (i.gsi1sk or "").split("#", 1)[-1]
        rows.append(Rollup(i.pk.removeprefix("USER#"), i.day or "", "model", model, int(i.requests or 0),
                           int(i.input_tokens or 0), int(i.output_tokens or 0), int(i.cost or 0)))
    return rows


def _rollups(user_id: str, items: Iterable[RollupItem]) -> list[Rollup]:
    return [Rollup(user_id, i.day or "", i.dim or "", i.value or "", int(i.requests or 0), int(i.input_tokens or 0),
                   int(i.output_tokens or 0), int(i.cost or 0)) for i in items]
