"""Accounts: sign-up with mandatory TOTP enrollment, activation, sign-in, profile.

A new account is `pending_totp` until its owner proves the authenticator works
(`verify_registration`); only then can it sign in. Every outcome is audited here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..audit.service import AuditService
from ..kernel.clock import Clock, iso
from ..kernel.context import RequestMeta
from ..kernel.errors import BadRequest, Conflict, Forbidden, InvalidCredentials, NotFound
from ..kernel.ids import new_id
from ..kernel.settings import Settings
from .credentials import Credentials
from .passwords import Passwords
from .rules import check_password_policy, normalize_email, normalize_username
from .store import User, UsersStore
from .tokens import TokenPair, TokenService
from .totp import Totp

ROLES = ("user", "superadmin")

Hook = Callable[[str, RequestMeta | None], Any]


def user_view(user: User) -> dict[str, Any]:
    """The public fields of a user (never hashes or secrets)."""
    return {"user_id": user.user_id, "username": user.username, "email": user.email, "role": user.role,
            "status": user.status, "created_at": user.created_at, "updated_at": user.updated_at}


class AccountService:
    def __init__(self, settings: Settings, clock: Clock, users: UsersStore, passwords: Passwords, totp: Totp,
                 credentials: Credentials, tokens: TokenService, audit: AuditService,
                 on_activated: Hook, membership_of: Callable[[str], dict[str, Any]]) -> None:
        self._settings = settings
        self._clock = clock
        self._users = users
        self._passwords = passwords
        self._totp = totp
        self._credentials = credentials
        self._tokens = tokens
        self._audit = audit
        self._on_activated = on_activated
        self._membership_of = membership_of

    def new_user(self, username: str, email: str | None, password: str, *, role: str = "user",
                 status: str = "pending_totp") -> tuple[User, str]:
        """Create a user with a fresh TOTP secret (username/email unique); returns (user, secret)."""
        username = normalize_username(username)
        email = normalize_email(email) if email else None
        check_password_policy(password)
        if role not in ROLES:
            raise BadRequest(f"role must be one of {', '.join(ROLES)}.", code="invalid_role")
        now = iso(self._clock.now())
        secret = self._totp.new_secret()
        user = User(user_id=new_id(self._clock.now()), username=username, email=email,
                    password_hash=self._passwords.hash(password), role=role, status=status, token_version=0,
                    totp_secret_enc=self._totp.encrypt(secret), totp_pending_enc=None, totp_last_step=0,
                    recovery_hashes=set(), created_at=now, updated_at=now)
        self._users.create_user(user)
        return user, secret

    def register(self, username: str, email: str, password: str, meta: RequestMeta | None) -> dict[str, Any]:
        """Sign up: a `pending_totp` account and the TOTP enrollment data (secret shown here only)."""
        self._credentials.throttle(meta.ip if meta else "", meta)  # each sign-up costs an argon2 hash
        user, secret = self.new_user(username, email, password)
        self._audit.record(user_id=user.user_id, type="account", action="register", meta=meta,
                           detail={"username": user.username})
        return {"user_id": user.user_id, "username": user.username, "status": user.status,
                "totp": self._totp.enrollment(secret, user.username)}

    def verify_registration(self, username: str, password: str, code: str,
                            meta: RequestMeta | None) -> dict[str, Any]:
        """Activate a pending account with its first TOTP code; returns 10 recovery codes (once)
        plus whatever the activation hook adds (the first API key)."""
        self._credentials.throttle(meta.ip if meta else "", meta)
        user = self._credentials.check_password(username, password, meta, "verify")
        if user.status != "pending_totp":
            raise Conflict("This account is already verified.", code="already_verified")
        step = self._credentials.totp_step(user, code)
        codes, hashes = self._credentials.new_recovery_codes()
        if step is None or not self._users.activate(user.user_id, step, hashes, iso(self._clock.now())):
            self._credentials.fail(username, user, meta, "verify", "bad_totp")
        self._credentials.succeeded(username)
        self._audit.record(user_id=user.user_id, type="account", action="activated", meta=meta)
        extras = self._on_activated(user.user_id, meta) or {}
        return {**extras, "user_id": user.user_id, "status": "active", "recovery_codes": codes}

    def login(self, username: str, password: str, totp_code: str | None, recovery_code: str | None,
              meta: RequestMeta | None) -> TokenPair:
        """Password plus a TOTP code (accepted once) or a recovery code (works once) -> tokens."""
        self._credentials.throttle(meta.ip if meta else "", meta)
        if self._settings.require_totp and not totp_code and not recovery_code:
            raise BadRequest("Enter the 6-digit code from your authenticator app (or a recovery code).",
                             code="totp_code_required", param="totp_code")
        user = self._credentials.check_password(username, password, meta, "login")
        if user.status == "pending_totp":
            raise Forbidden("Finish setting up your authenticator first (POST /api/register/verify).",
                            code="totp_enrollment_required")
        if user.status != "active":
            self._audit.record(user_id=user.user_id, type="auth", action="login_failed", meta=meta,
                               detail={"reason": "disabled"})
            raise Forbidden("This account is disabled.", code="account_disabled")
        method = self._second_factor(user, username, totp_code, recovery_code, meta)
        self._credentials.succeeded(username)
        pair = self._tokens.start_session(user, meta)
        self._audit.record(user_id=user.user_id, type="auth", action="login", meta=meta, detail={"method": method})
        self._audit.touch_ip(user.user_id, meta.ip if meta else "")
        return pair

    def logout(self, user_id: str, session_id: str, meta: RequestMeta | None) -> None:
        """End the caller's session: its access and refresh tokens stop working at once."""
        self._tokens.end_session(user_id, session_id)
        self._audit.record(user_id=user_id, type="auth", action="logout", meta=meta,
                           detail={"session_id": session_id})

    def refresh(self, refresh_token: str, meta: RequestMeta | None) -> TokenPair:
        """Rotate a refresh token (reuse ends the session; see TokenService)."""
        return self._tokens.refresh(refresh_token, meta)

    def profile(self, user_id: str) -> dict[str, Any]:
        """`/api/me`: the user's public fields and membership."""
        user = self._users.get_user(user_id)
        if user is None:
            raise NotFound("No such user.", code="user_not_found")
        return {**user_view(user), "membership": self._membership_of(user_id)}

    def create_superadmin(self, username: str, password: str, email: str | None = None) -> tuple[str, str]:
        """An active superadmin (bootstrap: local stack, deploy CLI); returns (user_id, totp_secret).

        Recovery codes are not issued: the operator holds the TOTP secret itself."""
        user, secret = self.new_user(username, email, password, role="superadmin", status="active")
        self._audit.record(user_id=user.user_id, type="admin", action="superadmin_created",
                           detail={"username": user.username})
        return user.user_id, secret

    def _second_factor(self, user: User, username: str, totp_code: str | None, recovery_code: str | None,
                       meta: RequestMeta | None) -> str:
        if user.totp_secret_enc is None and not self._settings.require_totp:
            return "password"
        if totp_code:
            if self._credentials.consume_totp(user, totp_code) is None:
                self._credentials.fail(username, user, meta, "login", "bad_totp")
            return "totp"
        if recovery_code:
            if not self._credentials.consume_recovery_code(user, recovery_code):
                self._credentials.fail(username, user, meta, "login", "bad_recovery_code")
            self._audit.record(user_id=user.user_id, type="security", action="recovery_code_used", meta=meta,
                               detail={"remaining": len(user.recovery_hashes) - 1})
            return "recovery_code"
        self._credentials.fail(username, user, meta, "login", "missing_code")
        raise InvalidCredentials()  # unreachable: fail() raises
