"""Ledger reads (balance, history) and admin top-ups.

Money moves only through metering's `MeteringService` (credit/debit, reserve/settle) or the
membership and code services, each as one transaction with its append-only entry; this
service reads and adds top-ups. Amounts are Decimal here, micro-dollars in the tables.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from ..audit.service import AuditService
from ..kernel.clock import Clock
from ..kernel.context import Caller, RequestMeta
from ..kernel.cursors import Cursors
from ..kernel.errors import NotFound, ValidationFailed
from ..kernel.money import from_micros
from .reads_store import LedgerStore
from .store import EntryRow
from .types import BalanceView, Crediting, HistoryEntry, ProviderSpend, SpendRow, TopUp

MAX_TOPUP = Decimal("100000")  # USD per top-up: a typo guard, not a business limit
SPEND_WINDOW_DAYS = 30  # `by_provider` covers the last 30 days of rollups
_SNAPSHOT_ATTEMPTS = 3


class LedgerService:
    def __init__(self, store: LedgerStore, clock: Clock, metering: Crediting, user_exists: Callable[[str], bool],
                 audit: AuditService, cursors: Cursors, provider_spend: Callable[[str, str, str], Sequence[SpendRow]],
                 provider_names: Callable[[], Mapping[str, str]] = dict) -> None:
        self._store = store
        self._provider_names = provider_names  # id -> name: spend rollups keep ids, people read names
        self._clock = clock
        self._metering = metering
        self._user_exists = user_exists
        self._provider_spend = provider_spend  # (user_id, first_day, last_day) -> daily provider rollups
        self._audit = audit
        self._cursors = cursors

    def balance(self, user_id: str) -> BalanceView:
        """Available and held money, and what was spent per provider (by name) over the last 30
        days (read from the daily provider rollups: one Query, no scan)."""
        row = self._store.balance(user_id)
        today = self._clock.now().date()
        first = today - timedelta(days=SPEND_WINDOW_DAYS - 1)
        spent: dict[str, int] = defaultdict(int)
        names = self._provider_names()
        for r in self._provider_spend(user_id, first.isoformat(), today.isoformat()):
            spent[names.get(r.value, r.value) or "unknown"] += r.cost
        by_provider = [ProviderSpend(p, from_micros(c)) for p, c in sorted(spent.items())]
        return BalanceView(available=from_micros(row.available), held=from_micros(row.held), by_provider=by_provider,
                           by_provider_from=first.isoformat(), by_provider_to=today.isoformat())

    def balances(self, user_ids: list[str]) -> dict[str, dict[str, Decimal]]:
        """`{available, held}` of several users (one BatchGetItem), for the admin user list."""
        return {uid: {"available": from_micros(r.available), "held": from_micros(r.held)}
                for uid, r in self._store.balances(user_ids).items()}

    def history(self, user_id: str, cursor: str | None, limit: int) -> tuple[list[HistoryEntry], str | None]:
        """Entries newest first, each with `balance_after`.

        Entries never change, and the sum of all of a user's entries equals
        `available + held` (every writer keeps this in one transaction). So the balance
        after an entry is `available + held` minus the sum of the entries newer than it;
        it is computed at read time, not stored. Page one reads the balance, the page,
        and the balance again (retrying if the total moved meanwhile); the running figure
        (the balance after the last entry shown, before its own amount is taken off) rides
        in the signed cursor, so later pages need no balance read and stay consistent
        with page one even while new entries arrive."""
        scope = f"ledger:{user_id}"
        state = self._cursors.decode(cursor, scope)
        if state is not None:
            start, running = state.get("k"), state.get("r")
            if not isinstance(start, dict) or not isinstance(running, int):
                raise ValidationFailed("The cursor is not valid; start again without it.", code="invalid_cursor")
            rows, last = self._store.entries_page(user_id, limit, start)
        else:
            running, rows, last = self._first_page(user_id, limit)
        items = []
        for e in rows:
            items.append(HistoryEntry(e.entry_id, e.type, from_micros(e.amount), from_micros(running), e.ref,
                                      e.created_at, e.meta.get("note")))
            running -= e.amount
        next_cursor = self._cursors.encode({"k": last, "r": running}, scope) if last else None
        return items, next_cursor

    def _first_page(self, user_id: str, limit: int) -> tuple[int, list[EntryRow], Any]:
        for _ in range(_SNAPSHOT_ATTEMPTS):
            before = self._store.balance(user_id)
            rows, last = self._store.entries_page(user_id, limit, None)
            after = self._store.balance(user_id)
            if before.available + before.held == after.available + after.held:
                break
        return after.available + after.held, rows, last

    def topup(self, admin: Caller, user_id: str, amount: Decimal, note: str,
              meta: RequestMeta | None = None) -> TopUp:
        """Credit `amount` to a user (admin): one `topup` entry; NotFound for an unknown user."""
        if amount > MAX_TOPUP:
            raise ValidationFailed(f"A top-up is at most {MAX_TOPUP} USD.", code="amount_too_large")
        if not self._user_exists(user_id):
            raise NotFound("No such user.", code="user_not_found")
        # metering's credit leaves the user's `billing` log item (`ledger.topup`, actor = admin)
        entry = self._metering.credit(user_id, amount, "topup", ref=admin.user_id,
                                      meta={"note": note, "by": admin.user_id}, actor_id=admin.user_id, request=meta)
        detail = {"target": user_id, "amount": str(amount), "entry_id": entry.entry_id, "note": note}
        self._audit.record(user_id=admin.user_id, type="admin", action="topup", meta=meta, detail=detail)
        available = self._store.balance(user_id).available
        return TopUp(entry_id=entry.entry_id, user_id=user_id, amount=amount, available=from_micros(available),
                     note=note, created_at=entry.created_at)
