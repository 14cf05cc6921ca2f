"""What every /v1 route reads and writes at the HTTP edge: what the app needs from the
composition root, the body (bounded), the caller's API key, and JSON answers (Decimal money
as strings, times as ISO 8601)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from starlette.requests import Request
from starlette.responses import Response

from ..kernel.clock import iso
from ..kernel.errors import Unauthorized
from ..kernel.money import fmt

if TYPE_CHECKING:
    from ..kernel.settings import Settings
    from .relay import StreamRelay
    from .service import ProxyService


class ProxyParts(Protocol):
    """What the app needs from the composition root, built on first use."""

    @property
    def settings(self) -> Settings: ...

    @property
    def proxy(self) -> ProxyService: ...

    @property
    def proxy_relay(self) -> StreamRelay: ...


async def read_body(request: Request, limit: int) -> bytes:
    """The body, read no further than the limit allows (413 past it, in `parse_body`)."""
    raw = b""
    async for piece in request.stream():
        raw += piece
        if len(raw) > limit:
            break
    return raw


def api_key_of(request: Request) -> str:
    """The caller's API key from `Authorization: Bearer` or `x-api-key`."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    key = token.strip() if scheme.lower() == "bearer" else ""
    key = key or request.headers.get("x-api-key", "").strip()
    if not key:
        raise Unauthorized("Send your API key: Authorization: Bearer <key>.", code="missing_api_key")
    return key


def json_response(body: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(body, default=_json_default, separators=(",", ":"), ensure_ascii=False)
    return Response(text, status_code=status_code, headers=headers, media_type="application/json")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, datetime):
        return iso(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")
