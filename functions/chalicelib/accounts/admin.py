"""Superadmin management of users: list, create (active, TOTP secret shown once), update."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..audit.service import AuditService
from ..kernel.clock import Clock, iso
from ..kernel.context import Caller, RequestMeta
from ..kernel.cursors import Cursors
from ..kernel.errors import Conflict, NotFound
from .credentials import Credentials
from .rules import normalize_email
from .service import AccountService, user_view
from .store import UsersStore
from .totp import Totp

STATUSES = ("pending_totp", "active", "disabled")
Hook = Callable[[str, RequestMeta | None], Any]


class AdminUserService:
    def __init__(self, clock: Clock, users: UsersStore, accounts: AccountService, credentials: Credentials,
                 totp: Totp, audit: AuditService, cursors: Cursors, on_activated: Hook, on_disabled: Hook) -> None:
        self._clock = clock
        self._users = users
        self._accounts = accounts
        self._credentials = credentials
        self._totp = totp
        self._audit = audit
        self._cursors = cursors
        self._on_activated = on_activated
        self._on_disabled = on_disabled

    def list_users(self, *, q: str | None, status: str | None, role: str | None, limit: int,
                   cursor: str | None) -> dict[str, Any]:
        """Users newest first, filtered by text (username/email contains), status and role."""
        scope = f"admin-users:{q or ''}:{status or ''}:{role or ''}"
        start = self._cursors.decode(cursor, scope)
        users, last = self._users.list_users(limit, start, status=status, role=role,
                                             text=q.lower() if q else None)
        next_cursor = self._cursors.encode(last, scope) if len(users) >= limit else None
        return {"items": [user_view(u) for u in users], "next_cursor": next_cursor}

    def create_user(self, admin: Caller, *, username: str, email: str | None, password: str, role: str,
                    meta: RequestMeta | None) -> dict[str, Any]:
        """An active account; its TOTP secret and recovery codes are returned only here."""
        user, secret = self._accounts.new_user(username, email, password, role=role, status="active")
        codes, hashes = self._credentials.new_recovery_codes()
        self._users.replace_recovery_hashes(user.user_id, hashes, iso(self._clock.now()))
        detail = {"target": user.user_id, "username": user.username, "role": role}
        self._audit.record(user_id=admin.user_id, type="admin", action="user_created", meta=meta, detail=detail)
        self._audit.record(user_id=user.user_id, type="account", action="created_by_admin", meta=meta,
                           actor_id=admin.user_id, detail=detail)
        extras = self._on_activated(user.user_id, meta) or {}
        return {**extras, **user_view(user), "totp": self._totp.enrollment(secret, user.username),
                "recovery_codes": codes}

    def update_user(self, admin: Caller, user_id: str, *, role: str | None, status: str | None,
                    email: str | None, meta: RequestMeta | None) -> dict[str, Any]:
        """Change role, status or email. Disabling ends every session and key of the user at once."""
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
        fresh = self._users.get_user(user_id)
        assert fresh is not None
        return user_view(fresh)
