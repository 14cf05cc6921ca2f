"""The composition root: the one place that builds clients, repositories and services.

`container()` builds the process-wide instance on first use (never at import time)
and keeps it for the life of a warm Lambda container. Tests and the local stack
build their own `Container` (another clock, settings or HTTP session) and install
it with `set_container`; nothing is patched.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from .kernel.clock import Clock, SystemClock
from .kernel.context import Caller, RequestMeta
from .kernel.crypto import Cipher
from .kernel.settings import Settings, get_settings
from .web.http import Edge

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from .accounts.activation import Activation
    from .accounts.admin import AdminUserService
    from .accounts.credentials import Credentials
    from .accounts.login_store import LoginCountersStore
    from .accounts.passwords import Passwords
    from .accounts.recovery import RecoveryService
    from .accounts.security import AccountSecurityService
    from .accounts.service import AccountService
    from .accounts.store import UsersStore
    from .accounts.tokens import TokenService
    from .accounts.totp import Totp
    from .audit.service import AuditService
    from .audit.store import AuditStore
    from .catalog.admin import CatalogAdmin
    from .catalog.health import ProviderHealthChecks
    from .catalog.own_balances import ProviderBalances
    from .catalog.own_providers import OwnProviders
    from .catalog.probe import ProviderClient
    from .catalog.service import CatalogService
    from .kernel.cursors import Cursors
    from .keys.service import KeysService
    from .ledger.codes import CodeService
    from .ledger.codes_store import CodesStore
    from .ledger.membership import MembershipService
    from .ledger.reads_store import LedgerStore
    from .ledger.retention import LedgerRetention
    from .ledger.service import LedgerService
    from .metering.service import MeteringService
    from .notifications.quota_warnings import QuotaWarningService, QuotaWatch
    from .notifications.service import NotificationService
    from .notifications.webhooks import WebhookSender
    from .proxy.relay import StreamRelay
    from .proxy.service import ProxyService
    from .upstreams.adapters import Adapter
    from .upstreams.client import UpstreamClient
    from .usage.overview import AdminUsageViews
    from .usage.rollups import UsageRollups
    from .usage.service import UsageViews

T = TypeVar("T")


class Container:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        from .store.base import bind_tables

        bind_tables(settings)

    @cached_property
    def cipher(self) -> Cipher:
        return Cipher(self.settings.encryption_keys)

    # --- accounts, tokens, audit (issue 2) ---

    @cached_property
    def users_store(self) -> UsersStore:
        from .accounts.store import UsersStore

        return UsersStore()

    @cached_property
    def login_counters(self) -> LoginCountersStore:
        from .accounts.login_store import LoginCountersStore

        return LoginCountersStore()

    @cached_property
    def audit_store(self) -> AuditStore:
        from .audit.store import AuditStore

        return AuditStore()

    @cached_property
    def cursors(self) -> Cursors:
        from .kernel.cursors import Cursors

        return Cursors(self.settings.secret_key)

    @cached_property
    def audit(self) -> AuditService:
        from .audit.service import AuditService

        return AuditService(self.audit_store, self.clock, self.settings, self.cursors)

    @cached_property
    def passwords(self) -> Passwords:
        from .accounts.passwords import Passwords

        s = self.settings
        return Passwords(s.argon2_time_cost, s.argon2_memory_kib, s.argon2_parallelism)

    @cached_property
    def totp(self) -> Totp:
        from .accounts.totp import Totp

        return Totp(self.cipher)

    @cached_property
    def credentials(self) -> Credentials:
        from .accounts.credentials import Credentials

        return Credentials(self.settings, self.clock, self.users_store, self.login_counters, self.passwords,
                           self.totp, self.audit)

    @cached_property
    def tokens(self) -> TokenService:
        from .accounts.tokens import TokenService

        return TokenService(self.settings, self.clock, self.users_store, self.audit)

    @cached_property
    def accounts(self) -> AccountService:
        from .accounts.service import AccountService

        # The hooks are looked up on each call, so other areas (and tests) can override them.
        return AccountService(self.settings, self.clock, self.users_store, self.passwords, self.totp,
                              self.credentials, self.tokens, self.audit,
                              on_activated=lambda uid, meta: self.on_user_activated(uid, meta),
                              membership_of=lambda uid: self.membership.membership_of(uid))

    @cached_property
    def account_security(self) -> AccountSecurityService:
        from .accounts.security import AccountSecurityService

        return AccountSecurityService(self.settings, self.clock, self.users_store, self.totp, self.credentials,
                                      self.audit)

    @cached_property
    def recovery(self) -> RecoveryService:
        from .accounts.recovery import RecoveryService

        return RecoveryService(self.settings, self.clock, self.users_store, self.passwords, self.credentials,
                               self.audit)

    @cached_property
    def admin_users(self) -> AdminUserService:
        from .accounts.admin import AdminUserService

        return AdminUserService(self.clock, self.users_store, self.accounts, self.credentials, self.audit,
                                self.cursors,
                                on_activated=lambda uid, meta: self.on_user_activated(uid, meta),
                                on_disabled=lambda uid, meta: self.on_user_disabled(uid, meta),
                                on_enabled=lambda uid, meta: self.activation.enabled(uid, meta),
                                balances_of=lambda ids: self.ledger.balances(ids),
                                spend_by_user=lambda: self.admin_usage.spend_by_user(None, None))

    def authenticate(self, access_token: str) -> Caller:
        """Verify a portal access token and that its session and user are live; raises Unauthorized."""
        return self.tokens.authenticate(access_token)

    def admin_refused(self, caller: Caller, meta: RequestMeta, route: str) -> None:
        """A signed-in non-admin called an admin route: leave a security item (`route` is the
        declared path template, never the raw request path)."""
        self.audit.record(user_id=caller.user_id, type="security", action="admin_denied", meta=meta,
                          detail={"route": route})

    @cached_property
    def activation(self) -> Activation:
        from .accounts.activation import Activation

        return Activation(self.keys, self.metering, self.settings.signup_credit)

    # The accounts services call these two seams on each status change (tests replace them).
    def on_user_activated(self, user_id: str, meta: RequestMeta | None) -> dict[str, Any]:
        return self.activation.activated(user_id, meta)

    def on_user_disabled(self, user_id: str, meta: RequestMeta | None) -> None:
        self.activation.disabled(user_id, meta)

    # --- catalog, keys, quotas (issue 3) ---

    @cached_property
    def catalog(self) -> CatalogService:
        """The proxy's catalog reads (cached snapshot) and provider health."""
        from .catalog.service import CatalogService
        from .catalog.store import CatalogStore

        return CatalogService(CatalogStore(), self.cipher, self.clock, self.settings,
                              admin=lambda: self.catalog_admin)

    @cached_property
    def provider_client(self) -> ProviderClient:
        """Connection tests and model lists for the admin, over the proxy's upstream client."""
        from .catalog.probe import UpstreamProviderClient

        return UpstreamProviderClient(self.upstream_client)

    @cached_property
    def catalog_admin(self) -> CatalogAdmin:
        from .catalog.admin import CatalogAdmin
        from .catalog.store import CatalogStore
        from .catalog.types import QuotaLimits

        return CatalogAdmin(CatalogStore(), self.catalog, self.cipher, self.clock, self.audit,
                            self.provider_client, QuotaLimits(rpm=self.settings.default_rpm or None),
                            group_quotas=lambda group_id: self.keys.quota_ids_in_group(group_id),
                            health=self.provider_health,
                            allow_private_urls=self.settings.upstream_allow_private,
                            balances=lambda: self.provider_balances.shared_balances())

    @cached_property
    def provider_health(self) -> ProviderHealthChecks:
        """Provider probes with their kept history (the admin's test and the periodic job)."""
        from .catalog.health import ProviderHealthChecks
        from .catalog.store import CatalogStore
        return ProviderHealthChecks(CatalogStore(), self.catalog, self.cipher, self.clock, self.provider_client)

    @cached_property
    def own_providers(self) -> OwnProviders:
        """Users' own providers (bring your own key), resolved by the proxy as `<name>/<model>`."""
        from .catalog.own_providers import OwnProviders
        from .catalog.own_store import OwnProviderStore

        return OwnProviders(OwnProviderStore(), self.cipher, self.clock, self.audit, self.provider_client,
                            fee_per_1m_tokens=self.settings.byok_fee_per_1m_tokens,
                            allow_private_urls=self.settings.upstream_allow_private)

    @cached_property
    def provider_balances(self) -> ProviderBalances:
        """Providers' remaining credit: own providers' (with low-credit notices) and shared ones'."""
        from .catalog.own_balances import ProviderBalances
        from .catalog.own_store import OwnProviderStore
        from .catalog.probe import UpstreamProviderClient

        return ProviderBalances(OwnProviderStore(), self.catalog, self.cipher, self.clock,
                                UpstreamProviderClient(self.upstream_client).balance, self.notifications.notify)

    @cached_property
    def keys(self) -> KeysService:
        from .keys.service import KeysService
        from .keys.store import KeysStore

        return KeysService(KeysStore(), self.catalog, self.catalog_admin, self.clock, self.settings,
                           self.audit, self.metering.quota_totals,
                           user_exists=lambda uid: self.users_store.get_user(uid) is not None)

    # --- proxy, upstreams (issue 4) ---

    @cached_property
    def upstream_client(self) -> UpstreamClient:
        """One pooled HTTP client per warm container: provider connections are reused."""
        from .upstreams.client import UpstreamClient

        return UpstreamClient.from_settings(self.settings, adapters=self.upstream_adapters)

    @cached_property
    def upstream_adapters(self) -> Mapping[str, Adapter]:
        """Every provider type's wire format; Bedrock's over botocore clients kept per (region, role)."""
        from .upstreams.adapters import ADAPTERS
        from .upstreams.bedrock_calls import BedrockClients, bedrock_adapter

        return {**ADAPTERS, "bedrock": bedrock_adapter(BedrockClients.from_settings(self.settings))}

    @cached_property
    def metering(self) -> MeteringService:
        from .metering.service import MeteringService

        return MeteringService(self.settings, self.clock, self.audit)

    @cached_property
    def proxy(self) -> ProxyService:
        """The /v1 proxy; `keys`, `catalog` and `upstream_client` come from their areas."""
        from .proxy.routing import ModelResolver
        from .proxy.service import ProxyService

        return ProxyService(self.keys, ModelResolver(self.catalog, self.own_providers), self.upstream_client,
                            self.metering, self.clock, membership=self.membership)

    @cached_property
    def proxy_relay(self) -> StreamRelay:
        """Streams for the /v1 app: the proxy's checks and money, an async upstream client."""
        from .proxy.relay import StreamRelay
        from .upstreams.streaming import StreamingClient

        return StreamRelay(self.proxy, StreamingClient.from_settings(self.settings, self.upstream_adapters),
                           self.settings.proxy_max_seconds)

    # --- ledger, usage, jobs (issue 5) ---

    @cached_property
    def ledger(self) -> LedgerService:
        from .ledger.service import LedgerService
        from .usage.reads_store import user_rollups

        return LedgerService(self.ledger_store, self.clock, self.metering,
                             lambda uid: self.users_store.get_user(uid) is not None, self.audit, self.cursors,
                             provider_spend=lambda uid, first, last: user_rollups(uid, first, last, "provider"),
                             provider_names=lambda: self.catalog.provider_names())

    @cached_property
    def ledger_store(self) -> LedgerStore:
        from .ledger.reads_store import LedgerStore

        return LedgerStore()

    @cached_property
    def codes_store(self) -> CodesStore:
        """Plans, code batches and codes (the membership and code services share it)."""
        from .ledger.codes_store import CodesStore

        return CodesStore()

    @cached_property
    def membership(self) -> MembershipService:
        from .ledger.membership import MembershipService
        from .ledger.membership_store import MembershipStore

        s = self.settings
        return MembershipService(MembershipStore(), self.codes_store, self.ledger_store, self.clock, self.audit,
                                 s.membership_required, s.catalog_cache_seconds,
                                 notify=self.notifications.notify,
                                 renewal_lead=timedelta(seconds=s.membership_renewal_lead_seconds))

    @cached_property
    def ledger_retention(self) -> LedgerRetention:
        from .ledger.retention import LedgerRetention

        def user_ids(limit: int, start: dict[str, Any] | None) -> tuple[list[str], dict[str, Any] | None]:
            users, last = self.users_store.list_users(limit, start)
            return [u.user_id for u in users], last

        return LedgerRetention(self.settings.ledger_retention_days, user_ids)

    @cached_property
    def notifications(self) -> NotificationService:
        from .notifications.service import NotificationService

        return NotificationService(self.clock, self.audit, self.settings.audit_retention_days,
                                   lambda uid: self.metering.balance(uid).available)

    @cached_property
    def codes(self) -> CodeService:
        from .ledger.codes import CodeService

        return CodeService(self.codes_store, self.ledger_store, self.clock, self.settings.secret_key, self.audit,
                           self.cursors)

    @cached_property
    def usage_views(self) -> UsageViews:
        from .usage.service import UsageViews

        return UsageViews(self.clock, self.cursors, provider_names=lambda: self.catalog.provider_names())

    @cached_property
    def usage_rollups(self) -> UsageRollups:
        """The rollups, built from the usage table's stream (usage/jobs.py, the local poller)."""
        from .usage.rollups import UsageRollups

        return UsageRollups(self.clock)

    @cached_property
    def admin_usage(self) -> AdminUsageViews:
        """The admin's overview and statistics across users."""
        from .usage.overview import AdminUsageViews
        return AdminUsageViews(self.clock, provider_names=lambda: self.catalog.provider_names(),
                               usernames=lambda ids: self.admin_users.usernames(ids),
                               count_users=lambda: self.admin_users.count_users(),
                               provider_health=lambda: self.provider_health.overview())

    @cached_property
    def webhooks(self) -> WebhookSender:
        from .notifications.webhooks import WebhookSender

        return WebhookSender(self.settings.webhook_url, self.settings.webhook_secret)

    @cached_property
    def quota_warnings(self) -> QuotaWarningService:
        from .notifications.quota_warnings import QuotaWarningService

        return QuotaWarningService(self.clock, self.audit, self.webhooks, self.metering.quota_totals,
                                   lambda: self.quota_watches(), self.notifications)

    def quota_watches(self) -> Iterator[QuotaWatch]:
        """The quotas the warning job watches (a seam tests replace)."""
        from .notifications.quota_warnings import quota_watches

        return quota_watches(self.keys.list_quotas)


_container: Container | None = None


def container() -> Container:
    global _container
    if _container is None:
        _container = Container(get_settings())
    return _container


def web_edge() -> Edge:
    """What the HTTP edge needs, read from the current container on every request (so a test
    that installs another container is seen at once). functions/app.py installs it."""
    return Edge(
        settings=lambda: container().settings,
        authenticate=lambda token: container().authenticate(token),
        admin_refused=lambda caller, meta, route: container().admin_refused(caller, meta, route),
    )


def lazy(pick: Callable[[Container], T]) -> Callable[[], T]:
    """A typed provider for an entry point to hand to a blueprint: `lazy(lambda c: c.keys)` builds
    nothing until a request calls it, then reads the current container (so a test that installs
    another container is seen at once)."""
    return lambda: pick(container())


def set_container(new: Container | None) -> None:
    """Install a container (tests, local stack); `None` rebuilds from env on next use."""
    global _container
    _container = new
