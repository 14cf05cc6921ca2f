"""Users' own providers (bring your own key) and the remaining credit of shared providers, in
the catalog table.

A user's providers live in their own partition `OWNPROV#<user_id>` (sk `PROV#<provider_id>`),
so a user's list, and the proxy's lookup by name, is one Query that can never see another
user's items. Names are unique per user (case-insensitive) by a guard item `NAME#<lower>` in
the same partition, written in the provider's transaction. Every own provider is also on gsi1
(`OWNPROV`) for the balance job. Deleting a provider deletes its item, ciphertext included.
Shared providers' balances are items `PROVBALANCE` / `<provider_id>` (one Query for all).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from ..kernel.clock import iso, parse_iso
from ..kernel.errors import AlreadyExists, NotFound
from .store import CatalogItem
from .types import OwnProvider, ProviderBalance

_JOB_INDEX = "OWNPROV"


def _pk(user_id: str) -> str:
    return f"OWNPROV#{user_id}"


def _name_sk(name: str) -> str:
    return f"NAME#{name.lower()}"


class OwnProviderItem(CatalogItem):
    creates_table: ClassVar[bool] = False

    user_id = UnicodeAttribute()
    name = UnicodeAttribute()
    type = UnicodeAttribute()
    base_url = UnicodeAttribute()
    api_key_enc = UnicodeAttribute()
    api_key_hint = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    balance_kind = UnicodeAttribute(null=True)
    low_balance_threshold = UnicodeAttribute(null=True)  # a decimal string
    balance_amount = UnicodeAttribute(null=True)
    balance_currency = UnicodeAttribute(null=True)
    balance_checked_at = UnicodeAttribute(null=True)
    low_balance_notified = BooleanAttribute(default=False)

    @classmethod
    def from_domain(cls, p: OwnProvider) -> OwnProviderItem:
        return cls(_pk(p.user_id), f"PROV#{p.provider_id}", gsi1pk=_JOB_INDEX, gsi1sk=p.provider_id,
                   user_id=p.user_id, name=p.name, type=p.type, base_url=p.base_url, api_key_enc=p.api_key_enc,
                   api_key_hint=p.api_key_hint, created_at=iso(p.created_at), updated_at=iso(p.updated_at),
                   balance_kind=p.balance_kind,
                   low_balance_threshold=None if p.low_balance_threshold is None else str(p.low_balance_threshold),
                   **_balance_values(p.balance), low_balance_notified=p.low_balance_notified)

    def to_domain(self) -> OwnProvider:
        return OwnProvider(
            provider_id=self.sk.removeprefix("PROV#"), user_id=self.user_id, name=self.name, type=self.type,
            base_url=self.base_url, api_key_enc=self.api_key_enc, api_key_hint=self.api_key_hint,
            created_at=parse_iso(self.created_at), updated_at=parse_iso(self.updated_at),
            balance_kind=self.balance_kind,
            low_balance_threshold=None if self.low_balance_threshold is None else Decimal(self.low_balance_threshold),
            balance=_balance_of(self.balance_amount, self.balance_currency, self.balance_checked_at),
            low_balance_notified=bool(self.low_balance_notified))


class OwnNameItem(CatalogItem):
    """Reserves a provider name within one user's partition."""

    creates_table: ClassVar[bool] = False

    owner_id = UnicodeAttribute()


class SharedBalanceItem(CatalogItem):
    creates_table: ClassVar[bool] = False

    balance_amount = UnicodeAttribute()
    balance_currency = UnicodeAttribute()
    balance_checked_at = UnicodeAttribute()


def _balance_values(b: ProviderBalance | None) -> dict[str, Any]:
    if b is None:
        return {"balance_amount": None, "balance_currency": None, "balance_checked_at": None}
    return {"balance_amount": str(b.amount), "balance_currency": b.currency, "balance_checked_at": iso(b.checked_at)}


def _balance_of(amount: str | None, currency: str | None, checked_at: str | None) -> ProviderBalance | None:
    if amount is None or currency is None or checked_at is None:
        return None
    return ProviderBalance(Decimal(amount), currency, parse_iso(checked_at))


