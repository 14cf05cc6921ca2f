"""Money rules of a proxied request: reserve the worst case, settle the actual, never overspend.

Each step is ONE DynamoDB transaction, so no crash between writes can leave money,
quota and records disagreeing:
- `reserve`: balance `available -> held` (refused below the hold), quota period usage
  (refused past a limit), the RPM window's conditional increment, the hold item, and a
  check that the key is still active;
- `settle`: delete the hold (it must exist: a retried settle cannot charge twice), debit
  the actual cost but never more than the hold, append the `charge` entry keyed by the
  request id, replace the quota reservation by the actual figures; money only. Then the
  request record, its own conditional put (idempotent on the request id; the rollups follow
  from the usage table's stream), and the key's `last_used_at` at most once a minute;
- `release`: the same without a charge, for upstream failures and expired holds.
Amounts are Decimal here and integer micro-dollars in the tables.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
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
from . import quota_store as quota_table
from .records import RequestRecords
from .types import (
    Hold,
    QuotaUsage,
    RecordFields,
    Settlement,
    Tokens,
    TokenUsage,
    bounded_usage,
    charged_output,
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
        self.records = RequestRecords(settings.usage_retention_days)

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
        """Charge what was used, never more than the hold, and close the hold.

        What was used is the upstream's report, except output it under-reported against
        `fields.delivered_output_tokens` (`types.charged_output`): then the delivered estimate,
        and the record keeps the upstream's figure (`reported_output_tokens`, outcome
        `usage_under_reported`) for the admins.

        The money moves in one transaction (hold, balance, ledger entry, quota period); the
        request record follows in its own conditional put. An upstream that reported more than
        the hold allowed costs the user the hold: the excess is the provider's overage, recorded
        on the request for the admins. A second settle of the same hold changes nothing and
        answers `already_settled`."""
        now = self.clock.now()
        reported = bounded_usage(usage)
        used = Tokens(reported.input_tokens, charged_output(reported.output_tokens, fields.delivered_output_tokens))
        cost = cost_of(used.input_tokens, used.output_tokens, hold.input_price, hold.output_price)
        charged = min(to_micros(cost), hold.amount_micros)
        tokens = min(used.input_tokens + used.output_tokens, hold.tokens)
        unknown = False  # an earlier attempt may have committed without our hearing of it
        for attempt in range(3):
            try:
                self._commit(lambda: self._settle_txn(hold, used, fields.provider, charged, tokens, now))
                break
            except TxnCancelled as exc:
                if "hold" in exc.failed and unknown:
                    break  # our lost attempt did it: the hold is gone because it was charged
                if "hold" in exc.failed:
                    return Settlement(hold.request_id, cost, Decimal(0), Decimal(0), already_settled=True)
                raise ServiceUnavailable("The request could not be settled; retry.") from exc
            except ServiceUnavailable:
                if attempt == 2:
                    raise
                unknown = True
        overage = to_micros(cost) - charged
        under_reported = used.output_tokens != reported.output_tokens
        outcome = "stream_broken" if fields.stream_broken else "usage_under_reported" if under_reported else "ok"
        self.records.write(hold, fields, (used.input_tokens, used.output_tokens), (charged, overage), outcome, now,
                           touch_key=True, reported_output=reported.output_tokens if under_reported else None)
        return Settlement(hold.request_id, cost, from_micros(charged), from_micros(overage))

    def release(self, hold: Hold, fields: RecordFields, outcome: str = "upstream_error") -> bool:
        """Give the hold back and charge nothing (upstream failure, expired hold); the
        request record says why. False if the hold had already ended."""
        now = self.clock.now()
        try:
            self._commit(lambda: self._release_txn(hold, now))
        except TxnCancelled as exc:
            if "hold" in exc.failed:
                return False
            raise ServiceUnavailable("The hold could not be released; retry.") from exc
        self.records.write(hold, fields, (0, 0), (0, 0), outcome, now, touch_key=False)
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

    def _settle_txn(self, hold: Hold, usage: TokenUsage, provider: str, charged: int, tokens: int,
                    now: datetime) -> Txn:
        """Money only: the hold goes, the charge (<= the hold) is debited with its entry, the
        quota's reservation becomes what was used (<= what was reserved)."""
        txn = Txn()
        ledger_table.delete_hold(txn, hold.user_id, hold.request_id)
        ledger_table.settle_held(txn, hold.user_id, hold.amount_micros, charged, iso(now))
        meta = {"model": hold.model, "provider": provider, "key_id": hold.key_id,
                "input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens}
        ledger_table.put_entry(txn, hold.user_id, hold.request_id, "charge", -charged, hold.request_id,
                               iso(now), meta)
        quota_table.settle_period(txn, hold.quota_id, hold.period_key, hold.amount_micros, hold.tokens,
                                  charged, tokens)
        return txn

    def _release_txn(self, hold: Hold, now: datetime) -> Txn:
        txn = Txn()
        ledger_table.delete_hold(txn, hold.user_id, hold.request_id)
        ledger_table.settle_held(txn, hold.user_id, hold.amount_micros, 0, iso(now))
        quota_table.settle_period(txn, hold.quota_id, hold.period_key, hold.amount_micros, hold.tokens, 0, 0,
                                  requests=0)
        return txn

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
