"""Membership: plans (admin), renewal paid from the balance, auto-renewal, the access check.

A renewal is ONE transaction on the balance item (available >= price, the new plan and
expiry, on condition that the expiry is still the one the new one was computed from) plus
its `renewal` entry: short of money, nothing is written and the caller gets 402.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ..audit.service import AuditService
from ..kernel.clock import Clock, iso, parse_iso
from ..kernel.context import Caller, RequestMeta
from ..kernel.errors import AlreadyExists, BadRequest, Conflict, Forbidden, InsufficientBalance, NotFound
from ..kernel.ids import new_id
from ..kernel.money import from_micros, to_micros
from ..store.txn import Txn, TxnCancelled, commit_with_retry
from . import codes_store as plans_codes
from .codes_store import CodesStore
from .membership_store import MembershipStore
from .reads_store import LedgerStore
from .store import BalanceRow
from .types import Membership, OfferedPlan, Plan, Renewal

PLAN_PERIODS = ("day", "week", "month", "year", "days")
_RACE_ATTEMPTS = 3
# (user_id, kind, message, detail, dedupe) -> added; the notifications domain's `notify`.
Notify = Callable[[str, str, str, dict[str, Any], str], bool]


class MembershipRequired(Forbidden):
    code = "membership_required"
    default_message = "This deployment needs an active membership; renew it in the portal."


def add_period(start: datetime, period: str, days: int | None) -> datetime:
    """`start` plus one plan period; months and years keep the day, clamped to the month's end."""
    if period in ("day", "week", "days"):
        return start + timedelta(days={"day": 1, "week": 7}.get(period, days or 0))
    months = 1 if period == "month" else 12
    year, month = divmod(start.month - 1 + months, 12)
    year += start.year
    day = min(start.day, calendar.monthrange(year, month + 1)[1])
    return start.replace(year=year, month=month + 1, day=day)


def is_active(expires_at: str | None, now: datetime) -> bool:
    """A membership is active until its expiry (exclusive)."""
    return bool(expires_at) and parse_iso(expires_at or "") > now


