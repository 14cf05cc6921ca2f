"""The catalog read path: the proxy's view of models, prices, groups and providers.

`CatalogService` answers `route()` and `models_for_group()` from an in-memory snapshot of
the whole catalog. A snapshot costs one Query per partition (`PROVIDER`, `MODEL`, `GROUP`:
three strongly consistent Queries) and is reused for `settings.catalog_cache_seconds`
(30 s by default), so a warm Lambda reads the catalog at most once per window instead of
on every request. Admin writes made through this process invalidate it at once; other
warm Lambdas see them within the window. Provider health is written through
`record_provider_result` (the proxy) and `CatalogAdmin.test_provider`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from ..kernel.clock import Clock
from ..kernel.crypto import Cipher
from ..kernel.errors import ConfigError, Forbidden, NotFound
from ..kernel.settings import Settings
from ..upstreams.redact import redact_secrets
from .routing import ModelRoute, ProviderTargetInfo
from .store import CatalogStore
from .types import CatalogModel, Group, ModelView, Provider, ProviderHealthView, ProviderView

log = logging.getLogger("keyledger.catalog")

FAILURE_THRESHOLD = 3  # consecutive failures before a provider is set aside
COOLDOWN = timedelta(seconds=60)  # how long an unhealthy provider is set aside
MAX_ERROR_CHARS = 500


@dataclass
class CatalogSnapshot:
    providers: dict[str, Provider]
    models: dict[str, CatalogModel]  # by model_id
    models_by_name: dict[str, CatalogModel]
    groups: dict[str, Group]  # by group_id
    groups_by_name: dict[str, Group]  # by lower-case name
    api_keys: dict[str, str]  # provider_id -> decrypted key (only in memory)
    loaded_at: datetime


def mask_secret(secret: str) -> str:
    """A hint that identifies a key without revealing it: `sk-...a1b2`."""
    if len(secret) < 12:
        return "****" if secret else ""
    return f"{secret[:3]}...{secret[-4:]}"


def scrub(text: str, secret: str) -> str:
    """Never let an upstream echo our key into a stored or returned message."""
    if secret and len(secret) >= 4:
        text = text.replace(secret, mask_secret(secret))
    return redact_secrets(text)[:MAX_ERROR_CHARS]


class CatalogService:
    def __init__(self, repo: CatalogStore, cipher: Cipher, clock: Clock, settings: Settings,
                 admin: Callable[[], Any] | None = None) -> None:
        self._repo = repo
        self._admin = admin  # the CatalogAdmin, built on demand (it depends on this service)
        self._cipher = cipher
        self._clock = clock
        self._ttl = timedelta(seconds=settings.catalog_cache_seconds)
        self._snapshot: CatalogSnapshot | None = None
        self._lock = threading.Lock()

    # --- snapshot ---

    def snapshot(self, fresh: bool = False) -> CatalogSnapshot:
        """The cached catalog; reloaded (three Queries) when older than the cache window."""
        now = self._clock.now()
        snap = self._snapshot
        if fresh or snap is None or now - snap.loaded_at >= self._ttl or now < snap.loaded_at:
            with self._lock:
                snap = self._load(now)
                self._snapshot = snap
        return snap

    def invalidate(self) -> None:
        """Drop the cached catalog (after an admin write in this process)."""
        self._snapshot = None

    def _load(self, now: datetime) -> CatalogSnapshot:
        providers = {p.provider_id: p for p in self._repo.load_providers()}
        models = {m.model_id: m for m in self._repo.load_models()}
        groups = {g.group_id: g for g in self._repo.load_groups()}
        keys: dict[str, str] = {}
        for p in providers.values():
            try:
                keys[p.provider_id] = self._cipher.decrypt(p.api_key_enc)
            except ConfigError:
                log.error("provider %s: its API key cannot be decrypted with the configured keys", p.provider_id)
        return CatalogSnapshot(
            providers=providers, models=models, models_by_name={m.name: m for m in models.values()},
            groups=groups, groups_by_name={g.name.lower(): g for g in groups.values()},
            api_keys=keys, loaded_at=now,
        )

    # --- the proxy's read path ---

    def route(self, model_name: str, group_id: str) -> ModelRoute:
        """Where to send a request for public model `model_name` made with a key of `group_id`.

        Raises NotFound(code="model_not_found") for an unknown model,
        Forbidden(code="model_not_allowed") when the key's group does not include it,
        NotFound(code="model_disabled") when an admin disabled it (or it has no usable provider).
        No DynamoDB call while the snapshot is fresh."""
        snap = self.snapshot()
        model = snap.models_by_name.get(model_name)
        if model is None:
            raise NotFound(f"The model {model_name!r} does not exist.", code="model_not_found", param="model")
        group = snap.groups.get(group_id)
        if group is None or model_name not in group.models:
            raise Forbidden("model not in your key's group", code="model_not_allowed", param="model")
        built = self._build_route(snap, model)
        if built is None:
            raise NotFound(f"The model {model_name!r} is not available.", code="model_disabled", param="model")
        return built

    def models_for_group(self, group_id: str) -> list[ModelRoute]:
        """Every enabled, routable model of the group, in the group's order (for /v1/models)."""
        snap = self.snapshot()
        group = snap.groups.get(group_id)
        if group is None:
            return []
        routes = []
        for name in group.models:
            model = snap.models_by_name.get(name)
            built = self._build_route(snap, model) if model else None
            if built is not None:
                routes.append(built)
        return routes

    def _build_route(self, snap: CatalogSnapshot, model: CatalogModel) -> ModelRoute | None:
        provider = snap.providers.get(model.provider_id)
        if not model.enabled or provider is None or provider.provider_id not in snap.api_keys:
            return None
        target = ProviderTargetInfo(
            provider_id=provider.provider_id, name=provider.name, type=provider.type,
            base_url=provider.base_url, api_key=snap.api_keys[provider.provider_id],
            healthy=provider.health.healthy_at(self._clock.now()), bedrock=provider.bedrock,
            responses_api=provider.responses_api,
        )
        return ModelRoute(
            model_id=model.model_id, name=model.name, input_price=model.input_price,
            output_price=model.output_price, max_output_tokens=model.max_output_tokens,
            capabilities=model.capabilities, targets=((target, model.upstream_model),),
        )

    # --- provider health ---

    def record_provider_result(self, provider_id: str, ok: bool, error: str | None = None) -> None:
        """The proxy reports how a provider answered. A success costs no write unless the
        provider had failures; after FAILURE_THRESHOLD consecutive failures the provider is
        marked unhealthy (`unhealthy_until`) for COOLDOWN. Unknown providers are ignored."""
        snap = self.snapshot()
        provider = snap.providers.get(provider_id)
        if provider is None:
            return
        now = self._clock.now()
        health = provider.health
        try:
            if ok:
                if health.consecutive_failures == 0 and health.unhealthy_until is None:
                    return
                updated = self._repo.update_provider_health(
                    provider_id, {"consecutive_failures": 0, "unhealthy_until": None})
            else:
                message = scrub(error or "upstream failure", snap.api_keys.get(provider_id, ""))
                updated = self._repo.update_provider_health(
                    provider_id, {"last_error": message, "last_error_at": now}, add_failure=True)
                if updated.health.consecutive_failures >= FAILURE_THRESHOLD:
                    updated = self._repo.update_provider_health(provider_id, {"unhealthy_until": now + COOLDOWN})
                    log.warning("provider %s set aside for %ss after %s failures", provider_id,
                                int(COOLDOWN.total_seconds()), updated.health.consecutive_failures)
        except NotFound:  # deleted meanwhile: nothing to keep a health record for
            snap.providers.pop(provider_id, None)
            return
        snap.providers[provider_id] = replace(provider, health=updated.health)

    # --- lookups for other services ---

    def provider_names(self) -> dict[str, str]:
        """provider id -> name, from the snapshot: answers people read show names, not ids."""
        return {pid: p.name for pid, p in self.snapshot().providers.items()}

    def group_by_ref(self, ref: str, fresh: bool = False) -> Group:
        """A group by id or (case-insensitive) name."""
        snap = self.snapshot(fresh=fresh)
        group = snap.groups.get(ref) or snap.groups_by_name.get(ref.lower())
        if group is None:
            raise NotFound(f"No model group {ref!r}.", code="group_not_found")
        return group

    def ensure_local_demo(self, **kwargs: Any) -> None:
        """The local stack's hook (infra/localstack/bootstrap.py): see CatalogAdmin.ensure_local_demo."""
        if self._admin is None:
            raise ConfigError("the catalog admin service is not wired")
        self._admin().ensure_local_demo(**kwargs)


def provider_view(p: Provider, now: datetime) -> ProviderView:
    """A provider as the admin sees it: never the key, only its hint."""
    h = p.health
    return ProviderView(
        provider_id=p.provider_id, name=p.name, type=p.type, base_url=p.base_url, api_key_hint=p.api_key_hint,
        created_at=p.created_at, updated_at=p.updated_at, bedrock=p.bedrock, responses_api=p.responses_api,
        health=ProviderHealthView(
            healthy=h.healthy_at(now), last_test_ok=h.last_test_ok, last_test_at=h.last_test_at,
            last_test_detail=h.last_test_detail, last_latency_ms=h.last_latency_ms, last_error=h.last_error,
            last_error_at=h.last_error_at, consecutive_failures=h.consecutive_failures,
            unhealthy_until=h.unhealthy_until))


def model_view(m: CatalogModel) -> ModelView:
    return ModelView(
        model_id=m.model_id, name=m.name, provider=m.provider_id, upstream_model=m.upstream_model,
        input_price=m.input_price, output_price=m.output_price, capabilities=m.capabilities,
        max_output_tokens=m.max_output_tokens, enabled=m.enabled, created_at=m.created_at, updated_at=m.updated_at)
