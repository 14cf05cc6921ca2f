"""Liveness and the OpenAPI document; no authentication."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice import Blueprint
from pydantic import BaseModel

from ..kernel.settings import Settings
from ..proxy.schemas import register_docs
from ..web import openapi
from ..web.http import Request, api_route


class HealthOut(BaseModel):
    status: str
    version: str


def blueprint(settings: Callable[[], Settings]) -> Blueprint:
    """Liveness and the OpenAPI document, over the settings (for the version)."""
    bp = Blueprint(__name__)

    @api_route(bp, "/api/health", auth="none", response=HealthOut, tags=("meta",))
    def health(req: Request) -> HealthOut:
        """Liveness: answers without touching DynamoDB."""
        return HealthOut(status="ok", version=settings().version)

    @api_route(bp, "/api/openapi.json", auth="none", response=dict[str, Any], tags=("meta",))
    def openapi_document(req: Request) -> dict[str, Any]:
        """This API's OpenAPI 3.1 document, generated from the route schemas (with the /v1 routes of
        the proxy function, served on the same origin)."""
        register_docs()
        return openapi.build_document(settings().version)

    return bp
