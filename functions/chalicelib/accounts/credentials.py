"""Checking who someone is: password with lockout, TOTP codes accepted once, recovery codes.

Lockout counts failures per username (known or not) in a window; at the threshold the name is
locked for a while and answers 423. Unknown usernames run a dummy argon2 verification and get
the same answers as known ones, so neither messages nor timing tell whether a name exists.
"""

from __future__ import annotations

import secrets

from ..audit.service import AuditService
from ..kernel.clock import Clock, iso
from ..kernel.context import RequestMeta
from ..kernel.crypto import keyed_hash
from ..kernel.errors import InvalidCredentials, Locked, RateLimited
from ..kernel.settings import Settings
from .login_store import LoginCountersStore
from .passwords import Passwords
from .store import User, UsersStore
from .totp import Totp

RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes (0/o, 1/l/i)


class Credentials:
    def __init__(self, settings: Settings, clock: Clock, users: UsersStore, counters: LoginCountersStore,
                 passwords: Passwords, totp: Totp, audit: AuditService) -> None:
        self._settings = settings
        self._clock = clock
        self._users = users
        self._counters = counters
        self._passwords = passwords
        self._totp = totp
        self._audit = audit

    def check_password(self, username: str, password: str, meta: RequestMeta | None, action: str) -> User:
        """The user whose password this is; 423 while the name is locked, 401 otherwise.

        A wrong password (or unknown name) counts one failure towards the lockout."""
        self._refuse_if_locked(username, meta, action)
        user_id = self._users.user_id_for_username(username)
        user = self._users.get_user(user_id) if user_id else None
        if user is None:
            self._passwords.dummy_verify(password)
            self.fail(username, None, meta, action, "bad_password")
        elif not self._passwords.verify(user.password_hash, password):
            self.fail(username, user, meta, action, "bad_password")
        assert user is not None
        return user

    def fail(self, username: str, user: User | None, meta: RequestMeta | None, action: str, reason: str) -> None:
        """Count a failure, audit it, and refuse with the one message every failure gets."""
        now = int(self._clock.now().timestamp())
        window, duration = self._settings.lockout_window, self._settings.lockout_duration
        state = self._counters.add_failure(username, now, window, ttl=now + window + duration)
        if state.count >= self._settings.lockout_threshold:
            self._counters.lock(username, now + duration, ttl=now + window + duration)
        self._audit.record(user_id=user.user_id if user else None, type="auth", action=f"{action}_failed",
                           meta=meta, detail={"reason": reason})
        raise InvalidCredentials()

    def succeeded(self, username: str) -> None:
        self._counters.clear_failures(username)

    def throttle(self, ip: str, meta: RequestMeta | None = None) -> None:
        """Count one sign-in attempt from `ip`; 429 with Retry-After past the per-minute limit.

        The first refusal of an address in a minute is audited (not every one: a spray must
        not flood the log)."""
        now = int(self._clock.now().timestamp())
        minute = now // 60
        count = self._counters.hit_ip_minute(ip or "0.0.0.0",  # noqa: S104 - "address unknown", not a bind
                                             minute, ttl=(minute + 2) * 60)
        limit = self._settings.login_rate_limit_per_minute
        if count > limit:
            if count == limit + 1:
                self._audit.record(user_id=None, type="security", action="login_throttled", meta=meta,
                                   detail={"attempts_per_minute": limit})
            raise RateLimited("Too many sign-in attempts from this address; wait a minute.",
                              retry_after=(minute + 1) * 60 - now)

    def totp_step(self, user: User, code: str, secret_enc: str | None = None) -> int | None:
        """The step of `code` if it is valid now and later than the last accepted one.

        Does not record it: callers store it with a conditional write (see `consume_totp`)."""
        secret_enc = secret_enc or user.totp_secret_enc
        if not secret_enc:
            return None
        step = self._totp.matching_step(self._totp.decrypt(secret_enc), code, self._clock.now())
        if step is None or step <= user.totp_last_step:
            return None
        return step

    def consume_totp(self, user: User, code: str) -> int | None:
        """The step of `code` if it is valid and not used before (recorded so it works once)."""
        step = self.totp_step(user, code)
        if step is None:
            return None
        if not self._users.consume_totp_step(user.user_id, step, iso(self._clock.now())):
            return None  # a concurrent login took this step (or a later one) first
        return step

    def consume_recovery_code(self, user: User, code: str) -> bool:
        """True once per recovery code: the hash is removed in the same conditional write."""
        code_hash = self.recovery_hash(code)
        if code_hash not in user.recovery_hashes:
            return False
        return self._users.consume_recovery_hash(user.user_id, code_hash, iso(self._clock.now()))

    def new_recovery_codes(self) -> tuple[list[str], set[str]]:
        """Ten fresh codes (shown once) and their keyed hashes (stored)."""
        codes = []
        for _ in range(RECOVERY_CODE_COUNT):
            raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
            codes.append(f"{raw[:5]}-{raw[5:]}")
        return codes, {self.recovery_hash(c) for c in codes}

    def recovery_hash(self, code: str) -> str:
        normal = "".join(ch for ch in code.lower() if ch.isalnum())
        return keyed_hash(self._settings.secret_key, f"recovery:{normal}")

    def _refuse_if_locked(self, username: str, meta: RequestMeta | None, action: str) -> None:
        now = int(self._clock.now().timestamp())
        state = self._counters.get_lockout(username)
        if state and state.locked_until > now:
            self._audit.record(user_id=self._users.user_id_for_username(username), type="auth",
                               action=f"{action}_failed", meta=meta, detail={"reason": "locked"})
            raise Locked("Too many failed attempts; try again later.",
                         headers={"Retry-After": str(state.locked_until - now)})
