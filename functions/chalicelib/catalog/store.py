"""The `catalog` table: providers, models, model groups (and the ledger area's plans, codes).

Each kind lives in one partition (`PROVIDER`, `MODEL`, `GROUP`) so the whole catalog is
read with one Query per partition and cached in memory (see `services/catalog.py`).
Public names of models and groups are unique: a guard item (`MODELNAME#<lower>` /
`GROUPNAME#<lower>`, sk `GUARD`) is written in the same transaction as the item.
Prices are stored as integer micro-dollars per 1M tokens (exact; NumberAttribute goes
through float for non-integers).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from ..kernel.clock import iso, parse_iso, parse_iso_or_none
from ..kernel.errors import AlreadyExists, Conflict, NotFound
from ..kernel.money import from_micros, to_micros
from ..store.base import Gsi1, TableModel, string_list
from ..upstreams.types import BedrockSettings
from .types import CatalogModel, Group, HealthCheck, Provider, ProviderHealth, QuotaLimits


class CatalogItem(TableModel):
    """Declares the catalog table (keys, gsi1, ttl); every catalog item type derives from it."""

    table: ClassVar[str] = "catalog"
    creates_table: ClassVar[bool] = True
    ttl_attribute: ClassVar[str | None] = "ttl"

    class Meta(TableModel.Meta):
        pass

    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    ttl = TTLAttribute(null=True)
    gsi1: Gsi1[CatalogItem] = Gsi1()


class ProviderItem(CatalogItem):
    creates_table: ClassVar[bool] = False

    name = UnicodeAttribute()
    type = UnicodeAttribute()
    base_url = UnicodeAttribute()
    api_key_enc = UnicodeAttribute()
    api_key_hint = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    last_test_ok = BooleanAttribute(null=True)
    last_test_at = UnicodeAttribute(null=True)
    last_test_detail = UnicodeAttribute(null=True)
    last_latency_ms = NumberAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    last_error_at = UnicodeAttribute(null=True)
    consecutive_failures = NumberAttribute(default=0)
    unhealthy_until = UnicodeAttribute(null=True)
    health_history = UnicodeAttribute(null=True)  # JSON list of the recent checks, newest first
    bedrock = UnicodeAttribute(null=True)  # type "bedrock": JSON {region, inference_profile, role_arn}
    responses_api = BooleanAttribute(null=True)  # type "openai": /v1/responses passes through (absent: no)

    def to_domain(self) -> Provider:
        return Provider(
            provider_id=self.sk, name=self.name, type=self.type, base_url=self.base_url,
            api_key_enc=self.api_key_enc, api_key_hint=self.api_key_hint,
            created_at=parse_iso(self.created_at), updated_at=parse_iso(self.updated_at),
            health=ProviderHealth(
                last_test_ok=self.last_test_ok, last_test_at=parse_iso_or_none(self.last_test_at),
                last_test_detail=self.last_test_detail,
                last_latency_ms=int(self.last_latency_ms) if self.last_latency_ms is not None else None,
                last_error=self.last_error, last_error_at=parse_iso_or_none(self.last_error_at),
                consecutive_failures=int(self.consecutive_failures or 0),
                unhealthy_until=parse_iso_or_none(self.unhealthy_until), history=_history(self.health_history),
            ),
            bedrock=BedrockSettings(**json.loads(self.bedrock)) if self.bedrock else None,
            responses_api=bool(self.responses_api),
        )


def bedrock_text(settings: BedrockSettings | None) -> str | None:
    """How a Bedrock provider's settings are kept on its item (None for other types)."""
    return json.dumps(asdict(settings), sort_keys=True) if settings else None


def _history(text: str | None) -> tuple[HealthCheck, ...]:
    rows = json.loads(text) if text else []
    return tuple(HealthCheck(parse_iso(r["at"]), bool(r["ok"]), int(r.get("latency_ms") or 0), r.get("error"))
                 for r in rows)


def _history_text(checks: list[HealthCheck]) -> str:
    return json.dumps([{"at": iso(c.at), "ok": c.ok, "latency_ms": c.latency_ms, "error": c.error} for c in checks],
                      separators=(",", ":"))


class ModelItem(CatalogItem):
    creates_table: ClassVar[bool] = False

    name = UnicodeAttribute()
    provider_id = UnicodeAttribute()
    upstream_model = UnicodeAttribute()
    input_price_micro = NumberAttribute()
    output_price_micro = NumberAttribute()
    capabilities = string_list(default=list)
    max_output_tokens = NumberAttribute()
    enabled = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    @classmethod
    def from_domain(cls, m: CatalogModel) -> ModelItem:
        return cls(
            "MODEL", m.model_id, name=m.name, provider_id=m.provider_id, upstream_model=m.upstream_model,
            input_price_micro=to_micros(m.input_price), output_price_micro=to_micros(m.output_price),
            capabilities=list(m.capabilities), max_output_tokens=m.max_output_tokens, enabled=m.enabled,
            created_at=iso(m.created_at), updated_at=iso(m.updated_at),
        )

    def to_domain(self) -> CatalogModel:
        return CatalogModel(
            model_id=self.sk, name=self.name, provider_id=self.provider_id, upstream_model=self.upstream_model,
            input_price=from_micros(self.input_price_micro), output_price=from_micros(self.output_price_micro),
            capabilities=tuple(self.capabilities or ()), max_output_tokens=int(self.max_output_tokens),
            enabled=bool(self.enabled), created_at=parse_iso(self.created_at), updated_at=parse_iso(self.updated_at),
        )


