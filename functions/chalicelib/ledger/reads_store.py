"""Paged reads of ledger entries (the ledger area's; items and writes are in `ledger.py`)."""

from __future__ import annotations

from .store import EntryItem, EntryRow, _entry, user_pk

StartKey = dict[str, str]


def entries_page(user_id: str, limit: int, start: StartKey | None) -> tuple[list[EntryRow], StartKey | None]:
    """Up to `limit` entries older than `start` (exclusive), newest first (entry ids are
    ULIDs). One item more is read so the last page carries no start key."""
    items = EntryItem.query(user_pk(user_id), EntryItem.sk.startswith("ENTRY#"), scan_index_forward=False,
                            consistent_read=True, limit=limit + 1,
                            last_evaluated_key={k: {"S": v} for k, v in start.items()} if start else None)
    rows = list(items)
    if len(rows) <= limit:
        return [_entry(i) for i in rows], None
    last = rows[limit - 1]
    return [_entry(i) for i in rows[:limit]], {"pk": last.pk, "sk": last.sk}
