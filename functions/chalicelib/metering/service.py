"""Money rules of a proxied request: reserve the worst case, settle the actual, never overspend.

Each step is ONE DynamoDB transaction, so no crash between writes can leave money,
quota and records disagreeing:
- `reserve`: balance `available -> held` (refused below the hold), quota period usage
  (refused past a limit), the RPM window's conditional increment, the hold item, and a
  check that the key is still active;
- `settle`: delete the hold (it must exist: a retried settle cannot charge twice), debit
  the actual cost, append the `charge` entry keyed by the request id, replace the quota
  reservation by the actual figures, add to the day's rollups, write the request record
  and the key's `last_used_at`;
- `release`: the same without a charge, for upstream failures and expired holds.
Amounts are Decimal here and integer micro-dollars in the tables.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from ..catalog.routing import ModelRoute
from ..kernel.clock import Clock, iso
from ..kernel.context import RequestMeta
from ..kernel.errors import (
    AlreadyExists,
    Conflict,
    InsufficientBalance,
    KeyNotCurrent,
    QuotaExceeded,
    RateLimited,
    ServiceUnavailable,
    ValidationFailed,
)
from ..kernel.ids import new_id
from ..kernel.money import from_micros, q, to_micros
from ..kernel.periods import period_window
from ..kernel.settings import Settings
from ..keys.types import KeyInfo
from ..ledger import store as ledger_table
from ..ledger.types import ENTRY_TYPES, Balance, LedgerEntry
from ..store.txn import Txn, TxnCancelled, commit_with_retry
from ..usage import store as usage_table
from . import quota_store as quota_table
from .types import (
    Hold,
    QuotaUsage,
    RecordFields,
    Settlement,
    TokenUsage,
    cost_of,
)

_ATTEMPTS = 4  # bounded retries of a transaction that met a concurrent one


class MeteringService:
    def __init__(self, settings: Settings, clock: Clock, audit: Any = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.clock = clock
        self.audit = audit  # AuditService: credits and debits leave an audit item
        self._sleep = sleep

    # --- reserve -----------------------------------------------------------------------

    def reserve(self, key: KeyInfo, route: ModelRoute, prompt_tokens_estimate: int,
                max_output_tokens: int | None, request_id: str, now: datetime, ip: str = "") -> Hold:
        """Hold the request's worst-case cost on the balance and the quota, count it in the
        RPM window, all in one transaction; raises KeyNotCurrent (key revoked or changed since `key` was read),
        RateLimited, QuotaExceeded or InsufficientBalance before any upstream call."""
        if key.quota_ends_at is not None and now >= key.quota_ends_at:
            raise QuotaExceeded("This key's quota has ended.", code="quota_ended")
        out_tokens = max_output_tokens if max_output_tokens is not None else route.max_output_tokens
        prompt = max(0, int(prompt_tokens_estimate))
        amount = cost_of(prompt, max(0, out_tokens), route.input_price, route.output_price)
        micros, tokens = to_micros(amount), prompt + max(0, out_tokens)
        cost_room = None if key.limit_cost is None else to_micros(q(key.limit_cost)) - micros
        token_room = None if key.limit_tokens is None else key.limit_tokens - tokens
        if (cost_room is not None and cost_room < 0) or (token_room is not None and token_room < 0):
            raise QuotaExceeded("This request's worst case is larger than the key's whole quota; "
                                "lower max_tokens or shorten the prompt.", code="quota_exceeded")
        window = period_window(key.period, now)
        minute = int(now.timestamp()) // 60
        hold = Hold(request_id=request_id, user_id=key.user_id, key_id=key.key_id, key_hash=key.key_hash,
                    quota_id=key.quota_id, period_key=window.key, model=route.name, amount=amount, tokens=tokens,
                    input_price=route.input_price, output_price=route.output_price, ip=ip, created_at=now,
                    expires_at=now + timedelta(seconds=self.settings.hold_ttl_seconds), rpm=key.rpm,
                    rpm_minute=minute if key.rpm is not None else None)

        def build() -> Txn:
            txn = Txn()
            quota_table.check_key_active(txn, key.key_hash, key.rev)
            if key.rpm is not None:
                quota_table.count_request(txn, key.quota_id, minute, key.rpm, ttl=(minute + 2) * 60)
            quota_table.reserve_period(txn, key.quota_id, window.key, micros, tokens, cost_room, token_room)
            ledger_table.move_to_held(txn, key.user_id, micros)
            ledger_table.put_hold(txn, ledger_table.HoldRow(
                key.user_id, request_id, micros, key.quota_id, window.key, tokens, key.key_id, key.key_hash,
                route.name, ip, iso(now), iso(hold.expires_at)))
            return txn

        try:
            self._commit(build)
        except TxnCancelled as exc:
            raise _reserve_error(exc.failed, now) from exc
        return hold

    # --- settle and release ------------------------------------------------------------

    def settle(self, hold: Hold, usage: TokenUsage, fields: RecordFields) -> Settlement:
        """Charge what the upstream reported and close the hold (one transaction).

        If the actual cost passes the hold and the balance cannot cover the excess, what
        is available is charged and the rest is recorded as `shortfall`. A second settle
        of the same hold changes nothing and answers `already_settled`."""
        now = self.clock.now()
        cost = cost_of(usage.input_tokens, usage.output_tokens, hold.input_price, hold.output_price)
        charged, touch = to_micros(cost), True
        for _ in range(_ATTEMPTS):
            try:
                self._commit(partial(self._settle_txn, hold, usage, fields, to_micros(cost), charged, now, touch))
                return Settlement(hold.request_id, cost, from_micros(charged), cost - from_micros(charged))
            except TxnCancelled as exc:
                if "hold" in exc.failed:
                    return Settlement(hold.request_id, cost, Decimal(0), Decimal(0), already_settled=True)
                if not set(exc.failed) <= {"balance", "key"}:
                    raise ServiceUnavailable("The request could not be settled; retry.") from exc
                if "key" in exc.failed:  # the key item is gone: nothing to mark as used
                    touch = False
                if "balance" in exc.failed:
                    # The excess over the hold is more than is available: charge what there is.
                    available = ledger_table.get_balance(hold.user_id).available
                    charged = hold.amount_micros + max(0, min(charged - hold.amount_micros, available))
        raise ServiceUnavailable("The request could not be settled; retry.")

    def release(self, hold: Hold, fields: RecordFields, outcome: str = "upstream_error") -> bool:
        """Give the hold back and charge nothing (upstream failure, expired hold); the
        request record says why. False if the hold had already ended."""
        now = self.clock.now()
        try:
            self._commit(lambda: self._release_txn(hold, fields, outcome, now))
        except TxnCancelled as exc:
            if "hold" in exc.failed:
                return False
            raise ServiceUnavailable("The hold could not be released; retry.") from exc
        return True

    def release_expired_holds(self, now: datetime, limit: int = 100) -> int:
        """Release holds left behind by crashed requests (the scheduled job). Idempotent:
        a hold settled or released meanwhile is skipped. Returns how many were released."""
        released = 0
        for row in ledger_table.holds_expiring_before(iso(now), limit=limit):
            hold = _hold_from_row(row)
            fields = RecordFields(status=500, error="The request ended without settling; its hold expired.")
            released += self.release(hold, fields, outcome="expired")
        return released

    # --- credit, debit, reads ----------------------------------------------------------

    def credit(self, user_id: str, amount: Decimal, type: str, ref: str = "",
               meta: dict[str, Any] | None = None, *, entry_id: str | None = None,
               membership: dict[str, Any] | None = None, actor_id: str | None = None,
               request: RequestMeta | None = None) -> LedgerEntry:
        """Add money (sign-up credit, top-up, redeem, refund) with its entry, in one
        transaction. Pass `entry_id` to make a retry harmless (AlreadyExists)."""
        entry = self._change(user_id, amount, type, ref, meta, entry_id, membership)
        self._audit(entry, actor_id, request)
        return entry

    def debit(self, user_id: str, amount: Decimal, type: str, ref: str = "",
              meta: dict[str, Any] | None = None, *, entry_id: str | None = None,
              membership: dict[str, Any] | None = None, actor_id: str | None = None,
              request: RequestMeta | None = None) -> LedgerEntry:
        """Take money (renewal, adjustment) with its entry; InsufficientBalance if
        available does not cover it. `membership` may set plan/expires_at/auto_renew."""
        entry = self._change(user_id, -amount, type, ref, meta, entry_id, membership)
        self._audit(entry, actor_id, request)
        return entry

    def balance(self, user_id: str) -> Balance:
        row = ledger_table.get_balance(user_id)
        return Balance(user_id, from_micros(row.available), from_micros(row.held), row.plan, row.expires_at,
                       row.auto_renew)

    def quota_totals(self, quota_id: str, period_key: str) -> tuple[Decimal, int]:
        """A quota's settled usage in one period: (cost in USD, tokens)."""
        usage = self.quota_usage(quota_id, period_key)
        return usage.used_cost, usage.used_tokens

    def quota_usage(self, quota_id: str, period_key: str) -> QuotaUsage:
        u = quota_table.get_period_usage(quota_id, period_key)
        return QuotaUsage(period_key, from_micros(u.used_cost), from_micros(u.held_cost), u.used_tokens,
                          u.held_tokens, u.requests)

    def rpm_used(self, quota_id: str, minute: int) -> int:
        """Requests counted so far in one RPM window (an eventually consistent read)."""
        return quota_table.get_rpm_count(quota_id, minute, consistent=False)

    # --- internals ---------------------------------------------------------------------

    def _audit(self, entry: LedgerEntry, actor_id: str | None, request: RequestMeta | None) -> None:
        if self.audit is None:
            return
        detail = {"entry_id": entry.entry_id, "amount": str(entry.amount), "ref": entry.ref}
        self.audit.record(user_id=entry.user_id, type="billing", action=f"ledger.{entry.type}", meta=request,
                          detail=detail, actor_id=actor_id)

    def _change(self, user_id: str, amount: Decimal, type_: str, ref: str, meta: dict[str, Any] | None,
                entry_id: str | None, membership: dict[str, Any] | None) -> LedgerEntry:
        if type_ not in ENTRY_TYPES:
            raise ValidationFailed(f"Unknown ledger entry type {type_!r}.")
        if q(amount) != amount or amount == 0:
            raise ValidationFailed("An amount is non-zero with at most six decimal places.")
        now = iso(self.clock.now())
        eid = entry_id or new_id(self.clock.now())

        def build() -> Txn:
            txn = Txn()
            ledger_table.change_available(txn, user_id, to_micros(amount), now, membership)
            ledger_table.put_entry(txn, user_id, eid, type_, to_micros(amount), ref, now, meta)
            return txn

        try:
            self._commit(build)
        except TxnCancelled as exc:
            if "entry" in exc.failed:
                raise AlreadyExists("This ledger entry was already written.", code="entry_exists") from exc
            raise InsufficientBalance() from exc
        return LedgerEntry(user_id, eid, type_, amount, ref, now, meta or {})

    def _settle_txn(self, hold: Hold, usage: TokenUsage, fields: RecordFields, cost: int, charged: int,
                    now: datetime, touch: bool) -> Txn:
        txn = Txn()
        ledger_table.delete_hold(txn, hold.user_id, hold.request_id)
        ledger_table.settle_held(txn, hold.user_id, hold.amount_micros, charged, iso(now))
        meta = {"model": hold.model, "provider": fields.provider, "key_id": hold.key_id,
                "input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens}
        ledger_table.put_entry(txn, hold.user_id, hold.request_id, "charge", -charged, hold.request_id,
                               iso(now), meta)
        quota_table.settle_period(txn, hold.quota_id, hold.period_key, hold.amount_micros, hold.tokens,
                                  charged, usage.input_tokens + usage.output_tokens)
        record = self._record(hold, fields, usage.input_tokens, usage.output_tokens, charged, cost - charged,
                              "stream_broken" if fields.stream_broken else "ok", now)
        usage_table.put_record(txn, record, self._ttl(now))
        usage_table.add_to_rollups(txn, record, hold.created_at.strftime("%Y-%m-%d"))
        if touch:
            quota_table.touch_key(txn, hold.key_hash, iso(now))
        return txn

    def _release_txn(self, hold: Hold, fields: RecordFields, outcome: str, now: datetime) -> Txn:
        txn = Txn()
        ledger_table.delete_hold(txn, hold.user_id, hold.request_id)
        ledger_table.settle_held(txn, hold.user_id, hold.amount_micros, 0, iso(now))
        quota_table.settle_period(txn, hold.quota_id, hold.period_key, hold.amount_micros, hold.tokens, 0, 0,
                                  requests=0)
        usage_table.put_record(txn, self._record(hold, fields, 0, 0, 0, 0, outcome, now), self._ttl(now))
        return txn

    def _record(self, hold: Hold, fields: RecordFields, tokens_in: int, tokens_out: int, charged: int,
                shortfall: int, outcome: str, now: datetime) -> usage_table.UsageRecord:
        return usage_table.UsageRecord(
            hold.request_id, hold.user_id, hold.key_id, hold.quota_id, fields.endpoint, hold.model,
            fields.provider, tokens_in, tokens_out, charged, shortfall, fields.status, outcome, fields.stream,
            fields.stream_broken, fields.latency_ms, hold.ip, (fields.error or None) and fields.error[:500],
            iso(hold.created_at))

    def _ttl(self, now: datetime) -> int:
        return int(now.timestamp()) + self.settings.usage_retention_days * 86400

    def _commit(self, build: Callable[[], Txn]) -> None:
        commit_with_retry(build, self._sleep, attempts=_ATTEMPTS)


def _reserve_error(failed: list[str], now: datetime) -> Exception:
    if "key" in failed:
        return KeyNotCurrent()
    if "rpm" in failed:
        return RateLimited("This key's requests-per-minute limit is reached.", retry_after=60 - now.second)
    if "quota" in failed:
        return QuotaExceeded()
    if "balance" in failed:
        return InsufficientBalance()
    return Conflict("This request id is already in flight.", code="duplicate_request")


def _hold_from_row(row: ledger_table.HoldRow) -> Hold:
    from ..kernel.clock import parse_iso

    return Hold(row.request_id, row.user_id, row.key_id, row.key_hash, row.quota_id, row.period_key, row.model,
                from_micros(row.amount), row.tokens, Decimal(0), Decimal(0), row.ip, parse_iso(row.created_at),
                parse_iso(row.expires_at))
