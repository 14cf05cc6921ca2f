"""Quotas (user x model group) and their API keys.

A key is `sk-kl-` + 32 random url-safe bytes; only its SHA-256 is stored, with a short
prefix for display; the plaintext exists once, in the answer that creates it. Each quota
has exactly one active key. `lookup` is the proxy's first step: ONE strongly consistent
GetItem by hash, no other read (the quota's limits are denormalised on the key item).
Last use is not written here: the metering area sets the key item's `last_used_at` in
its settle transaction, so the hot path gains no write.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ..audit.types import AuditRecorder
from ..catalog.admin import CatalogAdmin
from ..catalog.service import CatalogService
from ..catalog.types import QuotaLimits, validate_limits
from ..kernel.clock import Clock
from ..kernel.context import RequestMeta
from ..kernel.crypto import random_token, sha256_hex
from ..kernel.errors import BadRequest, Forbidden, NotFound, QuotaExceeded, Unauthorized
from ..kernel.ids import new_id
from ..kernel.periods import period_window
from ..kernel.serialize import plain
from ..kernel.settings import Settings
from .cache import KeyCache
from .store import KeysStore
from .types import ApiKey, IssuedKey, KeyInfo, KeyView, Quota, QuotaUsage, QuotaView

KEY_PREFIX = "sk-kl-"
PREFIX_LEN = 10  # `sk-kl-` + 4 characters: enough to tell keys apart, useless to guess them
MAX_KEY_LEN = 128
MAX_CIDRS = 50

UsageReader = Callable[[str, str], tuple[Decimal, int]]  # (quota_id, period_key) -> (cost, tokens)


def parse_cidrs(values: Any) -> tuple[str, ...]:
    """Validate and normalise an IP allow-list (`10.0.0.0/8`, `2001:db8::/32`, `1.2.3.4`)."""
    values = list(values or ())
    if len(values) > MAX_CIDRS:
        raise BadRequest(f"ip_allow takes at most {MAX_CIDRS} entries.", code="invalid_cidr", param="ip_allow")
    out = []
    for v in values:
        try:
            out.append(str(ipaddress.ip_network(str(v).strip(), strict=False)))
        except ValueError as exc:
            raise BadRequest(f"{v!r} is not an IP address or CIDR block.", code="invalid_cidr",
                             param="ip_allow") from exc
    return tuple(dict.fromkeys(out))


def ip_allowed(ip: str, cidrs: tuple[str, ...]) -> bool:
    if not cidrs:
        return True
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(addr in ipaddress.ip_network(c) for c in cidrs)


def as_utc(at: datetime | None) -> datetime | None:
    """Expiry times without a zone are taken as UTC (the API speaks UTC)."""
    if at is None:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def key_view(k: ApiKey) -> KeyView:
    return KeyView(key_id=k.key_id, prefix=k.prefix, status=k.status, created_at=k.created_at,
                   last_used_at=k.last_used_at, expires_at=k.expires_at, ip_allow=k.ip_allow)


def _audited(view: QuotaView) -> dict[str, Any]:
    """A quota as its audit record keeps it: of a key not read, only its id."""
    detail = asdict(view)
    if view.key.prefix is None:
        detail["key"] = {"key_id": view.key.key_id}
    return detail


USER_STATUS = "user_status"  # `disabled_by` of keys disabled because their user was


class KeysService:
    def __init__(self, repo: KeysStore, catalog: CatalogService, catalog_admin: CatalogAdmin, clock: Clock,
                 settings: Settings, audit: AuditRecorder, usage: UsageReader,
                 user_exists: Callable[[str], bool] | None = None) -> None:
        self._repo = repo
        self._catalog = catalog
        self._catalog_admin = catalog_admin
        self._clock = clock
        self._settings = settings
        self._audit = audit
        self._usage = usage
        self._user_exists = user_exists
        self._cache: KeyCache[ApiKey] = KeyCache(settings.key_cache_seconds)

    def _check_user(self, user_id: str) -> None:
        if self._user_exists is not None and not self._user_exists(user_id):
            raise NotFound("No such user.", code="user_not_found")

    # --- the proxy's read path ---

    def lookup(self, plaintext: str, ip: str | None = None, cached: bool = False) -> KeyInfo:
        """The key's identity and limits, from ONE consistent GetItem by SHA-256, or with
        `cached` from this container's memory of that read (KEY_CACHE_SECONDS): only for
        callers whose reservation checks the key's revision (see key_cache).

        Raises Unauthorized(code="invalid_api_key") for an unknown, disabled, replaced or
        expired key; Forbidden(code="ip_not_allowed") when `ip` is given and outside the
        key's allow-list; QuotaExceeded(code="quota_ended") for a one-off quota whose
        period is over."""
        if not plaintext.startswith(KEY_PREFIX) or len(plaintext) > MAX_KEY_LEN:
            raise Unauthorized("Invalid API key.", code="invalid_api_key")
        key_hash = sha256_hex(plaintext)
        key = self._cache.get(key_hash) if cached else None
        if key is None:
            key = self._repo.get_key(key_hash)
            if key is None or key.status != "active":
                self._cache.forget(key_hash)
                raise Unauthorized("Invalid API key.", code="invalid_api_key")
            self._cache.put(key_hash, key)
        now = self._clock.now()
        if key.expires_at is not None and key.expires_at <= now:
            raise Unauthorized("This API key has expired.", code="invalid_api_key")
        if key.quota_ends_at is not None and key.quota_ends_at <= now:
            raise QuotaExceeded("This key's quota ended with its period.", code="quota_ended")
        info = KeyInfo(
            key_id=key.key_id, key_hash=key.key_hash, prefix=key.prefix, user_id=key.user_id,
            quota_id=key.quota_id, group=key.group_id, status=key.status, expires_at=key.expires_at,
            ip_allow=key.ip_allow, period=key.limits.period, limit_cost=key.limits.limit_cost,
            limit_tokens=key.limits.limit_tokens, rpm=key.limits.rpm, quota_ends_at=key.quota_ends_at, rev=key.rev,
            allow_own_providers=key.limits.allow_own_providers,
        )
        if ip is not None:
            self.check_ip(info, ip)
        return info

    @staticmethod
    def check_ip(info: KeyInfo, ip: str) -> None:
        """Refuse a caller outside the key's IP allow-list (an empty list allows all)."""
        if not ip_allowed(ip, info.ip_allow):
            raise Forbidden("This API key may not be used from this address.", code="ip_not_allowed")

    # --- making keys ---

    def _issue(self, quota_id: str, user_id: str, group_id: str, limits: QuotaLimits, ends_at: datetime | None,
               expires_at: datetime | None = None, ip_allow: tuple[str, ...] = ()) -> tuple[ApiKey, IssuedKey]:
        plaintext = KEY_PREFIX + random_token(32)
        now = self._clock.now()
        key = ApiKey(key_id=new_id(now), key_hash=sha256_hex(plaintext), prefix=plaintext[:PREFIX_LEN],
                     user_id=user_id, quota_id=quota_id, group_id=group_id, status="active", limits=limits,
                     created_at=now, expires_at=expires_at, ip_allow=ip_allow, quota_ends_at=ends_at)
        return key, IssuedKey(key_id=key.key_id, key=plaintext, prefix=key.prefix, quota_id=quota_id)

    def _ends_at(self, limits: QuotaLimits) -> datetime | None:
        # A one-off allocation (auto_renew false) ends with the period it starts in.
        if limits.auto_renew or limits.period == "none":
            return None
        return period_window(limits.period, self._clock.now()).end

    def _audit_keys(self, user_id: str, action: str, actor_id: str, meta: RequestMeta | None,
                    detail: dict[str, Any]) -> None:
        if actor_id != user_id and actor_id != "system":
            self._audit.record(user_id=actor_id, type="admin", action=action, meta=meta, actor_id=actor_id,
                               detail=plain({**detail, "user_id": user_id}))
        self._audit.record(user_id=user_id, type="keys", action=action, meta=meta, actor_id=actor_id,
                           detail=plain(detail))

    def create_quota(self, *, user_id: str, group: str, limits: QuotaLimits | dict[str, Any], actor_id: str,
                     meta: RequestMeta | None, expires_at: datetime | None = None,
                     ip_allow: Any = ()) -> tuple[QuotaView, IssuedKey]:
        """A quota for `user_id` on `group` (id or name) with its first key, shown once.
        `limits` as a dict overrides the group's default_quota field by field."""
        if actor_id != "system":  # provisioning runs for a user being created right now
            self._check_user(user_id)
        g = self._catalog.group_by_ref(group, fresh=True)
        if isinstance(limits, dict):
            given = {k: v for k, v in limits.items() if v is not None or k in ("limit_cost", "limit_tokens", "rpm")}
            if "warn_at" in given:
                given["warn_at"] = tuple(given["warn_at"])
            limits = replace(g.default_quota, **given)
        limits = validate_limits(limits)
        now = self._clock.now()
        quota_id = new_id(now)
        ends_at = self._ends_at(limits)
        key, issued = self._issue(quota_id, user_id, g.group_id, limits, ends_at, as_utc(expires_at),
                                  parse_cidrs(ip_allow))
        quota = Quota(quota_id=quota_id, user_id=user_id, group_id=g.group_id, limits=limits, key_id=key.key_id,
                      key_hash=key.key_hash, created_at=now, updated_at=now, ends_at=ends_at)
        self._repo.create_quota(quota, key)
        view = self._view(quota, key)
        self._audit_keys(user_id, "quota.create", actor_id, meta,
                         {"target": quota_id, "before": None, "after": _audited(view)})
        return view, issued

    def provision_default(self, user_id: str, meta: RequestMeta | None = None) -> IssuedKey | None:
        """The new user's quota on `settings.default_group` (created empty if missing) with
        the group's default limits, and its key. None if the user already has one there."""
        group = self._catalog_admin.ensure_group(self._settings.default_group, actor_id="system")
        if any(q.group_id == group.group_id for q in self._repo.quotas_of_user(user_id)):
            return None
        _, issued = self.create_quota(user_id=user_id, group=group.group_id, limits=group.default_quota,
                                      actor_id="system", meta=meta)
        return issued

    def update_quota(self, quota_id: str, changes: dict[str, Any], *, actor_id: str,
                     meta: RequestMeta | None) -> QuotaView:
        """Change limits (and the key's `expires_at` / `ip_allow`); quota and key item are
        written in one transaction."""
        old = self._repo.get_quota(quota_id)
        limit_fields = {k: changes[k] for k in ("period", "limit_cost", "limit_tokens", "rpm", "warn_at",
                                                 "auto_renew", "allow_own_providers") if k in changes}
        if "warn_at" in limit_fields:
            limit_fields["warn_at"] = tuple(limit_fields["warn_at"] or ())
        for k in ("period", "auto_renew", "allow_own_providers"):
            if limit_fields.get(k, "") is None:
                del limit_fields[k]
        limits = validate_limits(replace(old.limits, **limit_fields))
        ends_at = old.ends_at
        if limits.period != old.limits.period or limits.auto_renew != old.limits.auto_renew:
            ends_at = self._ends_at(limits)
        new = replace(old, limits=limits, ends_at=ends_at, updated_at=self._clock.now())
        options: dict[str, Any] = {}
        if "expires_at" in changes:
            options["expires_at"] = as_utc(changes["expires_at"])
        if "ip_allow" in changes:
            options["ip_allow"] = parse_cidrs(changes["ip_allow"])
        self._repo.update_quota(old, new, options)
        key = self._repo.get_key(new.key_hash)
        view = self._view(new, key)
        self._audit_keys(old.user_id, "quota.update", actor_id, meta,
                         {"target": quota_id, "before": _audited(self._view(old, None)), "after": _audited(view)})
        return view

    def delete_quota(self, quota_id: str, *, actor_id: str, meta: RequestMeta | None) -> None:
        """Remove a quota and its key (which stops working at once)."""
        old = self._repo.get_quota(quota_id)
        self._repo.delete_quota(old)
        self._audit_keys(old.user_id, "quota.delete", actor_id, meta,
                         {"target": quota_id, "before": _audited(self._view(old, None))})

    def reset_key(self, quota_id: str, *, actor_id: str, meta: RequestMeta | None,
                  owner_id: str | None = None) -> IssuedKey:
        """A new key for the quota; the old one is refused from this moment. With `owner_id`
        (self-service) another user's quota answers 404, as if it did not exist."""
        quota = self._repo.get_quota(quota_id)
        if owner_id is not None and quota.user_id != owner_id:
            raise NotFound("No such quota.", code="quota_not_found")
        return self._reset(quota, actor_id, meta)

    def _reset(self, quota: Quota, actor_id: str, meta: RequestMeta | None) -> IssuedKey:
        old_key = self._repo.get_key(quota.key_hash)
        now = self._clock.now()
        expires_at = old_key.expires_at if old_key and old_key.expires_at and old_key.expires_at > now else None
        ip_allow = old_key.ip_allow if old_key else ()
        key, issued = self._issue(quota.quota_id, quota.user_id, quota.group_id, quota.limits, quota.ends_at,
                                  expires_at, ip_allow)
        self._repo.replace_key(quota, key, now)
        self._audit_keys(quota.user_id, "key.reset", actor_id, meta,
                         {"target": quota.quota_id, "old_key_id": quota.key_id, "new_key_id": key.key_id,
                          "prefix": key.prefix})
        return issued

    def reset_all_keys(self, user_id: str, *, actor_id: str, meta: RequestMeta | None) -> list[IssuedKey]:
        """Replace every key of the user (one per quota); the new keys are shown once."""
        self._check_user(user_id)
        return [self._reset(q, actor_id, meta) for q in self._repo.quotas_of_user(user_id)]

    def disable_user_keys(self, user_id: str, meta: RequestMeta | None = None) -> int:
        """Every active key of the user stops working at once, marked as disabled by the user's
        status (so re-enabling the user restores exactly these); answers how many."""
        count = sum(1 for k in self._repo.keys_of_user(user_id) if k.status == "active"
                    and self._repo.disable_key(k.key_hash, USER_STATUS))
        self._audit.record(user_id=user_id, type="keys", action="keys.disable_all", meta=meta, actor_id="system",
                           detail={"disabled": count})
        return count

    def restore_user_keys(self, user_id: str, meta: RequestMeta | None = None) -> int:
        """The keys disabled with the user work again; keys revoked, replaced or disabled on
        their own stay as they are. Answers how many were restored."""
        count = sum(1 for k in self._repo.keys_of_user(user_id) if k.status == "disabled"
                    and self._repo.restore_key(k.key_hash, USER_STATUS))
        self._audit.record(user_id=user_id, type="keys", action="keys.restore_all", meta=meta, actor_id="system",
                           detail={"restored": count})
        return count

    def quota_ids_in_group(self, group_id: str) -> list[str]:
        """The quotas on a model group (the catalog refuses to delete a group in use)."""
        return self._repo.quota_ids_in_group(group_id)

    # --- views ---

    def _view(self, q: Quota, key: ApiKey | None) -> QuotaView:
        try:
            group_name = self._catalog.group_by_ref(q.group_id).name
        except NotFound:
            group_name = None
        window = period_window(q.limits.period, self._clock.now())
        lim = q.limits
        return QuotaView(
            quota_id=q.quota_id, user_id=q.user_id, group=group_name, group_id=q.group_id, period=lim.period,
            limit_cost=lim.limit_cost, limit_tokens=lim.limit_tokens, rpm=lim.rpm, warn_at=lim.warn_at,
            auto_renew=lim.auto_renew, allow_own_providers=lim.allow_own_providers, period_key=window.key,
            period_start=window.start if lim.period != "none" else None,
            period_end=window.end if lim.period != "none" else None,
            ends_at=q.ends_at, created_at=q.created_at, updated_at=q.updated_at,
            key=key_view(key) if key is not None else KeyView(key_id=q.key_id))

    def _with_usage(self, q: Quota, key: ApiKey | None) -> QuotaUsage:
        view = self._view(q, key)
        used_cost, used_tokens = self._usage(q.quota_id, view.period_key)
        return QuotaUsage(**vars(view), used_cost=used_cost, used_tokens=used_tokens)

    def require_quota(self, quota_id: str) -> None:
        """Raise NotFound(quota_not_found) unless the quota exists."""
        self._repo.get_quota(quota_id)

    def quotas_of(self, user_id: str) -> list[QuotaUsage]:
        """The user's quotas with this period's usage and their key (never the key itself)."""
        keys = {k.key_hash: k for k in self._repo.keys_of_user(user_id)}
        quotas = sorted(self._repo.quotas_of_user(user_id), key=lambda q: q.created_at)
        return [self._with_usage(q, keys.get(q.key_hash) or self._repo.get_key(q.key_hash)) for q in quotas]

    def list_quotas(self, *, user_id: str | None, limit: int,
                    cursor: str | None) -> tuple[list[QuotaUsage], str | None]:
        """Admin listing: one user's quotas, or every quota paged."""
        if user_id:
            return self.quotas_of(user_id), None
        quotas, next_cursor = self._repo.list_quotas(limit, cursor)
        keys = self._repo.get_keys([q.key_hash for q in quotas]) if quotas else {}
        return [self._with_usage(q, keys.get(q.key_hash)) for q in quotas], next_cursor
