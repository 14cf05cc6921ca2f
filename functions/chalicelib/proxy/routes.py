"""The OpenAI-compatible proxy routes (`/v1/*`): parse, call the proxy service, answer.

Authentication is the API key (`Authorization: Bearer sk-kl-...` or `x-api-key`), not a
portal token, so the routes are declared `auth="none"` and hand the key to the service.
Errors use the OpenAI envelope, so the official SDK raises its own exception classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field

from ..kernel.errors import Unauthorized
from ..kernel.locator import service, use
from ..kernel.settings import Settings
from ..web.fields import JsonBool, NoCoercion
from ..web.http import Json, Raw, Request, api_route

if TYPE_CHECKING:
    from .service import ProxyService

bp = Blueprint(__name__)


def _max_body() -> int:
    return use(Settings).proxy_max_body_bytes


class ChatIn(BaseModel):
    """An OpenAI chat completion request; fields we do not name pass through untouched."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1, max_length=200)
    messages: list[dict[str, Any]] = Field(min_length=1)
    stream: JsonBool | None = None
    max_tokens: Annotated[int, Field(ge=1), NoCoercion] | None = None
    max_completion_tokens: Annotated[int, Field(ge=1), NoCoercion] | None = None
    n: Annotated[int, Field(ge=1, le=16), NoCoercion] | None = None


class EmbeddingsIn(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1, max_length=200)
    input: str | list[str] | list[int] | list[list[int]] = Field(min_length=1)


def api_key_of(req: Request) -> str:
    """The caller's API key from `Authorization: Bearer` or `x-api-key`."""
    scheme, _, token = req.headers.get("authorization", "").partition(" ")
    key = token.strip() if scheme.lower() == "bearer" else ""
    key = key or req.headers.get("x-api-key", "").strip()
    if not key:
        raise Unauthorized("Send your API key: Authorization: Bearer <key>.", code="missing_api_key")
    return key


_PROXY = {"auth": "none", "envelope": "openai", "max_body": _max_body, "exact_floats": False, "tags": ("proxy",)}


def _proxy_service() -> ProxyService:
    return service("ProxyService")


@api_route(bp, "/v1/chat/completions", "POST", body=ChatIn, response=dict[str, Any], **_PROXY)  # type: ignore[arg-type]
def chat_completions(req: Request) -> Json | Raw:
    """Chat completion through the key's model group, metered and debited."""
    answer = _proxy_service().chat(api_key_of(req), req.body.model_dump(exclude_unset=True), req.meta)
    if answer.stream:
        return Raw(answer.body, "text/event-stream; charset=utf-8", headers=answer.headers)
    return Json(answer.body, headers=answer.headers)


@api_route(bp, "/v1/embeddings", "POST", body=EmbeddingsIn, response=dict[str, Any], **_PROXY)  # type: ignore[arg-type]
def embeddings(req: Request) -> Json:
    """Embeddings through the key's model group, metered and debited."""
    answer = _proxy_service().embeddings(api_key_of(req), req.body.model_dump(exclude_unset=True), req.meta)
    return Json(answer.body, headers=answer.headers)


@api_route(bp, "/v1/models", response=dict[str, Any], **_PROXY)  # type: ignore[arg-type]
def models(req: Request) -> dict[str, Any]:
    """The models this key may use."""
    return _proxy_service().models(api_key_of(req), req.meta)


@api_route(bp, "/v1/usage", response=dict[str, Any], **_PROXY)  # type: ignore[arg-type]
def usage(req: Request) -> dict[str, Any]:
    """This key's period, use and limits."""
    return _proxy_service().usage(api_key_of(req), req.meta)
