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
from .core.settings import Settings, get_settings

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .proxy.relay import StreamRelay
    from .services.account_security import AccountSecurityService
    from .services.accounts import AccountService
    from .services.admin_users import AdminUserService
    from .services.audit import AuditService
    from .services.catalog import CatalogService
    from .services.catalog_admin import CatalogAdmin
    from .services.codes import CodeService
    from .services.credentials import Credentials
    from .services.cursors import Cursors
    from .services.keys import KeysService
    from .services.ledger import LedgerService
    from .services.membership import MembershipService
    from .services.metering import MeteringService
    from .services.passwords import Passwords
    from .services.provider_probe import ProviderClient
    from .services.proxy import ProxyService
    from .services.quota_warnings import QuotaWarningService, QuotaWatch
    from .services.tokens import TokenService
    from .services.totp import Totp
    from .services.usage_views import UsageViews
    from .services.webhooks import WebhookSender
    from .tables.audit import AuditTable
    from .tables.login_counters import LoginCountersTable
    from .tables.users import UsersTable
    from .upstreams.client import UpstreamClient


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

    @cached_property
    def users_table(self) -> UsersTable:
        from .tables.users import UsersTable

        return UsersTable()

    @cached_property
    def login_counters(self) -> LoginCountersTable:
        from .tables.login_counters import LoginCountersTable

        return LoginCountersTable()

    @cached_property
    def audit_table(self) -> AuditTable:
        from .tables.audit import AuditTable

        return AuditTable()

    @cached_property
    def cursors(self) -> Cursors:
        from .services.cursors import Cursors

        return Cursors(self.settings.secret_key)

    @cached_property
    def audit(self) -> AuditService:
        from .services.audit import AuditService

        return AuditService(self.audit_table, self.clock, self.settings, self.cursors)

    @cached_property
    def passwords(self) -> Passwords:
        from .services.passwords import Passwords

        s = self.settings
        return Passwords(s.argon2_time_cost, s.argon2_memory_kib, s.argon2_parallelism)

    @cached_property
    def totp(self) -> Totp:
        from .services.totp import Totp

        return Totp(self.cipher)

    @cached_property
    def credentials(self) -> Credentials:
        from .services.credentials import Credentials

        return Credentials(self.settings, self.clock, self.users_table, self.login_counters, self.passwords,
                           self.totp, self.audit)

    @cached_property
    def tokens(self) -> TokenService:
        from .services.tokens import TokenService

        return TokenService(self.settings, self.clock, self.users_table, self.audit)

    @cached_property
    def accounts(self) -> AccountService:
        from .services.accounts import AccountService

        # The hooks are looked up on each call, so other areas (and tests) can override them.
        return AccountService(self.settings, self.clock, self.users_table, self.passwords, self.totp,
                              self.credentials, self.tokens, self.audit,
                              on_activated=lambda uid, meta: self.on_user_activated(uid, meta),
                              membership_of=lambda uid: self.membership_of(uid))

    @cached_property
    def account_security(self) -> AccountSecurityService:
        from .services.account_security import AccountSecurityService

        return AccountSecurityService(self.settings, self.clock, self.users_table, self.totp, self.credentials,
                                      self.audit)

    @cached_property
    def admin_users(self) -> AdminUserService:
        from .services.admin_users import AdminUserService

        return AdminUserService(self.clock, self.users_table, self.accounts, self.credentials, self.totp,
                                self.audit, self.cursors,
                                on_activated=lambda uid, meta: self.on_user_activated(uid, meta),
                                on_disabled=lambda uid, meta: self.on_user_disabled(uid, meta))

    def authenticate(self, access_token: str) -> Caller:
        """Verify a portal access token and that its session and user are live; raises Unauthorized."""
        return self.tokens.authenticate(access_token)

    def admin_refused(self, caller: Caller, meta: RequestMeta, route: str) -> None:
        """A signed-in non-admin called an admin route: leave a security item (`route` is the
        declared path template, never the raw request path)."""
        self.audit.record(user_id=caller.user_id, type="security", action="admin_denied", meta=meta,
                          detail={"route": route})

    def on_user_activated(self, user_id: str, meta: RequestMeta | None) -> dict[str, Any]:
        """A new account became active: give it its default quota and key, and its sign-up
        credit. Returns extra fields for the verify response (the new key, shown once)."""
        extras: dict[str, Any] = {}
        issued = self.keys.provision_default(user_id, meta)
        if issued is not None:
            extras["api_key"] = issued.as_dict()  # {key_id, key, prefix, quota_id}; shown once
        if self.settings.signup_credit > 0:
            # Called once per account, when it turns active (the accounts area's status change).
            self.metering.credit(user_id, self.settings.signup_credit, "signup_credit", "signup", request=meta)
        return extras

    def on_user_disabled(self, user_id: str, meta: RequestMeta | None) -> None:
        """A user was disabled: every key of theirs stops working at once."""
        self.keys.disable_user_keys(user_id, meta)

    def membership_of(self, user_id: str) -> dict[str, Any]:
        """`{plan, expires_at, auto_renew}` for /api/me (ledger area)."""
        return self.membership.membership_of(user_id)

    # --- catalog, keys, quotas (issue 3) ---

    @cached_property
    def catalog(self) -> CatalogService:
        """The proxy's catalog reads (cached snapshot) and provider health."""
        from .services.catalog import CatalogService
        from .tables.catalog import CatalogRepository

        return CatalogService(CatalogRepository(), self.cipher, self.clock, self.settings,
                              admin=lambda: self.catalog_admin)

    @cached_property
    def provider_client(self) -> ProviderClient:
        """Connection tests and model lists for the admin, over the proxy's upstream client."""
        from .services.provider_probe import UpstreamProviderClient

        return UpstreamProviderClient(self.upstream_client)

    @cached_property
    def catalog_admin(self) -> CatalogAdmin:
        from .services.catalog_admin import CatalogAdmin
        from .services.catalog_types import QuotaLimits
        from .tables.catalog import CatalogRepository

        return CatalogAdmin(CatalogRepository(), self.catalog, self.cipher, self.clock, self.audit,
                            self.provider_client, QuotaLimits(rpm=self.settings.default_rpm or None))

    @cached_property
    def keys(self) -> KeysService:
        from .services.keys import KeysService
        from .tables.keys import KeysRepository

        return KeysService(KeysRepository(), self.catalog, self.catalog_admin, self.clock, self.settings,
                           self.audit, self.quota_usage,
                           user_exists=lambda uid: self.users_table.get_user(uid) is not None)

    # --- proxy, upstreams (issue 4) ---

    @cached_property
    def upstream_client(self) -> UpstreamClient:
        """One pooled HTTP client per warm container: provider connections are reused."""
        from .upstreams.client import UpstreamClient

        return UpstreamClient.from_settings(self.settings)

    @cached_property
    def metering(self) -> MeteringService:
        from .services.metering import MeteringService

        return MeteringService(self.settings, self.clock, self.audit)

    @cached_property
    def proxy(self) -> ProxyService:
        """The /v1 proxy; `keys`, `catalog` and `upstream_client` come from their areas."""
        from .services.proxy import ProxyService

        return ProxyService(self.keys, self.catalog, self.upstream_client, self.metering, self.clock,
                            membership=self.membership)

    @cached_property
    def proxy_relay(self) -> StreamRelay:
        """Streams for the /v1 app: the proxy's checks and money, an async upstream client."""
        from .proxy.relay import StreamRelay
        from .upstreams.streaming import StreamingClient

        return StreamRelay(self.proxy, StreamingClient.from_settings(self.settings), self.settings.proxy_max_seconds)

    def quota_usage(self, quota_id: str, period_key: str) -> tuple[Decimal, int]:
        """A quota's settled usage in one period: (cost in USD, tokens)."""
        usage = self.metering.quota_usage(quota_id, period_key)
        return usage.used_cost, usage.used_tokens

    # --- ledger, usage, jobs (issue 5) ---

    @cached_property
    def ledger(self) -> LedgerService:
        from .services.ledger import LedgerService

        return LedgerService(self.clock, self.metering, self.users_table, self.audit, self.cursors)

    @cached_property
    def membership(self) -> MembershipService:
        from .services.membership import MembershipService

        s = self.settings
        return MembershipService(self.clock, self.audit, s.membership_required, s.catalog_cache_seconds)

    @cached_property
    def codes(self) -> CodeService:
        from .services.codes import CodeService

        return CodeService(self.clock, self.settings.secret_key, self.audit, self.cursors)

    @cached_property
    def usage_views(self) -> UsageViews:
        from .services.usage_views import UsageViews

        return UsageViews(self.clock, self.cursors)

    @cached_property
    def webhooks(self) -> WebhookSender:
        from .services.webhooks import WebhookSender

        return WebhookSender(self.settings.webhook_url, self.settings.webhook_secret)

    @cached_property
    def quota_warnings(self) -> QuotaWarningService:
        from .services.quota_warnings import QuotaWarningService

        return QuotaWarningService(self.clock, self.audit, self.webhooks, self.quota_usage, self.quota_watches)

    def quota_watches(self) -> Iterator[QuotaWatch]:
        """Every quota with its limits and warn_at, from the keys area (paged); none until
        that area is in the container."""
        from .services.quota_warnings import QuotaWatch

        try:
            keys = self.keys
        except AttributeError:
            return
        cursor = None
        for _ in range(10_000):  # bounded: 1M quotas
            views, cursor = keys.list_quotas(user_id=None, limit=100, cursor=cursor)
            for v in views:
                limit_cost = v.get("limit_cost")
                yield QuotaWatch(v["quota_id"], v["user_id"], v.get("period") or "month",
                                 None if limit_cost is None else Decimal(str(limit_cost)), v.get("limit_tokens"),
                                 tuple(Decimal(str(f)) for f in v.get("warn_at") or ()))
            if not cursor:
                return


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
