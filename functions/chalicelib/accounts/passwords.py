"""Password hashing: argon2id (argon2-cffi), cost from settings."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Passwords:
    def __init__(self, time_cost: int, memory_kib: int, parallelism: int) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib,
                                      parallelism=parallelism, type=Type.ID)
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        """An argon2id hash (salt and parameters encoded in the string)."""
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        """True when `password` matches; never raises on a mismatch or a damaged hash."""
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def dummy_verify(self, password: str) -> None:
        """Spend the time of a real verification, so unknown usernames answer as slowly."""
        if self._dummy is None:
            self._dummy = self._hasher.hash("not-a-real-password-" + "x" * 16)
        self.verify(self._dummy, password)
