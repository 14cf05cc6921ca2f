"""Dev secrets for the local stage: generated on first run, kept in the data folder, reused.

Nothing secret is committed; each clone gets its own keys in `<data>/secrets.json` (0600).
A variable already set in the environment wins over the stored value.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import MutableMapping
from pathlib import Path

from cryptography.fernet import Fernet

from .files import set_aside, write_private_json

log = logging.getLogger("local.secrets")
SECRET_NAMES = ("SECRET_KEY", "ENCRYPTION_KEY")


def _generate() -> dict[str, str]:
    return {"SECRET_KEY": secrets.token_urlsafe(48), "ENCRYPTION_KEY": Fernet.generate_key().decode()}


def _valid(stored: object) -> bool:
    if not isinstance(stored, dict):
        return False
    if not isinstance(stored.get("SECRET_KEY"), str) or len(stored["SECRET_KEY"]) < 32:
        return False
    try:
        Fernet(stored.get("ENCRYPTION_KEY", "").encode())
    except (ValueError, TypeError, AttributeError):
        return False
    return True


def load_or_create_secrets(data_dir: Path) -> dict[str, str]:
    """The stored dev secrets, created (0600) if missing; an unreadable file is set aside."""
    path = data_dir / "secrets.json"
    if path.exists():
        try:
            stored = json.loads(path.read_text())
        except (OSError, ValueError):
            stored = None
        if _valid(stored):
            if path.stat().st_mode & 0o077:
                os.chmod(path, 0o600)
            return {name: stored[name] for name in SECRET_NAMES}
        kept = set_aside(path, "invalid")
        log.warning("%s is not a valid secrets file; kept it as %s and generated new dev secrets "
                    "(data encrypted with the old key cannot be read)", path, kept.name)
    fresh = _generate()
    write_private_json(path, fresh)
    log.info("generated dev secrets in %s", path)
    return fresh


def export_secrets(stored: dict[str, str], env: MutableMapping[str, str]) -> None:
    for name in SECRET_NAMES:
        if env.get(name, "").strip():
            log.info("%s taken from the environment, not from secrets.json", name)
        else:
            env[name] = stored[name]
