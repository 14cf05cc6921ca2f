"""Accounts: sign-up with mandatory TOTP enrollment, activation, sign-in, profile.

A new account is `pending_totp` until its owner proves the authenticator works
(`verify_registration`); only then can it sign in. Every outcome is audited here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from ..audit.service import AuditService
from ..kernel.clock import Clock, iso
from ..kernel.context import RequestMeta
from ..kernel.errors import AlreadyExists, BadRequest, Conflict, Forbidden, NotFound
from ..kernel.ids import new_id
from ..kernel.settings import Settings
from ..ledger.types import Membership
from .credentials import Attempt, Credentials
from .passwords import Passwords
from .rules import check_password_policy, normalize_email, normalize_username
from .store import User, UsersStore
from .tokens import TokenPair, TokenService
from .totp import Totp
from .types import AccountView, Profile, Registration, Verified

ROLES = ("user", "superadmin")

Hook = Callable[[str, RequestMeta | None], Any]


def user_view(user: User) -> AccountView:
    """The public fields of a user (never hashes or secrets)."""
    return AccountView(user.user_id, user.username, user.email, user.role, user.status, user.created_at,
                       user.updated_at)


class AccountService:
    def __init__(self, settings: Settings, clock: Clock, users: UsersStore, passwords: Passwords, totp: Totp,
                 credentials: Credentials, tokens: TokenService, audit: AuditService,
                 on_activated: Hook, membership_of: Callable[[str], Membership]) -> None:
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
                 status: str = "pending_totp", expires: bool = False,
                 enrol_at_login: bool = False) -> tuple[User, str]:
        """Create a user with a fresh TOTP secret (username/email unique); returns (user, secret).

        `expires`: a self-registration, released if not verified within PENDING_REGISTRATION_HOURS;
        an expired one holding the username or email is released here and the write tried again."""
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
        user.enrol_at_login = enrol_at_login
        if expires:
            user.pending_expires_at = int(self._clock.now().timestamp()) + self._settings.pending_registration_seconds
        try:
            self._users.create_user(user)
        except AlreadyExists:
            if not self._release_expired_holders(username, email):
                raise
            self._users.create_user(user)
        return user, secret

    def _release_expired_holders(self, username: str, email: str | None) -> bool:
        """Release expired self-registrations holding `username` or `email`; True if any was."""
        holders = {self._users.user_id_for_username(username), self._users.user_id_for_email(email) if email else None}
        released = False
        for user_id in holders - {None}:
            holder = self._users.get_user(user_id or "")
            if holder is not None and self._expired(holder) and \
                    self._users.release_expired_pending(holder, int(self._clock.now().timestamp())):
                self._audit.record(user_id=holder.user_id, type="account", action="registration_expired",
                                   detail={"username": holder.username})
                released = True
        return released

    def _enrolment_started(self, user: User, meta: RequestMeta | None) -> Forbidden:
        """An admin-created or TOTP-reset account: a new secret for the owner (never the admin),
        confirmed through POST /api/register/verify."""
        secret = self._totp.new_secret()
        self._users.start_enrolment(user.user_id, self._totp.encrypt(secret), iso(self._clock.now()))
        self._audit.record(user_id=user.user_id, type="security", action="totp_enrolment_started", meta=meta)
        return Forbidden("Set up your authenticator with this secret, then confirm a code with "
                         "POST /api/register/verify.", code="totp_enrollment_required",
                         details={"totp": asdict(self._totp.enrollment(secret, user.username))})

    def _expired(self, user: User) -> bool:
        return (user.status == "pending_totp" and user.pending_expires_at is not None
                and user.pending_expires_at <= int(self._clock.now().timestamp()))

    def register(self, username: str, email: str, password: str, meta: RequestMeta | None) -> Registration:
        """Sign up: a `pending_totp` account and the TOTP enrollment data (secret shown here only)."""
        self._credentials.throttle(meta.ip if meta else "", meta)  # each sign-up costs an argon2 hash
        user, secret = self.new_user(username, email, password, expires=True)
        self._audit.record(user_id=user.user_id, type="account", action="register", meta=meta,
                           detail={"username": user.username})
        return Registration(user.user_id, user.username, user.status, self._totp.enrollment(secret, user.username))

    def verify_registration(self, username: str, password: str, code: str,
                            meta: RequestMeta | None) -> Verified:
        """Activate a pending account with its first TOTP code; returns 10 recovery codes (once)
        plus whatever the activation hook adds (the first API key)."""
        self._credentials.throttle(meta.ip if meta else "", meta)
        attempt = self._credentials.check_password(username, password, meta, "verify",
                                                   lambda u: self._credentials.code_ok(u, code))
        user = attempt.user
        if user.status != "pending_totp":
            raise Conflict("This account is already verified.", code="already_verified")
        if self._expired(user):
            self._release_expired_holders(user.username, user.email)
            raise Conflict("This registration expired before it was verified; register again.",
                           code="registration_expired")
        step = self._credentials.totp_step(user, code)
        codes, hashes = self._credentials.new_recovery_codes()
        if step is None or not self._users.activate(user.user_id, step, hashes, iso(self._clock.now())):
            self._credentials.fail(username, user, meta, "verify", "bad_totp", locked=attempt.locked)
        self._credentials.succeeded(username)
        if user.enrol_at_login:  # admin-created or TOTP reset: the account's keys and credit exist already
            self._audit.record(user_id=user.user_id, type="security", action="totp_enrolled", meta=meta)
            return Verified(user.user_id, "active", codes)
        self._audit.record(user_id=user.user_id, type="account", action="activated", meta=meta)
        return Verified(user.user_id, "active", codes, self._on_activated(user.user_id, meta) or {})

    def login(self, username: str, password: str, totp_code: str | None, recovery_code: str | None,
              meta: RequestMeta | None) -> TokenPair:
        """Password plus a TOTP code (accepted once) or a recovery code (works once) -> tokens."""
        self._credentials.throttle(meta.ip if meta else "", meta)
        if self._settings.require_totp and not totp_code and not recovery_code:
            raise BadRequest("Enter the 6-digit code from your authenticator app (or a recovery code).",
                             code="totp_code_required", param="totp_code")
        attempt = self._credentials.check_password(
            username, password, meta, "login", lambda u: self._credentials.code_ok(u, totp_code, recovery_code))
        user = attempt.user
        if attempt.locked and user.status != "active":
            # While locked, only password + second factor tell anything: no "right password" oracle.
            self._credentials.fail(username, user, meta, "login", user.status, locked=True)
        if user.status == "pending_totp" and user.enrol_at_login:
            raise self._enrolment_started(user, meta)
        if user.status == "pending_totp":
            raise Forbidden("Finish setting up your authenticator first (POST /api/register/verify).",
                            code="totp_enrollment_required")
        if user.status != "active":
            self._audit.record(user_id=user.user_id, type="auth", action="login_failed", meta=meta,
                               detail={"reason": "disabled"})
            raise Forbidden("This account is disabled.", code="account_disabled")
        method = self._second_factor(attempt, username, totp_code, recovery_code, meta)
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

    def profile(self, user_id: str) -> Profile:
        """`/api/me`: the user's public fields and membership."""
        user = self._users.get_user(user_id)
        if user is None:
            raise NotFound("No such user.", code="user_not_found")
        return Profile(**asdict(user_view(user)), membership=self._membership_of(user_id))

    def create_superadmin(self, username: str, password: str, email: str | None = None) -> tuple[str, str]:
        """An active superadmin (bootstrap: local stack, deploy CLI); returns (user_id, totp_secret).

        Recovery codes are not issued: the operator holds the TOTP secret itself."""
        user, secret = self.new_user(username, email, password, role="superadmin", status="active")
        self._audit.record(user_id=user.user_id, type="admin", action="superadmin_created",
                           detail={"username": user.username})
        return user.user_id, secret

    def _second_factor(self, attempt: Attempt, username: str, totp_code: str | None, recovery_code: str | None,
                       meta: RequestMeta | None) -> str:
        user, locked = attempt.user, attempt.locked
        if user.totp_secret_enc is None and not self._settings.require_totp and not locked:
            return "password"
        if totp_code:
            if self._credentials.consume_totp(user, totp_code) is None:
                self._credentials.fail(username, user, meta, "login", "bad_totp", locked=locked)
            return "totp"
        if recovery_code:
            if not self._credentials.consume_recovery_code(user, recovery_code):
                self._credentials.fail(username, user, meta, "login", "bad_recovery_code", locked=locked)
            self._audit.record(user_id=user.user_id, type="security", action="recovery_code_used", meta=meta,
                               detail={"remaining": len(user.recovery_hashes) - 1})
            return "recovery_code"
        self._credentials.fail(username, user, meta, "login", "missing_code", locked=locked)
