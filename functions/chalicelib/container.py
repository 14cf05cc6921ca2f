"""The composition root: the one place that builds clients, repositories and services.

`container()` builds the process-wide instance on first use (never at import time)
and keeps it for the life of a warm Lambda container. Tests and the local stack
build their own `Container` (another clock, settings or HTTP session) and install
it with `set_container`; nothing is patched.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .core.clock import Clock, SystemClock
from .core.context import Caller, RequestMeta
from .core.crypto import Cipher
from .core.errors import Unauthorized
from .core.settings import Settings, get_settings

if TYPE_CHECKING:
    from .services.catalog import CatalogService
    from .services.catalog_admin import CatalogAdmin
    from .services.keys import KeysService
    from .services.provider_probe import ProviderClient


class Container:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        from .tables.base import bind_tables

        bind_tables(settings)

    @cached_property
    def cipher(self) -> Cipher:
        return Cipher(self.settings.encryption_keys)

    # --- accounts, tokens, audit (issue 2) ---

    def authenticate(self, access_token: str) -> Caller:
        """Verify a portal access token; raises Unauthorized."""
        raise Unauthorized("Token authentication is not wired yet.", code="invalid_token")

    def on_user_activated(self, user_id: str, meta: RequestMeta | None) -> dict[str, Any]:
        """A new account became active: give it its default quota and key, and its sign-up
        credit. Returns extra fields for the verify response (the new key, shown once)."""
        extras: dict[str, Any] = {}
        issued = self.keys.provision_default(user_id, meta)
        if issued is not None:
            extras["api_key"] = issued.as_dict()  # {key_id, key, prefix, quota_id}; shown once
        # ledger area: sign-up credit
        return extras

    def on_user_disabled(self, user_id: str, meta: RequestMeta | None) -> None:
        """A user was disabled: every key of theirs stops working at once."""
        self.keys.disable_user_keys(user_id, meta)

    def membership_of(self, user_id: str) -> dict[str, Any]:
        """`{plan, expires_at, auto_renew}` for /api/me (ledger area)."""
        return {"plan": None, "expires_at": None, "auto_renew": False}

    # --- catalog, keys, quotas (issue 3) ---

    @cached_property
    def catalog(self) -> CatalogService:
        """The proxy's catalog reads (cached snapshot) and provider health."""
        from .services.catalog import CatalogService
        from .tables.catalog import CatalogRepository

        return CatalogService(CatalogRepository(), self.cipher, self.clock, self.settings)

    @cached_property
    def provider_client(self) -> ProviderClient:
        """Connection tests and model lists (the upstreams area's client can replace it)."""
        from .services.provider_probe import HttpProviderProbe

        # An admin waits on this call: keep it short whatever the proxy's read timeout is.
        return HttpProviderProbe(self.settings.upstream_connect_timeout, min(self.settings.upstream_read_timeout, 10.0))

    @cached_property
    def catalog_admin(self) -> CatalogAdmin:
        from .services.catalog_admin import CatalogAdmin
        from .tables.catalog import CatalogRepository

        return CatalogAdmin(CatalogRepository(), self.catalog, self.cipher, self.clock, self.audit,
                            self.provider_client)

    @cached_property
    def keys(self) -> KeysService:
        from .services.keys import KeysService
        from .tables.keys import KeysRepository

        return KeysService(KeysRepository(), self.catalog, self.catalog_admin, self.clock, self.settings,
                           self.audit, self.quota_usage)

    def quota_usage(self, quota_id: str, period_key: str) -> tuple[Decimal, int]:
        """(used_cost, used_tokens) of a quota in one period, for GET /api/quotas.

        PLACEHOLDER: the metering area owns the period-usage items (`QUOTA#<id>` /
        `PERIOD#<key>` in the keys table) and replaces this body with a read of them;
        until then every quota shows zero use."""
        return Decimal(0), 0

    # --- proxy, upstreams (issue 4) ---

    # --- ledger, usage, jobs (issue 5) ---


_container: Container | None = None


def container() -> Container:
    global _container
    if _container is None:
        _container = Container(get_settings())
    return _container


def set_container(new: Container | None) -> None:
    """Install a container (tests, local stack); `None` rebuilds from env on next use."""
    global _container
    _container = new