class GroupItem(CatalogItem):
    creates_table: ClassVar[bool] = False

    name = UnicodeAttribute()
    models = string_list(default=list)
    dq_period = UnicodeAttribute()
    dq_limit_cost_micro = NumberAttribute(null=True)
    dq_limit_tokens = NumberAttribute(null=True)
    dq_rpm = NumberAttribute(null=True)
    dq_warn_at = string_list(default=list)
    dq_auto_renew = BooleanAttribute(default=True)
    dq_allow_own_providers = BooleanAttribute(null=True)  # absent: allowed
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    @classmethod
    def from_domain(cls, g: Group) -> GroupItem:
        d = g.default_quota
        return cls(
            "GROUP", g.group_id, name=g.name, models=list(g.models), dq_period=d.period,
            dq_limit_cost_micro=to_micros(d.limit_cost) if d.limit_cost is not None else None,
            dq_limit_tokens=d.limit_tokens, dq_rpm=d.rpm, dq_warn_at=[str(f) for f in d.warn_at],
            dq_auto_renew=d.auto_renew, dq_allow_own_providers=d.allow_own_providers,
            created_at=iso(g.created_at), updated_at=iso(g.updated_at),
        )

    def to_domain(self) -> Group:
        return Group(
            group_id=self.sk, name=self.name, models=tuple(self.models or ()),
            default_quota=QuotaLimits(
                period=self.dq_period,
                limit_cost=from_micros(self.dq_limit_cost_micro) if self.dq_limit_cost_micro is not None else None,
                limit_tokens=int(self.dq_limit_tokens) if self.dq_limit_tokens is not None else None,
                rpm=int(self.dq_rpm) if self.dq_rpm is not None else None,
                warn_at=tuple(Decimal(f) for f in self.dq_warn_at or ()),
                auto_renew=bool(self.dq_auto_renew),
                allow_own_providers=self.dq_allow_own_providers is not False,
            ),
            created_at=parse_iso(self.created_at), updated_at=parse_iso(self.updated_at),
        )


class NameGuardItem(CatalogItem):
    """Reserves a public name (`MODELNAME#<lower>`, `GROUPNAME#<lower>` or `PROVIDERNAME#<lower>`) for one item."""

    creates_table: ClassVar[bool] = False

    owner_id = UnicodeAttribute()


def _guard_pk(kind: str, name: str) -> str:
    return f"{kind}NAME#{name.lower()}"


def _connection() -> Connection:
    return Connection(region=CatalogItem.Meta.region, host=CatalogItem.Meta.host)


def _cancelled(exc: TransactWriteError) -> list[str]:
    """Per-item cancellation codes ("" for items that did not fail); re-raises anything
    that is not a cancelled transaction (throttling, a missing table...)."""
    if exc.cause_response_code != "TransactionCanceledException":
        raise exc
    return [(getattr(r, "code", None) or "") if r is not None else "" for r in (exc.cancellation_reasons or [])]