class MembershipService:
    def __init__(self, store: MembershipStore, codes: CodesStore, ledger: LedgerStore, clock: Clock,
                 audit: AuditService, membership_required: bool, cache_seconds: int,
                 sleep: Callable[[float], None] = time.sleep, notify: Notify | None = None,
                 renewal_lead: timedelta = timedelta(hours=1)) -> None:
        self._store = store
        self._codes = codes
        self._ledger = ledger
        self._clock = clock
        self._notify = notify
        self._lead = renewal_lead
        self._audit = audit
        self._required = membership_required
        self._cache_seconds = cache_seconds
        self._sleep = sleep
        self._plans: tuple[float, list[plans_codes.PlanRow]] | None = None

    # --- plans (admin) -----------------------------------------------------------------

    def create_plan(self, admin: Caller, *, name: str, price: Decimal, period: str, days: int | None,
                    description: str = "", meta: RequestMeta | None = None) -> Plan:
        """A new plan; names are unique (case-insensitive); `days` only with period `days` (400 otherwise)."""
        self._check_plan(None, name, period, days)
        now = iso(self._clock.now())
        plan = plans_codes.PlanRow(new_id(self._clock.now()), name, to_micros(price), period, days, True, now, now,
                                   description)
        self._codes.put_plan(plan)
        self._plans = None
        self._audit.record(user_id=admin.user_id, type="admin", action="plan_created", meta=meta,
                           detail={"plan_id": plan.plan_id, "name": name, "price": str(price), "period": period})
        return plan_view(plan)

    def update_plan(self, admin: Caller, plan_id: str, changes: dict[str, Any],
                    meta: RequestMeta | None = None) -> Plan:
        """Edit a plan's name, price, period/days, description or `enabled` (a disabled plan
        cannot be bought or auto-renewed; members keep what they paid for)."""
        current = next((p for p in self.plans(fresh=True) if p.plan_id == plan_id), None)
        if current is None:
            raise NotFound("No such plan.", code="plan_not_found")
        fields = {k: v for k, v in changes.items() if k in ("name", "period", "days", "enabled", "description")}
        if "price" in changes:
            fields["price"] = to_micros(changes["price"])
        if fields.get("period", current.period) != "days" and "period" in fields:
            fields.setdefault("days", None)
        plan = replace(current, **fields, updated_at=iso(self._clock.now()))
        self._check_plan(plan.plan_id, plan.name, plan.period, plan.days)
        self._codes.put_plan(plan)
        self._plans = None
        self._audit.record(user_id=admin.user_id, type="admin", action="plan_updated", meta=meta,
                           detail={"plan_id": plan_id, **{k: str(v) for k, v in changes.items()}})
        return plan_view(plan)

    def _check_plan(self, plan_id: str | None, name: str, period: str, days: int | None) -> None:
        if (period == "days") != (days is not None):
            raise BadRequest("Give `days` exactly when period is `days`.", code="invalid_plan_period")
        if any(p.name.lower() == name.lower() and p.plan_id != plan_id for p in self.plans(fresh=True)):
            raise AlreadyExists(f"A plan named {name!r} already exists.", code="plan_exists")

    def offered_plans(self) -> list[OfferedPlan]:
        """The plans a user can buy (enabled), cheapest first, for GET /api/plans."""
        return [OfferedPlan(p.name, p.plan_id, from_micros(p.price), p.period, p.days, p.description)
                for p in sorted(self.plans(), key=lambda p: (p.price, p.name)) if p.enabled]

    def plans(self, fresh: bool = False) -> list[plans_codes.PlanRow]:
        """Every plan (a small partition, cached for CATALOG_CACHE_SECONDS)."""
        if fresh or self._plans is None or time.monotonic() - self._plans[0] > self._cache_seconds:
            self._plans = (time.monotonic(), self._codes.list_plans())
        return self._plans[1]

    def plan(self, ref: str) -> plans_codes.PlanRow:
        """A plan by id or name; NotFound otherwise."""
        for fresh in (False, True):
            for p in self.plans(fresh=fresh):
                if p.plan_id == ref or p.name.lower() == ref.lower():
                    return p
        raise NotFound("No such plan.", code="plan_not_found")

    # --- renewal -----------------------------------------------------------------------

    def renew(self, user_id: str, plan_ref: str, meta: RequestMeta | None = None) -> Renewal:
        """Pay one period of `plan` from the balance and extend the membership from the
        later of now and the current expiry. InsufficientBalance (402), nothing written,
        when available is short."""
        plan = self.plan(plan_ref)
        if not plan.enabled:
            raise Conflict("This plan is no longer offered.", code="plan_disabled")
        for _ in range(_RACE_ATTEMPTS):
            row = self._ledger.balance(user_id)
            now = self._clock.now()
            current = parse_iso(row.expires_at) if row.expires_at else None
            new_expiry = add_period(max(now, current) if current else now, plan.period, plan.days)
            if self._extend(user_id, plan, row.expires_at, new_expiry, now, source="renew"):
                self._audit.record(user_id=user_id, type="billing", action="membership_renewed", meta=meta,
                                   detail={"plan": plan.name, "price": str(from_micros(plan.price)),
                                           "expires_at": iso(new_expiry)})
                fresh = self._ledger.balance(user_id)
                return Renewal(self._view(fresh), from_micros(fresh.available))
        raise Conflict("The membership changed meanwhile; try again.", code="membership_changed")

    def _extend(self, user_id: str, plan: plans_codes.PlanRow, expected: str | None, new_expiry: datetime,
                now: datetime, source: str) -> bool:
        """One transaction; False when the expiry moved meanwhile, InsufficientBalance when short."""
        now_iso = iso(now)

        def build() -> Txn:
            txn = Txn()
            self._store.extend(txn, user_id, price=plan.price, plan_id=plan.plan_id,
                               expires_at=iso(new_expiry), expected_expires_at=expected, now_iso=now_iso)
            self._ledger.put_entry(txn, user_id, new_id(now), "renewal", -plan.price, plan.plan_id, now_iso,
                                   {"plan": plan.name, "expires_at": iso(new_expiry), "source": source})
            return txn

        try:
            commit_with_retry(build, self._sleep)
        except TxnCancelled as exc:
            if self._ledger.balance(user_id).expires_at != expected:
                return False
            raise InsufficientBalance("The balance is too low for this plan; top up first.") from exc
        return True

    def set_auto_renew(self, user_id: str, enabled: bool, meta: RequestMeta | None = None) -> Membership:
        """Turn automatic renewal at expiry on or off."""
        self._store.set_auto_renew(user_id, enabled, iso(self._clock.now()))
        self._audit.record(user_id=user_id, type="billing", action="auto_renew_changed", meta=meta,
                           detail={"enabled": enabled})
        return self.membership_of(user_id)

    def renew_due(self, now: datetime, limit: int = 100) -> dict[str, int]:
        """The renewal job: memberships expiring within the renewal lead (1 h) are renewed from their
        expiry (no gap) when auto-renew is on and the balance covers the plan; at expiry a
        membership that is not renewed ends, with a warning in the user's log. Idempotent:
        each write is conditional on the expiry it read."""
        out = {"renewed": 0, "lapsed": 0, "expired": 0}
        for due in self._store.due(iso(now + self._lead), limit=limit):
            row = self._ledger.balance(due.user_id)
            if row.expires_at != due.expires_at:  # the index lags, or someone renewed meanwhile
                continue
            expiry = parse_iso(due.expires_at)
            reason = self._try_auto_renew(row, expiry, now) if row.auto_renew else "auto_renew_off"
            if reason == "renewed":
                out["renewed"] += 1
            elif reason not in ("auto_renew_off", "changed"):
                self._tell(due.user_id, "membership_renewal_failed",
                           f"Your membership could not be renewed ({reason.replace('_', ' ')}); it ends at "
                           f"{due.expires_at}.", {"reason": reason, "expires_at": due.expires_at}, due.expires_at)
            if reason != "renewed" and expiry <= now and self._store.end(due.user_id, due.expires_at,
                                                                         iso(now)):
                lapsed = reason != "auto_renew_off"
                out["lapsed" if lapsed else "expired"] += 1
                self._audit.record(user_id=due.user_id, type="billing",
                                   action="membership_lapsed" if lapsed else "membership_expired",
                                   detail={"plan": row.plan, "expired_at": due.expires_at, "reason": reason,
                                           "level": "warning"})
                self._tell(due.user_id, "membership_expired", "Your membership has ended.",
                           {"expired_at": due.expires_at, "reason": reason}, due.expires_at)
        return out

    def notify_expiring(self, now: datetime, within: timedelta = timedelta(days=3), limit: int = 100) -> int:
        """One notice per membership (and expiry) ending within `within`; returns notices sent."""
        sent = 0
        for due in self._store.due(iso(now + within), limit=limit):
            row = self._ledger.balance(due.user_id, consistent=False)
            if row.expires_at != due.expires_at or parse_iso(due.expires_at) <= now:
                continue
            plan = self._view(row).plan
            how = "It renews automatically if your balance covers it." if row.auto_renew else "Renew it in the portal."
            sent += self._tell(due.user_id, "membership_expiring", f"Your membership {plan} ends at {due.expires_at}. "
                               f"{how}", {"plan": plan, "expires_at": due.expires_at, "auto_renew": row.auto_renew},
                               due.expires_at)
        return sent

    def _tell(self, user_id: str, kind: str, message: str, detail: dict[str, Any], dedupe: str) -> bool:
        return self._notify is not None and self._notify(user_id, kind, message, detail, dedupe)

    def _try_auto_renew(self, row: BalanceRow, expiry: datetime, now: datetime) -> str:
        try:
            plan = self.plan(row.plan or "")
        except NotFound:
            return "plan_not_found"
        if not plan.enabled:
            return "plan_disabled"
        new_expiry = add_period(expiry, plan.period, plan.days)
        while new_expiry <= now:  # the job was down for longer than a period: start from now
            new_expiry = add_period(now, plan.period, plan.days)
        try:
            if not self._extend(row.user_id, plan, row.expires_at, new_expiry, now, source="auto_renew"):
                return "changed"
        except InsufficientBalance:
            return "insufficient_balance"
        detail = {"plan": plan.name, "price": str(from_micros(plan.price)), "expires_at": iso(new_expiry)}
        self._audit.record(user_id=row.user_id, type="billing", action="membership_renewed",
                           detail={**detail, "auto": True})
        self._tell(row.user_id, "membership_renewed", f"Your membership {plan.name} was renewed for "
                   f"{from_micros(plan.price)} USD until {iso(new_expiry)}.", detail, row.expires_at or "")
        return "renewed"

    # --- reads -------------------------------------------------------------------------

    def membership_of(self, user_id: str) -> Membership:
        """The user's plan, its expiry, auto-renewal and whether it is active (for /api/me)."""
        return self._view(self._ledger.balance(user_id))

    def require_membership(self, user_id: str, now: datetime,
                           balance: BalanceRow | None = None) -> None:
        """The proxy's check when MEMBERSHIP_REQUIRED is on (no-op otherwise): raises
        MembershipRequired (403 `membership_required`) without an active membership. Pass
        the balance row if it was already read, to save the read."""
        if not self._required:
            return
        row = balance if balance is not None else self._ledger.balance(user_id, consistent=False)
        if not is_active(row.expires_at, now):
            raise MembershipRequired()

    def _view(self, row: BalanceRow) -> Membership:
        name = None
        if row.plan:
            try:
                name = self.plan(row.plan).name
            except NotFound:
                name = row.plan
        return Membership(name, row.plan, row.expires_at, row.auto_renew, is_active(row.expires_at, self._clock.now()))


def plan_view(p: plans_codes.PlanRow) -> Plan:
    return Plan(p.plan_id, p.name, from_micros(p.price), p.period, p.days, p.enabled, p.description, p.created_at,
                p.updated_at)
