"""Ledger retention's items: a user's `opening` entry and the fold transaction.

The opening entry is an entry like any other (`USER#<user_id>`/`ENTRY#<OPENING_ID>`, type
`opening`), so every reader that sums or pages entries counts it; its id is the smallest ULID,
so it sorts before every real entry, and `folded_through` names the newest entry folded in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist

from ..store.txn import Txn
from .store import EntryItem, EntryRow, _entry, user_pk

OPENING_ID = "0" * 26  # the smallest ULID: before every entry of every user
OPENING_TYPE = "opening"


@dataclass(frozen=True)
class Opening:
    amount: int  # micro-dollars: the sum of every entry folded so far
    folded_through: str  # the newest folded entry's id
    created_at: str  # that entry's time
    folded: int  # how many entries it stands for


def get_opening(user_id: str) -> Opening | None:
    try:
        item = EntryItem.get(user_pk(user_id), f"ENTRY#{OPENING_ID}", consistent_read=True)
    except DoesNotExist:
        return None
    row = _entry(item)
    return Opening(row.amount, item.folded_through or "", row.created_at, int(row.meta.get("folded", 0)))


def entries_before(user_id: str, before_id: str, limit: int) -> list[EntryRow]:
    """Up to `limit` of the user's oldest entries with ids below `before_id`, oldest first,
    the opening entry left out."""
    items = EntryItem.query(user_pk(user_id), EntryItem.sk.between("ENTRY#", f"ENTRY#{before_id}"),
                            consistent_read=True, limit=limit + 1)
    return [_entry(i) for i in items if i.entry_id != OPENING_ID][:limit]


def fold(txn: Txn, user_id: str, entries: list[EntryRow], before: Opening | None, after: Opening) -> None:
    """Label `entry`: delete `entries` (each must still exist); label `opening`: write `after`
    in place of `before` (it must still be `before`: a concurrent fold cancels this one)."""
    for e in entries:
        txn.delete("entry", EntryItem(user_pk(user_id), f"ENTRY#{e.entry_id}"), EntryItem.pk.exists())
    note = f"Balance carried forward from {after.folded} entries up to {after.created_at[:10]}"
    item = EntryItem(user_pk(user_id), f"ENTRY#{OPENING_ID}", entry_id=OPENING_ID, type=OPENING_TYPE,
                     amount=after.amount, ref="", created_at=after.created_at, folded_through=after.folded_through,
                     meta=json.dumps({"folded": after.folded, "note": note}, separators=(",", ":")))
    condition = (EntryItem.pk.does_not_exist() if before is None
                 else EntryItem.folded_through == before.folded_through)
    txn.put("opening", item, condition)
