"""Superadmin management of users: list, create (active, TOTP secret shown once), update."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from ..audit.service import AuditService
from ..kernel.clock import Clock, iso
from ..kernel.context import Caller, RequestMeta
from ..kernel.cursors import Cursors
from ..kernel.errors import Conflict, NotFound
from .credentials import Credentials
from .rules import normalize_email
from .service import AccountService, user_view
from .store import User, UsersStore
from .types import AccountsPage, AccountView, CreatedAccount, ListedAccount

STATUSES = ("pending_totp", "active", "disabled")
Hook = Callable[[str, RequestMeta | None], Any]


class AdminUserService:
    def __init__(self, clock: Clock, users: UsersStore, accounts: AccountService, credentials: Credentials,
                 audit: AuditService, cursors: Cursors, on_activated: Hook, on_disabled: Hook,
                 on_enabled: Hook | None = None,
                 balances_of: Callable[[list[str]], Mapping[str, dict[str, Decimal]]] = lambda ids: {},
                 spend_by_user: Callable[[], Mapping[str, Decimal]] = dict) -> None:
        self._balances_of = balances_of  # user ids -> {available, held} (ledger)
        self._spend_by_user = spend_by_user  # user id -> spend over the last 30 days (usage)
        self._clock = clock
        self._users = users
        self._accounts = accounts
        self._credentials = credentials
        self._audit = audit
        self._cursors = cursors
        self._on_activated = on_activated
        self._on_disabled = on_disabled
        self._on_enabled = on_enabled or (lambda uid, meta: None)  # a disabled user made active again

    def list_users(self, *, q: str | None, status: str | None, role: str | None, limit: int,
                   cursor: str | None) -> AccountsPage:
        """Users newest first, filtered by text (username/email contains), status and role, each
        with its balance and what it spent over the last 30 days."""
        scope = f"admin-users:{q or ''}:{status or ''}:{role or ''}"
        start = self._cursors.decode(cursor, scope)
        users, last = self._users.list_users(limit, start, status=status, role=role,
                                             text=q.lower() if q else None)
        next_cursor = self._cursors.encode(last, scope) if len(users) >= limit else None
        balances = self._balances_of([u.user_id for u in users]) if users else {}
        spend = self._spend_by_user() if users else {}
        items = [ListedAccount(**asdict(user_view(u)), balance=balances.get(u.user_id),
                               spend=spend.get(u.user_id, Decimal(0))) for u in users]
        return AccountsPage(items, next_cursor)

    def usernames(self, user_ids: list[str]) -> dict[str, str]:
        """user id -> username for the ids that exist (admin views name people)."""
        found = (self._users.get_user(uid) for uid in dict.fromkeys(user_ids))
        return {u.user_id: u.username for u in found if u is not None}

    def count_users(self) -> int:
        """How many accounts exist (any status)."""
        return self._users.count_users()

    def create_user(self, admin: Caller, *, username: str, email: str | None, password: str, role: str,
                    meta: RequestMeta | None) -> CreatedAccount:
        """An account whose owner enrols their own TOTP at first login (the admin never sees a
        second factor); its default key and credit are provisioned now."""
        user, _ = self._accounts.new_user(username, email, password, role=role, enrol_at_login=True)
        detail = {"target": user.user_id, "username": user.username, "role": role}
        self._audit.record(user_id=admin.user_id, type="admin", action="user_created", meta=meta, detail=detail)
        self._audit.record(user_id=user.user_id, type="account", action="created_by_admin", meta=meta,
                           actor_id=admin.user_id, detail=detail)
        return CreatedAccount(**asdict(user_view(user)), provisioned=self._on_activated(user.user_id, meta) or {})

    def unlock(self, admin: Caller, user_id: str, meta: RequestMeta | None) -> None:
        """End the account's sign-in lock at once (its attempt budget is whole again)."""
        user = self._get(user_id)
        self._credentials.unlock(user.username)
        self._audit_both(admin, user_id, "user_unlocked", meta)

    def reset_totp(self, admin: Caller, user_id: str, meta: RequestMeta | None) -> None:
        """Forget the user's TOTP and recovery codes: they enrol anew at next login (a secret only
        they see); every session of theirs ends."""
        user = self._get(user_id)
        if user.status == "disabled":
            raise Conflict("Enable the account first.", code="account_disabled")
        self._users.reset_totp(user_id, iso(self._clock.now()))
        self._audit_both(admin, user_id, "totp_reset", meta)

    def _get(self, user_id: str) -> User:
        user = self._users.get_user(user_id)
        if user is None:
            raise NotFound("No such user.", code="user_not_found")
        return user

    def _audit_both(self, admin: Caller, user_id: str, action: str, meta: RequestMeta | None) -> None:
        self._audit.record(user_id=admin.user_id, type="admin", action=action, meta=meta, detail={"target": user_id})
        self._audit.record(user_id=user_id, type="security", action=f"{action}_by_admin", meta=meta,
                           actor_id=admin.user_id, detail={"target": user_id})

    def update_user(self, admin: Caller, user_id: str, *, role: str | None, status: str | None,
                    email: str | None, meta: RequestMeta | None) -> AccountView:
        """Change role, status or email. Disabling ends every session and key of the user at once;
        re-enabling restores the keys that were disabled with the user."""
        user = self._users.get_user(user_id)
        if user is None:
            raise NotFound("No such user.", code="user_not_found")
        if user_id == admin.user_id and (status == "disabled" or role == "user"):
            raise Conflict("You cannot disable or demote yourself.", code="self_change_refused")
        if status == "active" and user.status == "pending_totp":
            raise Conflict("A pending account is activated by its owner's first TOTP code.",
                           code="totp_enrollment_required")
        now = iso(self._clock.now())
        changes: dict[str, Any] = {}
        if email is not None and normalize_email(email) != user.email:
            self._users.change_email(user, normalize_email(email), now)
            changes["email"] = normalize_email(email)
        disabling = status == "disabled" and user.status != "disabled"
        enabling = status == "active" and user.status == "disabled"
        if (role and role != user.role) or (status and status != user.status):
            user = self._users.admin_update(user_id, now, role=role, status=status, bump_token_version=disabling)
            changes.update({k: v for k, v in (("role", role), ("status", status)) if v})
        if changes:
            detail = {"target": user_id, "changes": changes}
            self._audit.record(user_id=admin.user_id, type="admin", action="user_updated", meta=meta, detail=detail)
            self._audit.record(user_id=user_id, type="account", action="updated_by_admin", meta=meta,
                               actor_id=admin.user_id, detail=detail)
        if disabling:
            self._on_disabled(user_id, meta)
        if enabling:
            self._on_enabled(user_id, meta)
        fresh = self._users.get_user(user_id)
        assert fresh is not None
        return user_view(fresh)
