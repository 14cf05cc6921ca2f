"""Account recovery without e-mail: password change, admin-issued one-time reset tokens.

A reset token is 32 random bytes shown once to the admin who issued it; only its keyed hash is
stored, with an expiry (PASSWORD_RESET_TOKEN_HOURS). Using it is one conditional write (this
hash, not expired), so it works once. Both a change and a reset end other sessions.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from ..audit.service import AuditService
from ..kernel.clock import Clock, iso
from ..kernel.context import Caller, RequestMeta
from ..kernel.crypto import keyed_hash
from ..kernel.errors import InvalidCredentials, NotFound
from ..kernel.settings import Settings
from .credentials import Credentials
from .passwords import Passwords
from .store import UsersStore
from .types import ResetToken


class RecoveryService:
    def __init__(self, settings: Settings, clock: Clock, users: UsersStore, passwords: Passwords,
                 credentials: Credentials, audit: AuditService) -> None:
        self._settings = settings
        self._clock = clock
        self._users = users
        self._passwords = passwords
        self._credentials = credentials
        self._audit = audit

    def change_password(self, caller: Caller, current_password: str, new_password: str, code: str,
                        meta: RequestMeta | None) -> None:
        """Password + TOTP code -> new password; every other session of the user ends."""
        attempt = self._credentials.check_password(caller.username, current_password, meta, "password_change",
                                                   lambda u: self._credentials.code_ok(u, code))
        user = attempt.user
        if user.user_id != caller.user_id:
            raise InvalidCredentials()
        if self._credentials.consume_totp(user, code) is None:
            self._credentials.fail(caller.username, user, meta, "password_change", "bad_totp", locked=attempt.locked)
        self._credentials.succeeded(caller.username)
        self._users.set_password(user.user_id, self._passwords.hash(new_password), iso(self._clock.now()))
        ended = self._users.revoke_other_sessions(user.user_id, caller.session_id)
        self._audit.record(user_id=user.user_id, type="security", action="password_changed", meta=meta,
                           detail={"other_sessions_ended": ended})

    def issue_reset_token(self, admin: Caller, user_id: str, meta: RequestMeta | None) -> ResetToken:
        """A one-time reset token for the user (shown once; only its hash is kept)."""
        if self._users.get_user(user_id) is None:
            raise NotFound("No such user.", code="user_not_found")
        token = secrets.token_urlsafe(32)
        expires = self._clock.now() + timedelta(seconds=self._settings.password_reset_token_seconds)
        self._users.set_reset_token(user_id, self._hash(token), int(expires.timestamp()), iso(self._clock.now()))
        detail = {"target": user_id, "expires_at": iso(expires)}
        self._audit.record(user_id=admin.user_id, type="admin", action="password_reset_token_issued", meta=meta,
                           detail=detail)
        self._audit.record(user_id=user_id, type="security", action="password_reset_token_issued", meta=meta,
                           actor_id=admin.user_id, detail=detail)
        return ResetToken(token, iso(expires))

    def reset_password(self, username: str, reset_token: str, new_password: str, code: str,
                       meta: RequestMeta | None) -> None:
        """Username + admin-issued token + TOTP code -> new password; the token works once, every
        session ends. An account waiting to enrol a new TOTP has no code to give: the token suffices."""
        self._credentials.throttle(meta.ip if meta else "", meta)
        user_id = self._users.user_id_for_username(username)
        user = self._users.get_user(user_id) if user_id else None
        awaiting_enrolment = user is not None and user.enrol_at_login and user.status == "pending_totp"
        code_ok = user is not None and (awaiting_enrolment or self._credentials.code_ok(user, code))
        now = self._clock.now()
        if user is None or not code_ok or not self._users.reset_password(
                user.user_id, self._hash(reset_token), int(now.timestamp()), self._passwords.hash(new_password),
                iso(now)):
            self._audit.record(user_id=user.user_id if user else None, type="security",
                               action="password_reset_failed", meta=meta)
            raise InvalidCredentials("The username, reset token or code is not valid (or the token expired).")
        if not awaiting_enrolment:
            self._credentials.consume_totp(user, code)
        self._credentials.succeeded(username)
        self._audit.record(user_id=user.user_id, type="security", action="password_reset", meta=meta)

    def _hash(self, token: str) -> str:
        return keyed_hash(self._settings.secret_key, f"password-reset:{token}")