class CatalogStore:
    """Storage for providers, models and groups; every kind is one partition."""

    # --- reads ---

    def load_providers(self) -> list[Provider]:
        return [i.to_domain() for i in ProviderItem.query("PROVIDER", consistent_read=True)]

    def load_models(self) -> list[CatalogModel]:
        return [i.to_domain() for i in ModelItem.query("MODEL", consistent_read=True)]

    def load_groups(self) -> list[Group]:
        return [i.to_domain() for i in GroupItem.query("GROUP", consistent_read=True)]

    def get_provider(self, provider_id: str) -> Provider:
        try:
            return ProviderItem.get("PROVIDER", provider_id, consistent_read=True).to_domain()
        except ProviderItem.DoesNotExist as exc:
            raise NotFound("No such provider.", code="provider_not_found") from exc

    # --- providers ---

    def create_provider(self, p: Provider) -> None:
        """The provider item and its name guard `PROVIDERNAME#<lower>`, together."""
        item = ProviderItem(
            "PROVIDER", p.provider_id, name=p.name, type=p.type, base_url=p.base_url,
            api_key_enc=p.api_key_enc, api_key_hint=p.api_key_hint,
            created_at=iso(p.created_at), updated_at=iso(p.updated_at), consecutive_failures=0,
            bedrock=bedrock_text(p.bedrock), responses_api=p.responses_api or None,
        )
        self._create_named("PROVIDER", p.provider_id, p.name, item)

    def update_provider_settings(self, provider_id: str, fields: dict[str, Any], at: datetime,
                                 old_name: str = "") -> Provider:
        """Change admin fields only, so a concurrent health update from the proxy is kept. A
        rename moves the name guard in the same transaction (the old guard may be missing on
        providers created before guards existed, so its delete is unconditional)."""
        stored = {k: bedrock_text(v) if isinstance(v, BedrockSettings) else v for k, v in fields.items()}
        actions = [getattr(ProviderItem, k).set(v) for k, v in stored.items()]
        actions.append(ProviderItem.updated_at.set(iso(at)))
        new_name = fields.get("name")
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.update(ProviderItem("PROVIDER", provider_id), actions=actions, condition=ProviderItem.pk.exists())
                if new_name is not None and new_name.lower() != old_name.lower():
                    tx.delete(NameGuardItem(_guard_pk("PROVIDER", old_name), "GUARD"))
                    tx.save(NameGuardItem(_guard_pk("PROVIDER", new_name), "GUARD", owner_id=provider_id),
                            condition=NameGuardItem.pk.does_not_exist())
        except TransactWriteError as exc:
            reasons = _cancelled(exc)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                raise NotFound("No such provider.", code="provider_not_found") from exc
            raise AlreadyExists(f"A provider named {new_name!r} already exists.", code="provider_exists") from exc
        return self.get_provider(provider_id)

    def update_provider_health(self, provider_id: str, fields: dict[str, Any],
                               add_failure: bool = False) -> Provider:
        item = ProviderItem("PROVIDER", provider_id)
        values = {k: _history_text(v) if k == "health_history" else v for k, v in fields.items()}
        actions = [
            getattr(ProviderItem, k).set(iso(v) if isinstance(v, datetime) else v) if v is not None
            else getattr(ProviderItem, k).remove()
            for k, v in values.items()
        ]
        if add_failure:
            actions.append(ProviderItem.consecutive_failures.add(1))
        try:
            item.update(actions=actions, condition=ProviderItem.pk.exists())
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            raise NotFound("No such provider.", code="provider_not_found") from exc
        return item.to_domain()

    def delete_provider(self, provider_id: str, name: str) -> None:
        self._delete_named("PROVIDER", provider_id, name, ProviderItem)

    # --- models and groups (named items with a guard) ---

    def create_model(self, m: CatalogModel) -> None:
        self._create_named("MODEL", m.model_id, m.name, ModelItem.from_domain(m))

    def replace_model(self, old: CatalogModel, new: CatalogModel) -> None:
        self._replace_named("MODEL", old.name, new.name, new.model_id, ModelItem.from_domain(new))

    def delete_model(self, m: CatalogModel) -> None:
        self._delete_named("MODEL", m.model_id, m.name, ModelItem)

    def create_group(self, g: Group) -> None:
        self._create_named("GROUP", g.group_id, g.name, GroupItem.from_domain(g))

    def replace_group(self, old: Group, new: Group) -> None:
        self._replace_named("GROUP", old.name, new.name, new.group_id, GroupItem.from_domain(new))

    def delete_group(self, g: Group) -> None:
        self._delete_named("GROUP", g.group_id, g.name, GroupItem)

    def _create_named(self, kind: str, item_id: str, name: str, item: CatalogItem) -> None:
        guard = NameGuardItem(_guard_pk(kind, name), "GUARD", owner_id=item_id)
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.save(guard, condition=NameGuardItem.pk.does_not_exist())
                tx.save(item, condition=CatalogItem.pk.does_not_exist())
        except TransactWriteError as exc:
            _cancelled(exc)
            raise AlreadyExists(f"A {kind.lower()} named {name!r} already exists.",
                                code=f"{kind.lower()}_exists") from exc

    def _replace_named(self, kind: str, old_name: str, new_name: str, item_id: str, item: CatalogItem) -> None:
        renamed = old_name.lower() != new_name.lower()
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.save(item, condition=CatalogItem.pk.exists())
                if renamed:
                    tx.delete(NameGuardItem(_guard_pk(kind, old_name), "GUARD"),
                              condition=NameGuardItem.owner_id == item_id)
                    tx.save(NameGuardItem(_guard_pk(kind, new_name), "GUARD", owner_id=item_id),
                            condition=NameGuardItem.pk.does_not_exist())
        except TransactWriteError as exc:
            reasons = _cancelled(exc)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                raise NotFound(f"No such {kind.lower()}.", code=f"{kind.lower()}_not_found") from exc
            raise AlreadyExists(f"A {kind.lower()} named {new_name!r} already exists.",
                                code=f"{kind.lower()}_exists") from exc

    def _delete_named(self, kind: str, item_id: str, name: str, cls: type[CatalogItem]) -> None:
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.delete(cls(kind, item_id), condition=CatalogItem.pk.exists())
                tx.delete(NameGuardItem(_guard_pk(kind, name), "GUARD"))
        except TransactWriteError as exc:
            _cancelled(exc)
            raise Conflict(f"The {kind.lower()} changed meanwhile; reload and retry.") from exc
