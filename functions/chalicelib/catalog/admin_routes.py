"""Admin: providers (with connection test and model sync), models and model groups."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypedDict

from chalice import Blueprint

from ..kernel.context import RequestMeta
from ..web.http import Request, api_route
from .schemas import (
    GroupIn,
    GroupList,
    GroupOut,
    GroupUpdate,
    ModelIn,
    ModelList,
    ModelOut,
    ModelUpdate,
    ProbeOut,
    ProviderIn,
    ProviderList,
    ProviderOut,
    ProviderUpdate,
    SyncOut,
)

if TYPE_CHECKING:
    from .admin import CatalogAdmin

TAGS = ("admin",)


class _Who(TypedDict):
    """Who asks, as every catalog_admin call takes it (keyword arguments)."""

    actor_id: str
    meta: RequestMeta


def _who(req: Request) -> _Who:
    return {"actor_id": req.user.user_id, "meta": req.meta}


def blueprint(catalog_admin: Callable[[], CatalogAdmin]) -> Blueprint:
    """Admin: providers, models and model groups."""
    bp = Blueprint(__name__)

    # --- providers ---

    @api_route(bp, "/api/admin/providers", "GET", auth="admin", response=ProviderList, tags=TAGS)
    def list_providers(req: Request) -> ProviderList:
        """Every upstream provider with its health; API keys only as hints."""
        return ProviderList.model_validate({"items": catalog_admin().list_providers()}, from_attributes=True)

    @api_route(bp, "/api/admin/providers", "POST", auth="admin", body=ProviderIn, response=ProviderOut, status=201,
               tags=TAGS)
    def create_provider(req: Request) -> ProviderOut:
        """Register an upstream provider; its API key is stored encrypted and never returned."""
        b = req.body
        view = catalog_admin().create_provider(name=b.name, type=b.type, base_url=b.base_url, api_key=b.api_key,
                                               bedrock=b.bedrock.to_settings() if b.bedrock else None,
                                               responses_api=b.responses_api, **_who(req))
        return ProviderOut.model_validate(view, from_attributes=True)

    @api_route(bp, "/api/admin/providers/{id}", "PUT", auth="admin", body=ProviderUpdate, response=ProviderOut,
               tags=TAGS)
    def update_provider(req: Request, id: str) -> ProviderOut:
        """Change a provider; a new api_key replaces the old one."""
        changes = req.body.model_dump(exclude_unset=True)
        if req.body.bedrock is not None:
            changes["bedrock"] = req.body.bedrock.to_settings()
        updated = catalog_admin().update_provider(id, changes, **_who(req))
        return ProviderOut.model_validate(updated, from_attributes=True)

    @api_route(bp, "/api/admin/providers/{id}", "DELETE", auth="admin", status=204, tags=TAGS)
    def delete_provider(req: Request, id: str) -> None:
        """Remove a provider that no model uses."""
        catalog_admin().delete_provider(id, **_who(req))

    @api_route(bp, "/api/admin/providers/{id}/test", "POST", auth="admin", response=ProbeOut, tags=TAGS)
    def test_provider(req: Request, id: str) -> ProbeOut:
        """One real call to the upstream: {ok, latency_ms, detail}."""
        return ProbeOut.model_validate(catalog_admin().test_provider(id, **_who(req)), from_attributes=True)

    @api_route(bp, "/api/admin/providers/{id}/sync-models", "POST", auth="admin", response=SyncOut, tags=TAGS,
               responses={502: "The upstream's model list could not be read"})
    def sync_models(req: Request, id: str) -> SyncOut:
        """Import the upstream's model list; new models arrive disabled and unpriced."""
        return SyncOut.model_validate(catalog_admin().sync_models(id, **_who(req)), from_attributes=True)

    # --- models ---

    @api_route(bp, "/api/admin/models", "GET", auth="admin", response=ModelList, tags=TAGS)
    def list_models(req: Request) -> ModelList:
        """Every model with its prices per 1M tokens."""
        return ModelList.model_validate({"items": catalog_admin().list_models()}, from_attributes=True)

    @api_route(bp, "/api/admin/models", "POST", auth="admin", body=ModelIn, response=ModelOut, status=201, tags=TAGS)
    def create_model(req: Request) -> ModelOut:
        """Add a public model served by one provider."""
        created = catalog_admin().create_model(req.body.model_dump(), **_who(req))
        return ModelOut.model_validate(created, from_attributes=True)

    @api_route(bp, "/api/admin/models/{id}", "PUT", auth="admin", body=ModelUpdate, response=ModelOut, tags=TAGS)
    def update_model(req: Request, id: str) -> ModelOut:
        """Change a model (prices, provider, capabilities, enabled...)."""
        changes = req.body.model_dump(exclude_unset=True)
        return ModelOut.model_validate(catalog_admin().update_model(id, changes, **_who(req)), from_attributes=True)

    @api_route(bp, "/api/admin/models/{id}", "DELETE", auth="admin", status=204, tags=TAGS)
    def delete_model(req: Request, id: str) -> None:
        """Remove a model that no group lists."""
        catalog_admin().delete_model(id, **_who(req))

    # --- groups ---

    @api_route(bp, "/api/admin/groups", "GET", auth="admin", response=GroupList, tags=TAGS)
    def list_groups(req: Request) -> GroupList:
        """Every model group with its models and default quota."""
        return GroupList.model_validate({"items": catalog_admin().list_groups()}, from_attributes=True)

    @api_route(bp, "/api/admin/groups", "POST", auth="admin", body=GroupIn, response=GroupOut, status=201, tags=TAGS)
    def create_group(req: Request) -> GroupOut:
        """Create a model group."""
        b = req.body
        view = catalog_admin().create_group(name=b.name, models=b.models,
                                            default_quota=b.default_quota.to_limits(), **_who(req))
        return GroupOut.model_validate(view, from_attributes=True)

    @api_route(bp, "/api/admin/groups/{id}", "PUT", auth="admin", body=GroupUpdate, response=GroupOut, tags=TAGS)
    def update_group(req: Request, id: str) -> GroupOut:
        """Rename a group, change its models or its default quota."""
        b = req.body
        view = catalog_admin().update_group(
            id, name=b.name, models=b.models,
            default_quota=b.default_quota.to_limits() if b.default_quota is not None else None, **_who(req))
        return GroupOut.model_validate(view, from_attributes=True)

    @api_route(bp, "/api/admin/groups/{id}", "DELETE", auth="admin", status=204, tags=TAGS)
    def delete_group(req: Request, id: str) -> None:
        """Remove a model group."""
        catalog_admin().delete_group(id, **_who(req))

    return bp
