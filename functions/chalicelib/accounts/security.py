"""A signed-in user's own second factor: TOTP rotation, disabling, fresh recovery codes."""

from __future__ import annotations

from ..audit.service import AuditService
from ..kernel.clock import Clock, iso
from ..kernel.context import Caller, RequestMeta
from ..kernel.errors import Conflict, InvalidCredentials
from ..kernel.settings import Settings
from .credentials import Credentials
from .store import User, UsersStore
from .totp import Totp
from .types import RecoveryCodes, TotpEnrollment, TotpStatus


class AccountSecurityService:
    def __init__(self, settings: Settings, clock: Clock, users: UsersStore, totp: Totp,
                 credentials: Credentials, audit: AuditService) -> None:
        self._settings = settings
        self._clock = clock
        self._users = users
        self._totp = totp
        self._credentials = credentials
        self._audit = audit

    def start_totp_rotation(self, caller: Caller, meta: RequestMeta | None) -> TotpEnrollment:
        """A new pending secret; it replaces the current one only once confirmed with a code."""
        secret = self._totp.new_secret()
        self._users.set_pending_totp(caller.user_id, self._totp.encrypt(secret), iso(self._clock.now()))
        self._audit.record(user_id=caller.user_id, type="security", action="totp_rotation_started", meta=meta)
        return self._totp.enrollment(secret, caller.username)

    def enable_totp(self, caller: Caller, code: str, meta: RequestMeta | None) -> TotpStatus:
        """Confirm the pending secret with a code from it; the old secret stops working."""
        user = self._user(caller)
        if not user.totp_pending_enc:
            raise Conflict("Start with GET /api/totp/secret.", code="no_pending_totp")
        # Steps of the new secret start fresh: any valid code of it is new.
        fresh = User(**{**user.__dict__, "totp_last_step": 0})
        step = self._credentials.totp_step(fresh, code, user.totp_pending_enc)
        if step is None or not self._users.confirm_pending_totp(user.user_id, user.totp_pending_enc, step,
                                                                iso(self._clock.now())):
            self._audit.record(user_id=user.user_id, type="security", action="totp_enable_failed", meta=meta)
            raise InvalidCredentials("That code does not match the new secret.")
        self._audit.record(user_id=user.user_id, type="security", action="totp_enabled", meta=meta)
        return TotpStatus("enabled")

    def disable_totp(self, caller: Caller, password: str, code: str, meta: RequestMeta | None) -> TotpStatus:
        """Turn TOTP off; refused (409 totp_required) while the deployment requires it."""
        if self._settings.require_totp:
            raise Conflict("This deployment requires TOTP for every account.", code="totp_required")
        user = self._reauthenticate(caller, password, code, meta, "totp_disable")
        self._users.clear_totp(user.user_id, iso(self._clock.now()))
        self._audit.record(user_id=user.user_id, type="security", action="totp_disabled", meta=meta)
        return TotpStatus("disabled")

    def new_recovery_codes(self, caller: Caller, password: str, code: str,
                           meta: RequestMeta | None) -> RecoveryCodes:
        """Replace every recovery code with 10 fresh ones (shown once)."""
        user = self._reauthenticate(caller, password, code, meta, "recovery_codes")
        codes, hashes = self._credentials.new_recovery_codes()
        self._users.replace_recovery_hashes(user.user_id, hashes, iso(self._clock.now()))
        self._audit.record(user_id=user.user_id, type="security", action="recovery_codes_issued", meta=meta)
        return RecoveryCodes(codes)

    def _reauthenticate(self, caller: Caller, password: str, code: str, meta: RequestMeta | None,
                        action: str) -> User:
        attempt = self._credentials.check_password(caller.username, password, meta, action,
                                                   lambda u: self._credentials.code_ok(u, code))
        user = attempt.user
        if user.user_id != caller.user_id:
            raise InvalidCredentials()
        if self._credentials.consume_totp(user, code) is None:
            self._credentials.fail(caller.username, user, meta, action, "bad_totp", locked=attempt.locked)
        return user

    def _user(self, caller: Caller) -> User:
        user = self._users.get_user(caller.user_id)
        if user is None:
            raise InvalidCredentials()
        return user
