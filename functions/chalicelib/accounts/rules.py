"""Input rules for accounts, shared by the request models and the services (no heavy imports,
so the routes can use them without loading the service stack at import time)."""

from __future__ import annotations

import re

USERNAME_RE = re.compile(r"[a-z0-9_.-]{3,32}", re.ASCII)
EMAIL_RE = re.compile(r"[a-z0-9._%+-]{1,64}@[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})+", re.ASCII)
PASSWORD_MIN, PASSWORD_MAX = 10, 256


def normalize_username(value: str) -> str:
    """Lower-case; 3-32 of a-z 0-9 _ . - (anything else is refused, never rewritten)."""
    # Check ASCII before lower-casing: some non-ASCII letters lower-case to ASCII (KELVIN SIGN -> k).
    lowered = value.lower() if value.isascii() else ""
    if not USERNAME_RE.fullmatch(lowered):
        raise ValueError("username must be 3-32 characters of a-z, 0-9, '_', '.', '-'")
    return lowered


def normalize_email(value: str) -> str:
    lowered = value.strip().lower() if value.isascii() else ""
    if len(lowered) > 254 or not EMAIL_RE.fullmatch(lowered):
        raise ValueError("email is not a valid address")
    return lowered


def check_password_policy(value: str) -> str:
    if not PASSWORD_MIN <= len(value) <= PASSWORD_MAX:
        raise ValueError(f"password must be {PASSWORD_MIN}-{PASSWORD_MAX} characters")
    return value
