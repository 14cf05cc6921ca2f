"""Which upstream a `/v1` request's `model` names: the one model-resolution step every endpoint
shares (`ProxyService.catalog.route`, called inside `ProxyService._admit`).

Precedence: a model written `<name>/<upstream model>` whose `<name>` is one of the caller's own
providers (case-insensitive) goes to that provider with the caller's own key, even when a
shared model of the same full name exists: the caller named their own provider, and an admin
adding a model later must not silently move their traffic to paid shared capacity. Every
other name is resolved by the catalog as before (the key's group decides), so another user
naming the same provider name reaches only the catalog (404 `model_not_found`). A quota with
`allow_own_providers` false refuses own-provider names (403 `own_providers_not_allowed`).

The caller is known only inside `_admit` (the key is checked there); `caller_scope` makes it
visible to `route` for that call, so endpoints added later inherit own-provider routing by
resolving models the way the existing ones do.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol

from ..catalog.routing import ModelRoute
from ..kernel.errors import Forbidden
from ..keys.types import KeyInfo

_CALLER: ContextVar[KeyInfo | None] = ContextVar("keyledger_proxy_caller", default=None)


class SharedCatalog(Protocol):
    def route(self, model_name: str, group_id: str) -> ModelRoute: ...
    def models_for_group(self, group_id: str) -> list[ModelRoute]: ...
    def record_provider_result(self, provider_id: str, ok: bool, error: str | None = None) -> None: ...


class OwnRoutes(Protocol):
    def route(self, user_id: str, model_name: str) -> ModelRoute | None: ...


@contextmanager
def caller_scope(key: KeyInfo) -> Iterator[None]:
    """Within this block, models resolve for `key`'s user (their own providers first)."""
    token = _CALLER.set(key)
    try:
        yield
    finally:
        _CALLER.reset(token)


class ModelResolver:
    """The proxy's catalog: the shared catalog, with the caller's own providers in front."""

    def __init__(self, catalog: SharedCatalog, own: OwnRoutes) -> None:
        self._catalog = catalog
        self._own = own

    def route(self, model_name: str, group_id: str) -> ModelRoute:
        key = _CALLER.get()
        if key is not None and "/" in model_name:
            own = self._own.route(key.user_id, model_name)
            if own is not None:
                if not key.allow_own_providers:
                    raise Forbidden("This key's quota does not allow your own providers.",
                                    code="own_providers_not_allowed", param="model")
                return own
        return self._catalog.route(model_name, group_id)

    def models_for_group(self, group_id: str) -> list[ModelRoute]:
        return self._catalog.models_for_group(group_id)

    def record_provider_result(self, provider_id: str, ok: bool, error: str | None = None) -> None:
        self._catalog.record_provider_result(provider_id, ok, error)