def _connection() -> Connection:
    return Connection(region=CatalogItem.Meta.region, host=CatalogItem.Meta.host)


def _exists_error(name: str, exc: TransactWriteError) -> AlreadyExists | NotFound:
    if exc.cause_response_code != "TransactionCanceledException":
        raise exc
    reasons = [(getattr(r, "code", None) or "") if r is not None else "" for r in (exc.cancellation_reasons or [])]
    if reasons and reasons[0] == "ConditionalCheckFailed":
        return NotFound("No such provider.", code="provider_not_found")
    return AlreadyExists(f"You already have a provider named {name!r}.", code="provider_exists")


class OwnProviderStore:
    def providers_of(self, user_id: str) -> list[OwnProvider]:
        """The user's providers, oldest first (one strongly consistent Query)."""
        items = OwnProviderItem.query(_pk(user_id), OwnProviderItem.sk.startswith("PROV#"), consistent_read=True)
        return sorted((i.to_domain() for i in items), key=lambda p: p.created_at)

    def get(self, user_id: str, provider_id: str) -> OwnProvider:
        """The user's provider; NotFound for an unknown id or another user's provider."""
        try:
            return OwnProviderItem.get(_pk(user_id), f"PROV#{provider_id}", consistent_read=True).to_domain()
        except OwnProviderItem.DoesNotExist as exc:
            raise NotFound("No such provider.", code="provider_not_found") from exc

    def create(self, p: OwnProvider) -> None:
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.save(OwnProviderItem.from_domain(p), condition=OwnProviderItem.pk.does_not_exist())
                tx.save(OwnNameItem(_pk(p.user_id), _name_sk(p.name), owner_id=p.provider_id),
                        condition=OwnNameItem.pk.does_not_exist())
        except TransactWriteError as exc:
            raise _exists_error(p.name, exc) from exc

    def replace(self, old: OwnProvider, new: OwnProvider) -> None:
        """Write `new` over `old` (which must still exist); a rename moves the name guard."""
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.save(OwnProviderItem.from_domain(new), condition=OwnProviderItem.pk.exists())
                if new.name.lower() != old.name.lower():
                    tx.delete(OwnNameItem(_pk(old.user_id), _name_sk(old.name)))
                    tx.save(OwnNameItem(_pk(new.user_id), _name_sk(new.name), owner_id=new.provider_id),
                            condition=OwnNameItem.pk.does_not_exist())
        except TransactWriteError as exc:
            raise _exists_error(new.name, exc) from exc

    def delete(self, p: OwnProvider) -> None:
        """The provider item (and with it the key's ciphertext) and its name guard."""
        with TransactWrite(connection=_connection()) as tx:
            tx.delete(OwnProviderItem(_pk(p.user_id), f"PROV#{p.provider_id}"))
            tx.delete(OwnNameItem(_pk(p.user_id), _name_sk(p.name)))

    def set_balance(self, p: OwnProvider, balance: ProviderBalance, notified: bool) -> None:
        """Keep the balance just read; a provider deleted meanwhile is left deleted."""
        item = OwnProviderItem(_pk(p.user_id), f"PROV#{p.provider_id}")
        values = _balance_values(balance)
        actions = [getattr(OwnProviderItem, k).set(v) for k, v in values.items()]
        actions.append(OwnProviderItem.low_balance_notified.set(notified))
        try:
            item.update(actions=actions, condition=OwnProviderItem.pk.exists())
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            raise NotFound("No such provider.", code="provider_not_found") from exc

    def all_providers(self) -> list[OwnProvider]:
        """Every user's providers (the balance job), by gsi1."""
        return [i.to_domain() for i in OwnProviderItem.gsi1.query(_JOB_INDEX) if isinstance(i, OwnProviderItem)]

    def shared_balances(self) -> dict[str, ProviderBalance]:
        found = {}
        for i in SharedBalanceItem.query("PROVBALANCE"):
            balance = _balance_of(i.balance_amount, i.balance_currency, i.balance_checked_at)
            if balance is not None:
                found[i.sk] = balance
        return found

    def put_shared_balance(self, provider_id: str, balance: ProviderBalance) -> None:
        SharedBalanceItem("PROVBALANCE", provider_id, **_balance_values(balance)).save()
