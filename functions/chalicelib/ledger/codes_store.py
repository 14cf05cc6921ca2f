"""The ledger area's items in the `catalog` table: membership plans and redemption codes.

Layout (docs/internals.md):
- plan `PLAN`/<plan_id>: `name`, `price` (micro-dollars), `period` (day|week|month|year|days),
  `days` (for period=days), `enabled`;
- code batch `CODEBATCH`/<batch_id>: `size`, `amount`, `expires_at`, `note`, `created_by`,
  `swept` (the clean-up job marked its unused codes expired);
- redemption code `CODE#<keyed hash>`/`CODE` with gsi1 `CODEBATCH#<batch_id>`/<code_id>:
  `status` unused|redeemed|expired, `amount`, `expires_at`, `redeemed_by`, `redeemed_at`.
The plaintext of a code is never stored: only `crypto.keyed_hash(secret_key, code)`.
The catalog area's model declares (creates) the table; these models only use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, UpdateError

from ..store.base import Gsi1, IndexedItem, TableModel
from ..store.txn import Txn

PLAN_PK = "PLAN"
BATCH_PK = "CODEBATCH"


class PlanItem(TableModel):
    table = "catalog"

    name = UnicodeAttribute()
    price = NumberAttribute()  # micro-dollars
    period = UnicodeAttribute()
    days = NumberAttribute(null=True)
    enabled = BooleanAttribute(default=True)
    description = UnicodeAttribute(default="")
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class CodeBatchItem(TableModel):
    table = "catalog"

    size = NumberAttribute()  # how many codes
    amount = NumberAttribute()  # micro-dollars per code
    expires_at = UnicodeAttribute(null=True)
    note = UnicodeAttribute(default="")
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    revoked_at = UnicodeAttribute(null=True)
    swept = BooleanAttribute(default=False)


class CodeItem(IndexedItem):
    table = "catalog"

    batch_index: Gsi1[CodeItem] = Gsi1()
    ttl = NumberAttribute(null=True)

    code_id = UnicodeAttribute()
    batch_id = UnicodeAttribute()
    amount = NumberAttribute()  # micro-dollars
    status = UnicodeAttribute(default="unused")
    expires_at = UnicodeAttribute(null=True)
    redeemed_by = UnicodeAttribute(null=True)
    redeemed_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()


@dataclass(frozen=True)
class PlanRow:
    plan_id: str
    name: str
    price: int
    period: str
    days: int | None
    enabled: bool
    created_at: str
    updated_at: str
    description: str = ""


@dataclass(frozen=True)
class BatchRow:
    batch_id: str
    count: int
    amount: int
    expires_at: str | None
    note: str
    created_by: str
    created_at: str
    swept: bool
    revoked_at: str | None = None


@dataclass(frozen=True)
class CodeRow:
    code_hash: str
    code_id: str
    batch_id: str
    amount: int
    status: str
    expires_at: str | None
    redeemed_by: str | None
    redeemed_at: str | None
    created_at: str


class CodesStore:
    """Membership plans, redemption code batches and codes (items in the catalog table)."""

    # --- plans ---------------------------------------------------------------------------

    def put_plan(self, plan: PlanRow) -> None:
        PlanItem(PLAN_PK, plan.plan_id, name=plan.name, price=plan.price, period=plan.period, days=plan.days,
                 enabled=plan.enabled, description=plan.description, created_at=plan.created_at,
                 updated_at=plan.updated_at).save()

    def list_plans(self) -> list[PlanRow]:
        """The whole (small) plan partition."""
        return [PlanRow(i.sk, i.name, int(i.price), i.period, None if i.days is None else int(i.days),
                        bool(i.enabled), i.created_at, i.updated_at, i.description or "")
                for i in PlanItem.query(PLAN_PK)]

    # --- codes ---------------------------------------------------------------------------

    def put_batch(self, batch: BatchRow, codes: list[CodeRow]) -> None:
        """Write a batch's codes, then the batch item. A crash half-way leaves codes nobody was
        shown (harmless: they are stored hashed) and no batch item."""
        with CodeItem.batch_write() as writer:
            for c in codes:
                writer.save(CodeItem(f"CODE#{c.code_hash}", "CODE", gsi1pk=f"CODEBATCH#{c.batch_id}", gsi1sk=c.code_id,
                                     code_id=c.code_id, batch_id=c.batch_id, amount=c.amount, status=c.status,
                                     expires_at=c.expires_at, created_at=c.created_at))
        CodeBatchItem(BATCH_PK, batch.batch_id, size=batch.count, amount=batch.amount, expires_at=batch.expires_at,
                      note=batch.note, created_by=batch.created_by, created_at=batch.created_at, swept=False).save()

    def list_batches(self, limit: int, start: dict[str, Any] | None) -> tuple[list[BatchRow], dict[str, Any] | None]:
        """Batches newest first (batch ids are ULIDs)."""
        items = CodeBatchItem.query(BATCH_PK, scan_index_forward=False, limit=limit, last_evaluated_key=start)
        rows = [_batch(i) for i in items]
        return rows, items.last_evaluated_key

    def get_batch(self, batch_id: str) -> BatchRow | None:
        try:
            return _batch(CodeBatchItem.get(BATCH_PK, batch_id))
        except DoesNotExist:
            return None

    def codes_of_batch(self, batch_id: str) -> list[CodeRow]:
        return [_code(i) for i in CodeItem.batch_index.query(f"CODEBATCH#{batch_id}")]

    def get_code(self, code_hash: str) -> CodeRow | None:
        try:
            return _code(CodeItem.get(f"CODE#{code_hash}", "CODE", consistent_read=True))
        except DoesNotExist:
            return None

    def redeem_code(self, txn: Txn, code_hash: str, amount: int, user_id: str, now_iso: str) -> None:
        """Label `code`: mark an unused, unexpired code of this amount redeemed by `user_id`.
        The condition is the whole guard: of two racing redemptions only one commits."""
        item = CodeItem(f"CODE#{code_hash}", "CODE")
        condition = ((CodeItem.status == "unused") & (CodeItem.amount == amount)
                     & (CodeItem.expires_at.does_not_exist() | (CodeItem.expires_at > now_iso)))
        txn.update("code", item, [CodeItem.status.set("redeemed"), CodeItem.redeemed_by.set(user_id),
                                  CodeItem.redeemed_at.set(now_iso)], condition)

    def expire_code(self, code_hash: str, ttl: int, status: str = "expired") -> bool:
        """Mark an unused code `expired` (clean-up job) or `revoked`; False if it was redeemed or
        already retired."""
        try:
            CodeItem(f"CODE#{code_hash}", "CODE").update(
                [CodeItem.status.set(status), CodeItem.ttl.set(ttl)], condition=CodeItem.status == "unused")
        except UpdateError as exc:
            if getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def mark_batch_revoked(self, batch_id: str, now_iso: str) -> None:
        CodeBatchItem(BATCH_PK, batch_id).update([CodeBatchItem.revoked_at.set(now_iso)])

    def mark_batch_swept(self, batch_id: str) -> None:
        CodeBatchItem(BATCH_PK, batch_id).update([CodeBatchItem.swept.set(True)])


def _batch(i: CodeBatchItem) -> BatchRow:
    return BatchRow(i.sk, int(i.size), int(i.amount), i.expires_at, i.note or "", i.created_by, i.created_at,
                    bool(i.swept), i.revoked_at)


def _code(i: CodeItem) -> CodeRow:
    return CodeRow(i.pk.removeprefix("CODE#"), i.code_id, i.batch_id, int(i.amount), i.status, i.expires_at,
                   i.redeemed_by, i.redeemed_at, i.created_at)
