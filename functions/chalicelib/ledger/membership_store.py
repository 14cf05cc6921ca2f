"""Membership fields of the ledger's balance item (`USER#<user_id>`/`BALANCE`).

The balance item (model in `ledger.py`) carries `plan` (a plan id), `expires_at` and
`auto_renew`. While a membership is live the item is also in gsi1 under
`MEMBERSHIP`/`<expires_at>`, so the renewal job finds what is due with one Query, never a
scan; the job takes the item out of the index when the membership ends.

Every write is conditional on the `expires_at` it was computed from (optimistic
concurrency): two renewals racing extend once and charge once, and a job run twice finds
nothing left to do.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition

from ..store.txn import Txn
from .store import BALANCE_SK, BalanceItem, user_pk

MEMBERSHIP = "MEMBERSHIP"


@dataclass(frozen=True)
class DueMembership:
    user_id: str
    expires_at: str


def _same_expiry(expected: str | None) -> Condition:
    return BalanceItem.expires_at.does_not_exist() if expected is None else BalanceItem.expires_at == expected


class MembershipStore:
    """The membership fields of the balance item and the renewal index."""

    def extend(self, txn: Txn, user_id: str, *, price: int, plan_id: str, expires_at: str,
               expected_expires_at: str | None, now_iso: str) -> None:
        """Label `balance`: debit `price` (refused when available is short) and set the plan and
        the new expiry, only if the expiry is still `expected_expires_at` (label `balance` too:
        the service re-reads to tell the two apart)."""
        item = BalanceItem(user_pk(user_id), BALANCE_SK)
        actions = [BalanceItem.available.add(-price), BalanceItem.held.add(0), BalanceItem.updated_at.set(now_iso),
                   BalanceItem.plan.set(plan_id), BalanceItem.expires_at.set(expires_at),
                   BalanceItem.gsi1pk.set(MEMBERSHIP), BalanceItem.gsi1sk.set(expires_at)]
        condition = _same_expiry(expected_expires_at)
        if price > 0:
            condition = condition & (BalanceItem.available >= price)
        txn.update("balance", item, actions, condition)

    def set_auto_renew(self, user_id: str, enabled: bool, now_iso: str) -> None:
        """Turn auto-renewal on or off (creates a zero balance item if there is none)."""
        BalanceItem(user_pk(user_id), BALANCE_SK).update([
            BalanceItem.auto_renew.set(enabled), BalanceItem.available.add(0), BalanceItem.held.add(0),
            BalanceItem.updated_at.set(now_iso)])

    def due(self, before_iso: str, limit: int = 100) -> list[DueMembership]:
        """Memberships whose expiry is at or before `before_iso`, soonest first."""
        items = BalanceItem.gsi1.query(MEMBERSHIP, BalanceItem.gsi1sk <= before_iso, limit=limit)
        return [DueMembership(i.pk.removeprefix("USER#"), i.expires_at or "") for i in items]

    def end(self, user_id: str, expected_expires_at: str, now_iso: str) -> bool:
        """Take an ended membership out of the renewal index (the plan and expiry stay, for
        display). False when another writer changed it first (renewed, or already ended)."""
        try:
            BalanceItem(user_pk(user_id), BALANCE_SK).update(
                [BalanceItem.gsi1pk.remove(), BalanceItem.gsi1sk.remove(), BalanceItem.updated_at.set(now_iso)],
                condition=(BalanceItem.expires_at == expected_expires_at) & BalanceItem.gsi1pk.exists())
        except UpdateError as exc:
            if getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException":
                return False
            raise
        return True

