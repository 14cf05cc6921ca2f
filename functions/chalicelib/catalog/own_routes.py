"""Self-service: my own providers (bring your own key). Each user sees only their own."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chalice import Blueprint

from ..web.http import Request, api_route
from .own_schemas import OwnModelList, OwnProviderIn, OwnProviderList, OwnProviderOut, OwnProviderUpdate
from .schemas import ProbeOut

if TYPE_CHECKING:
    from .own_balances import ProviderBalances
    from .own_providers import OwnProviders

TAGS = ("providers",)


def blueprint(own: Callable[[], OwnProviders], balances: Callable[[], ProviderBalances]) -> Blueprint:
    """Self-service own providers, over their service and the balance reader."""
    bp = Blueprint(__name__)

    @api_route(bp, "/api/my/providers", "GET", response=OwnProviderList, tags=TAGS)
    def list_my_providers(req: Request) -> OwnProviderList:
        """My own providers with their last known balance; keys only as hints."""
        return OwnProviderList(items=[OwnProviderOut.of(p) for p in own().providers_of(req.user.user_id)])

    @api_route(bp, "/api/my/providers", "POST", body=OwnProviderIn, response=OwnProviderOut, status=201, tags=TAGS)
    def create_my_provider(req: Request) -> OwnProviderOut:
        """Add my own upstream; its key is stored encrypted and never returned. Use it on /v1 as
        `<name>/<upstream model>`."""
        return OwnProviderOut.of(own().create(req.user.user_id, req.body.to_spec(), req.meta))

    @api_route(bp, "/api/my/providers/{id}", "PUT", body=OwnProviderUpdate, response=OwnProviderOut, tags=TAGS)
    def update_my_provider(req: Request, id: str) -> OwnProviderOut:
        """Change my provider; a new api_key replaces the old one."""
        return OwnProviderOut.of(own().update(req.user.user_id, id, req.body.to_spec(), req.meta))

    @api_route(bp, "/api/my/providers/{id}", "DELETE", status=204, tags=TAGS)
    def delete_my_provider(req: Request, id: str) -> None:
        """Remove my provider and its encrypted key."""
        own().delete(req.user.user_id, id, req.meta)

    @api_route(bp, "/api/my/providers/{id}/test", "POST", response=ProbeOut, tags=TAGS)
    def test_my_provider(req: Request, id: str) -> ProbeOut:
        """One real call to my provider with my key: {ok, latency_ms, detail}."""
        result = own().test(req.user.user_id, id, req.meta)
        return ProbeOut(ok=result.ok, latency_ms=result.latency_ms, detail=result.detail)

    @api_route(bp, "/api/my/providers/{id}/models", "GET", response=OwnModelList, tags=TAGS,
               responses={502: "The provider's model list could not be read"})
    def my_provider_models(req: Request, id: str) -> OwnModelList:
        """The models my provider lists, each usable as `<name>/<model>`."""
        return OwnModelList(items=own().models(req.user.user_id, id))

    @api_route(bp, "/api/my/providers/{id}/balance", "POST", response=OwnProviderOut, tags=TAGS)
    def refresh_my_provider_balance(req: Request, id: str) -> OwnProviderOut:
        """Read my provider's remaining credit now (kept as its last known balance if it fails)."""
        return OwnProviderOut.of(balances().refresh(req.user.user_id, id))

    return bp
