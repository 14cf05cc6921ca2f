"""Checking who someone is: password with lockout, TOTP codes accepted once, recovery codes.

Every sign-in attempt (login, verify, re-authentication) is counted against its username's
budget *before* anything is verified, with one conditional write: at most LOCKOUT_THRESHOLD
attempts per window reach a 401-or-success verification, however many run at once and from
however many addresses. Once the budget is spent the name is locked: an attempt still passes
if its password and second factor are both right (the owner is never kept out by someone who
only knows the username), but every failure answers 423, so the lock gives an attacker no
password oracle, and each client (address) gets LOCKOUT_CLIENT_ATTEMPTS_PER_MINUTE such
attempts per minute. Unknown usernames run a dummy argon2 verification and get the same
answers as known ones. docs/security.md says which threat each rule answers.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

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

    def check_password(self, username: str, password: str, meta: RequestMeta | None, action: str,
                       code_ok: Callable[[User], bool]) -> Attempt:
        """The user whose password this is, and whether the name is locked.

        The attempt is counted before anything is verified (see the module docstring). While the
        name is locked, `code_ok` (the caller's second factor, checked without consuming it) must
        pass before the password is even verified: guessing the password stays bounded by the
        budget across every address, and a failure of either answers the same 423."""
        locked = self._admit(username, meta, action)
        user_id = self._users.user_id_for_username(username)
        user = self._users.get_user(user_id) if user_id else None
        if locked and (user is None or not code_ok(user)):
            self.fail(username, user, meta, action, "bad_code", locked=True)
        if user is None:
            self._passwords.dummy_verify(password)
            self.fail(username, None, meta, action, "bad_password", locked=locked)
        elif not self._passwords.verify(user.password_hash, password):
            self.fail(username, user, meta, action, "bad_password", locked=locked)
        assert user is not None
        return Attempt(user, locked)

    def fail(self, username: str, user: User | None, meta: RequestMeta | None, action: str, reason: str,
             *, locked: bool) -> NoReturn:
        """Audit a failed attempt (already counted) and refuse: 401, or 423 while locked."""
        detail = {"reason": reason, "locked": True} if locked else {"reason": reason}
        self._audit.record(user_id=user.user_id if user else None, type="auth", action=f"{action}_failed",
                           meta=meta, detail=detail)
        if locked:
            raise self._locked()
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

    def code_ok(self, user: User, totp_code: str | None, recovery_code: str | None = None) -> bool:
        """Whether a TOTP or recovery code would be accepted now (nothing is consumed)."""
        if totp_code:
            return self.totp_step(user, totp_code) is not None
        return bool(recovery_code) and self.recovery_hash(recovery_code or "") in user.recovery_hashes

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

    def unlock(self, username: str) -> None:
        """The name's attempt budget is whole again (an admin's unlock)."""
        self._counters.clear_failures(username)

    def _admit(self, username: str, meta: RequestMeta | None, action: str) -> bool:
        """Count the attempt; False while the budget lasts, True when locked (still admitted
        within this client's per-minute allowance), 423 without verifying past that."""
        s = self._settings
        now = int(self._clock.now().timestamp())
        if self._counters.take_attempt(username, now, threshold=s.lockout_threshold, window=s.lockout_window,
                                       duration=s.lockout_duration):
            return False
        client = (meta.ip if meta else "") or "unknown"
        if self._counters.take_locked_attempt(username, client, now // 60, s.lockout_client_attempts_per_minute):
            return True
        self._audit.record(user_id=self._users.user_id_for_username(username), type="auth",
                           action=f"{action}_failed", meta=meta, detail={"reason": "locked"})
        raise self._locked(retry_after=60 - now % 60)

    def _locked(self, retry_after: int | None = None) -> Locked:
        seconds = retry_after if retry_after is not None else self._settings.lockout_duration
        return Locked("Too many failed attempts; try again later.", headers={"Retry-After": str(seconds)})


@dataclass(frozen=True)
class Attempt:
    """A password that matched. `locked`: the name's budget is spent, so the second factor must
    pass too and its failure answers 423 (pass it to `Credentials.fail`)."""

    user: User
    locked: bool
