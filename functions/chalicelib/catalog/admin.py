"""Admin writes to the catalog: providers, models, groups, connection tests, model sync.

Every change is audited (before/after, never a secret) and drops this process's catalog
snapshot so the next read sees it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, is_dataclass, replace
from decimal import Decimal
from typing import Any

from ..audit.types import AuditRecorder
from ..kernel.clock import Clock
from ..kernel.context import RequestMeta
from ..kernel.crypto import Cipher
from ..kernel.errors import AlreadyExists, AppError, BadRequest, Conflict, NotFound, UpstreamError
from ..kernel.ids import new_id
from ..kernel.serialize import plain
from ..upstreams.types import DEFAULT_MAX_OUTPUT_TOKENS, BedrockSettings
from .endpoints import check_responses_api, provider_endpoint, validate_base_url
from .health import ProviderHealthChecks
from .probe import ProviderClient
from .routing import ProviderTargetInfo
from .service import CatalogService, mask_secret, model_view, provider_view, scrub
from .store import CatalogStore
from .types import (
    CAPABILITIES,
    PROVIDER_TYPES,
    CatalogModel,
    ConnectionTest,
    Group,
    ListedProvider,
    ModelView,
    Provider,
    ProviderBalance,
    ProviderView,
    QuotaLimits,
    SyncResult,
    validate_limits,
)


def _detail(value: Any) -> Any:
    """An answer as its audit record keeps it (a plain dict for a dataclass)."""
    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else value


def _check_capabilities(caps: Any) -> tuple[str, ...]:
    unknown = [c for c in caps if c not in CAPABILITIES]
    if unknown:
        raise BadRequest(f"unknown capabilities {unknown}; use {', '.join(CAPABILITIES)}.", code="invalid_capability")
    return tuple(dict.fromkeys(caps))


def _infer_capabilities(upstream_model: str) -> tuple[str, ...]:
    return ("embeddings",) if "embed" in upstream_model.lower() else ("chat",)


class CatalogAdmin:
    def __init__(self, repo: CatalogStore, catalog: CatalogService, cipher: Cipher, clock: Clock,
                 audit: AuditRecorder, client: ProviderClient, new_group_quota: QuotaLimits | None = None,
                 group_quotas: Callable[[str], list[str]] | None = None,
                 health: ProviderHealthChecks | None = None, *, allow_private_urls: bool = False,
                 balances: Callable[[], Mapping[str, ProviderBalance]] | None = None) -> None:
        self._balances = balances or dict  # provider id -> its last read balance (own_balances.py)
        self._health = health or ProviderHealthChecks(repo, catalog, cipher, clock, client)
        self._group_quotas = group_quotas or (lambda group_id: [])  # group id -> quota ids on it (keys)
        self._allow_private_urls = allow_private_urls
        self._new_group_quota = new_group_quota or QuotaLimits()  # what a group made by ensure_group gives
        self._repo = repo
        self._catalog = catalog
        self._cipher = cipher
        self._clock = clock
        self._audit = audit
        self._client = client

    def _record(self, actor_id: str, action: str, target: str, meta: RequestMeta | None,
                before: Any = None, after: Any = None, **extra: Any) -> None:
        self._audit.record(user_id=actor_id, type="admin", action=action, meta=meta, actor_id=actor_id,
                           detail=plain({"target": target, "before": _detail(before), "after": _detail(after),
                                        **{k: _detail(v) for k, v in extra.items()}}))
        self._catalog.invalidate()

    # --- providers ---

    def list_providers(self) -> list[ListedProvider]:
        """Every provider with its health and, for hosts that report it, its remaining credit;
        keys appear only as hints."""
        now = self._clock.now()
        snap = self._catalog.snapshot(fresh=True)
        balances = self._balances()
        return [ListedProvider(**vars(provider_view(p, now)), balance=balances.get(p.provider_id))
                for p in sorted(snap.providers.values(), key=lambda p: p.created_at)]

    def create_provider(self, *, name: str, type: str, base_url: str | None, api_key: str, actor_id: str,
                        meta: RequestMeta | None, bedrock: BedrockSettings | None = None,
                        responses_api: bool = False) -> ProviderView:
        """Register an upstream; the key is stored encrypted and never returned. A `bedrock`
        provider has its region (and optional profile and role) instead of a URL and a key; an
        `openai` one with `responses_api` gets /v1/responses passed through."""
        if type not in PROVIDER_TYPES:
            raise BadRequest(f"type must be one of {', '.join(PROVIDER_TYPES)}.", code="invalid_provider_type")
        self._check_provider_name(name.strip(), None)
        now = self._clock.now()
        url, bedrock = provider_endpoint(type, base_url, bedrock, allow_private=self._allow_private_urls)
        check_responses_api(type, responses_api)
        p = Provider(provider_id=new_id(now), name=name.strip(), type=type, base_url=url,
                     api_key_enc=self._cipher.encrypt(api_key), api_key_hint=mask_secret(api_key),
                     created_at=now, updated_at=now, bedrock=bedrock, responses_api=responses_api)
        self._repo.create_provider(p)
        view = provider_view(p, now)
        self._record(actor_id, "provider.create", p.provider_id, meta, after=view)
        return view

    def update_provider(self, provider_id: str, changes: dict[str, Any], *, actor_id: str,
                        meta: RequestMeta | None) -> ProviderView:
        """Change name, type, base_url and/or api_key (replaced, never shown)."""
        before = self._repo.get_provider(provider_id)
        fields: dict[str, Any] = {}
        if changes.get("name") is not None:
            fields["name"] = str(changes["name"]).strip()
            self._check_provider_name(fields["name"], provider_id)
        if changes.get("type") is not None:
            if changes["type"] not in PROVIDER_TYPES:
                raise BadRequest(f"type must be one of {', '.join(PROVIDER_TYPES)}.", code="invalid_provider_type")
            if (changes["type"] == "bedrock") != (before.type == "bedrock"):
                raise BadRequest("A provider cannot change to or from type bedrock; create a new provider.",
                                 code="invalid_provider_type", param="type")
            fields["type"] = changes["type"]
        if changes.get("bedrock") is not None or (before.type == "bedrock" and changes.get("base_url") is not None):
            fields["base_url"], settings = provider_endpoint(before.type, changes.get("base_url"),
                                                             changes.get("bedrock"),
                                                             allow_private=self._allow_private_urls)
            fields["bedrock"] = settings
        elif changes.get("base_url") is not None:
            fields["base_url"] = validate_base_url(changes["base_url"], allow_private=self._allow_private_urls)
        if changes.get("responses_api") is not None:
            fields["responses_api"] = bool(changes["responses_api"])
        check_responses_api(fields.get("type", before.type), fields.get("responses_api", before.responses_api))
        if changes.get("api_key") is not None:
            fields["api_key_enc"] = self._cipher.encrypt(changes["api_key"])
            fields["api_key_hint"] = mask_secret(changes["api_key"])
        now = self._clock.now()
        after = (self._repo.update_provider_settings(provider_id, fields, now, old_name=before.name) if fields
                 else before)
        view = provider_view(after, now)
        self._record(actor_id, "provider.update", provider_id, meta, before=provider_view(before, now),
                     after=view, key_replaced="api_key_enc" in fields)
        return view

    def delete_provider(self, provider_id: str, *, actor_id: str, meta: RequestMeta | None) -> None:
        """Remove a provider no model uses any more."""
        before = self._repo.get_provider(provider_id)
        users = [m.name for m in self._catalog.snapshot(fresh=True).models.values() if m.provider_id == provider_id]
        if users:
            raise Conflict(f"Models still use this provider: {', '.join(sorted(users))}.", code="provider_in_use")
        self._repo.delete_provider(provider_id, before.name)
        self._record(actor_id, "provider.delete", provider_id, meta, before=provider_view(before, self._clock.now()))

    def _check_provider_name(self, name: str, provider_id: str | None) -> None:
        """Provider names are unique (case-insensitive): people read them instead of ids. The
        store's name guard closes the race; this check also covers providers created before it."""
        for p in self._catalog.snapshot(fresh=True).providers.values():
            if p.name.lower() == name.lower() and p.provider_id != provider_id:
                raise AlreadyExists(f"A provider named {name!r} already exists.", code="provider_exists")

    def _target(self, p: Provider) -> ProviderTargetInfo:
        return ProviderTargetInfo(provider_id=p.provider_id, name=p.name, type=p.type, base_url=p.base_url,
                                  api_key=self._cipher.decrypt(p.api_key_enc), bedrock=p.bedrock)

    def test_provider(self, provider_id: str, *, actor_id: str, meta: RequestMeta | None) -> ConnectionTest:
        """One real call to the upstream (ok, latency, detail); the result is kept as
        the provider's last test, in its health history, and counts towards its health."""
        result = self._health.check(self._repo.get_provider(provider_id))
        self._record(actor_id, "provider.test", provider_id, meta, result=result)
        return result

    def sync_models(self, provider_id: str, *, actor_id: str, meta: RequestMeta | None) -> SyncResult:
        """Read the upstream's model list: unknown models are added disabled with zero
        prices (an admin prices and enables them); known ones without capabilities get
        inferred ones. Answers how many were added, updated and left unchanged."""
        p = self._repo.get_provider(provider_id)
        target = self._target(p)
        try:
            names = self._client.list_models(target)
        except AppError as exc:
            raise UpstreamError(scrub(exc.message, target.api_key), code="upstream_error") from exc
        except Exception as exc:
            raise UpstreamError(f"reading the model list failed ({type(exc).__name__})") from exc
        snap = self._catalog.snapshot(fresh=True)
        mine = {m.upstream_model: m for m in snap.models.values() if m.provider_id == provider_id}
        taken = set(snap.models_by_name)
        added = updated = unchanged = 0
        now = self._clock.now()
        for upstream in dict.fromkeys(names):
            existing = mine.get(upstream)
            if existing is not None:
                if existing.capabilities:
                    unchanged += 1
                    continue
                new = replace(existing, capabilities=_infer_capabilities(upstream), updated_at=now)
                self._repo.replace_model(existing, new)
                updated += 1
                continue
            name = upstream if upstream not in taken else f"{p.name}/{upstream}"
            if name in taken:
                unchanged += 1  # already imported under the provider-qualified name
                continue
            self._repo.create_model(CatalogModel(
                model_id=new_id(now), name=name, provider_id=provider_id, upstream_model=upstream,
                input_price=Decimal(0), output_price=Decimal(0), capabilities=_infer_capabilities(upstream),
                max_output_tokens=DEFAULT_MAX_OUTPUT_TOKENS, enabled=False, created_at=now, updated_at=now))
            taken.add(name)
            added += 1
        result = SyncResult(added=added, updated=updated, unchanged=unchanged)
        self._record(actor_id, "provider.sync_models", provider_id, meta, result=result)
        return result

    # --- models ---

    def list_models(self) -> list[ModelView]:
        snap = self._catalog.snapshot(fresh=True)
        return [model_view(m) for m in sorted(snap.models.values(), key=lambda m: m.name)]

    def _get_model(self, model_id: str) -> CatalogModel:
        model = self._catalog.snapshot(fresh=True).models.get(model_id)
        if model is None:
            raise NotFound("No such model.", code="model_not_found")
        return model

    def _check_provider(self, provider_id: str) -> None:
        if provider_id not in self._catalog.snapshot(fresh=True).providers:
            raise BadRequest(f"No provider {provider_id!r}.", code="unknown_provider", param="provider")

    def create_model(self, fields: dict[str, Any], *, actor_id: str, meta: RequestMeta | None) -> ModelView:
        """Add a public model served by one provider, with prices per 1M tokens."""
        self._check_provider(fields["provider"])
        now = self._clock.now()
        m = CatalogModel(
            model_id=new_id(now), name=fields["name"].strip(), provider_id=fields["provider"],
            upstream_model=fields.get("upstream_model") or fields["name"].strip(),
            input_price=fields["input_price"], output_price=fields["output_price"],
            capabilities=_check_capabilities(fields.get("capabilities") or ("chat",)),
            max_output_tokens=fields.get("max_output_tokens") or DEFAULT_MAX_OUTPUT_TOKENS,
            enabled=fields.get("enabled", True), created_at=now, updated_at=now)
        self._repo.create_model(m)
        view = model_view(m)
        self._record(actor_id, "model.create", m.model_id, meta, after=view)
        return view

    def update_model(self, model_id: str, changes: dict[str, Any], *, actor_id: str,
                     meta: RequestMeta | None) -> ModelView:
        """Change any model field; a rename follows into the groups that list the model."""
        old = self._get_model(model_id)
        values = {k: v for k, v in changes.items() if v is not None}
        if "provider" in values:
            self._check_provider(values["provider"])
            values["provider_id"] = values.pop("provider")
        if "capabilities" in values:
            values["capabilities"] = _check_capabilities(values["capabilities"])
        if "name" in values:
            values["name"] = values["name"].strip()
        new = replace(old, **values, updated_at=self._clock.now())
        self._repo.replace_model(old, new)
        if new.name != old.name:
            self._rename_in_groups(old.name, new.name)
        view = model_view(new)
        self._record(actor_id, "model.update", model_id, meta, before=model_view(old), after=view)
        return view

    def _rename_in_groups(self, old: str, new: str) -> None:
        for g in self._catalog.snapshot(fresh=True).groups.values():
            if old in g.models:
                renamed = replace(g, models=tuple(new if n == old else n for n in g.models),
                                  updated_at=self._clock.now())
                self._repo.replace_group(g, renamed)

    def delete_model(self, model_id: str, *, actor_id: str, meta: RequestMeta | None) -> None:
        """Remove a model that no group lists any more."""
        old = self._get_model(model_id)
        groups = [g.name for g in self._catalog.snapshot().groups.values() if old.name in g.models]
        if groups:
            raise Conflict(f"Groups still list this model: {', '.join(sorted(groups))}.", code="model_in_use")
        self._repo.delete_model(old)
        self._record(actor_id, "model.delete", model_id, meta, before=model_view(old))

    # --- groups ---

    def list_groups(self) -> list[Group]:
        snap = self._catalog.snapshot(fresh=True)
        return [g for g in sorted(snap.groups.values(), key=lambda g: g.name)]

    def _check_models(self, names: Any) -> tuple[str, ...]:
        known = self._catalog.snapshot(fresh=True).models_by_name
        unknown = [n for n in names if n not in known]
        if unknown:
            raise BadRequest(f"Unknown models: {', '.join(unknown)}.", code="unknown_model", param="models")
        return tuple(dict.fromkeys(names))

    def create_group(self, *, name: str, models: Any, default_quota: QuotaLimits, actor_id: str,
                     meta: RequestMeta | None) -> Group:
        """A named set of models with the limits a new quota on it gets."""
        now = self._clock.now()
        g = Group(group_id=new_id(now), name=name.strip(), models=self._check_models(models),
                  default_quota=validate_limits(default_quota), created_at=now, updated_at=now)
        self._repo.create_group(g)
        self._record(actor_id, "group.create", g.group_id, meta, after=g)
        return g

    def update_group(self, group_id: str, *, name: str | None, models: Any, default_quota: QuotaLimits | None,
                     actor_id: str, meta: RequestMeta | None) -> Group:
        old = self._catalog.snapshot(fresh=True).groups.get(group_id)
        if old is None:
            raise NotFound("No such model group.", code="group_not_found")
        new = replace(
            old, name=name.strip() if name is not None else old.name,
            models=self._check_models(models) if models is not None else old.models,
            default_quota=validate_limits(default_quota) if default_quota is not None else old.default_quota,
            updated_at=self._clock.now())
        self._repo.replace_group(old, new)
        self._record(actor_id, "group.update", group_id, meta, before=old, after=new)
        return new

    def delete_group(self, group_id: str, *, actor_id: str, meta: RequestMeta | None) -> None:
        """Remove a group no quota uses; 409 `group_in_use` naming the quotas otherwise."""
        old = self._catalog.snapshot(fresh=True).groups.get(group_id)
        if old is None:
            raise NotFound("No such model group.", code="group_not_found")
        quotas = self._group_quotas(group_id)
        if quotas:
            shown = ", ".join(sorted(quotas)[:10]) + (" ..." if len(quotas) > 10 else "")
            raise Conflict(f"{len(quotas)} quota(s) still use this group: {shown}. Move or delete them first.",
                           code="group_in_use")
        self._repo.delete_group(old)
        self._record(actor_id, "group.delete", group_id, meta, before=old)

    def ensure_group(self, name: str, *, actor_id: str) -> Group:
        """The group named `name`, created empty when missing (so registration always has a
        default group to give a quota on), its default quota monthly with no cost or token
        limit and the deployment's DEFAULT_RPM."""
        try:
            return self._catalog.group_by_ref(name, fresh=True)
        except NotFound:
            pass
        try:
            self.create_group(name=name, models=(), default_quota=self._new_group_quota, actor_id=actor_id,
                              meta=None)
        except AppError as exc:
            if exc.code != "group_exists":
                raise
        return self._catalog.group_by_ref(name, fresh=True)

    def ensure_local_demo(self, *, base_url: str, provider: dict[str, Any], models: Any, group: str) -> None:
        """Local stack only: register (first run) or re-point (later runs: a new port) the demo
        provider, its priced models, and list them in `group`. Idempotent. A `bedrock` demo
        provider has `provider["bedrock"]` settings and no base URL (BEDROCK_ENDPOINT_URL
        points every Bedrock call at the local fake)."""
        who: dict[str, Any] = {"actor_id": "system", "meta": None}
        snap = self._catalog.snapshot(fresh=True)
        existing = next((p for p in snap.providers.values() if p.name == provider["name"]), None)
        bedrock = BedrockSettings(**provider["bedrock"]) if provider.get("bedrock") else None
        if existing is None:
            pid = self.create_provider(name=provider["name"], type=provider.get("type", "openai"),
                                       base_url=None if bedrock else base_url, api_key=provider.get("api_key", ""),
                                       bedrock=bedrock, **who).provider_id
        else:
            pid = existing.provider_id
            if bedrock is None and existing.base_url != base_url.rstrip("/"):
                self.update_provider(pid, {"base_url": base_url}, **who)
        names = []
        for spec in models:
            fields = {"name": spec["name"], "provider": pid, "upstream_model": spec.get("upstream_model"),
                      "input_price": Decimal(str(spec.get("input_price", "0"))),
                      "output_price": Decimal(str(spec.get("output_price", "0"))),
                      "capabilities": spec.get("capabilities") or ["chat"],
                      "max_output_tokens": spec.get("max_output_tokens"), "enabled": spec.get("enabled", True)}
            current = self._catalog.snapshot(fresh=True).models_by_name.get(spec["name"])
            if current is None:
                self.create_model(fields, **who)
            elif current.provider_id != pid or current.upstream_model != (fields["upstream_model"] or spec["name"]):
                self.update_model(current.model_id, {"provider": pid, "upstream_model": fields["upstream_model"]},
                                  **who)
            names.append(spec["name"])
        g = self.ensure_group(group, actor_id="system")
        missing = [n for n in names if n not in g.models]
        if missing:
            self.update_group(g.group_id, name=None, models=[*g.models, *missing], default_quota=None, **who)
