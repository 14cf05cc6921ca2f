"""Opaque paging cursors: a DynamoDB start key, base64 JSON, signed with the server key
and bound to a scope (user, listing) so a client cannot aim it at someone else's items."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from .crypto import keyed_hash, same
from .errors import BadRequest

_BAD = "The cursor is not valid; start again without it."


class Cursors:
    def __init__(self, secret_key: str) -> None:
        self._secret_key = secret_key

    def encode(self, key: dict[str, Any] | None, scope: str) -> str | None:
        if not key:
            return None
        payload = base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")
        return f"{payload}.{self._sign(payload, scope)}"

    def decode(self, cursor: str | None, scope: str) -> dict[str, Any] | None:
        """The start key inside `cursor` (None for none); garbage or tampering is a 400."""
        if not cursor:
            return None
        payload, _, signature = cursor.partition(".")
        if not payload or not signature or not same(self._sign(payload, scope), signature):
            raise BadRequest(_BAD, code="invalid_cursor", param="cursor")
        try:
            key = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (ValueError, binascii.Error) as exc:
            raise BadRequest(_BAD, code="invalid_cursor", param="cursor") from exc
        if not isinstance(key, dict):
            raise BadRequest(_BAD, code="invalid_cursor", param="cursor")
        return key

    def _sign(self, payload: str, scope: str) -> str:
        return keyed_hash(self._secret_key, f"cursor:{scope}:{payload}")[:32]
