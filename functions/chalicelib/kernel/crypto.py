"""Secrets at rest (TOTP seeds, provider API keys): MultiFernet with key rotation.

`ENCRYPTION_KEY` encrypts; `ENCRYPTION_KEYS_OLD` (comma-separated) still decrypt,
so a key can be rotated without downtime and values re-encrypted lazily with
`rotate`. Hashes for things we only compare (API keys, recovery codes) live here too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from .errors import ConfigError


class Cipher:
    def __init__(self, keys: tuple[str, ...]) -> None:
        if not keys:
            raise ConfigError("at least one encryption key is required")
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])
        except (ValueError, TypeError) as exc:
            raise ConfigError("ENCRYPTION_KEY must be a Fernet key (32 url-safe base64 bytes)") from exc

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ConfigError("a stored secret cannot be decrypted with the configured keys") from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt `token` under the newest key."""
        return self._fernet.rotate(token.encode()).decode()


def new_fernet_key() -> str:
    return Fernet.generate_key().decode()


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def keyed_hash(secret_key: str, value: str) -> str:
    """HMAC-SHA256: for short secrets (recovery and redemption codes) so a table dump
    cannot be brute-forced without the server key."""
    return hmac.new(secret_key.encode(), value.encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def random_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)
