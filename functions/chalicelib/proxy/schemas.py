"""What /v1 accepts: the request bodies, their strict reading, and their OpenAPI entries.

Fields we do not name pass through to the upstream untouched. Numbers are read as JSON
numbers only: NaN and Infinity are refused with a 400 (they are not JSON, and an upstream
that cannot read them must not count it against the provider). The /v1 routes are served
by the proxy function, and documented in the /api OpenAPI document like every route.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..kernel.errors import BadRequest, PayloadTooLarge, ValidationFailed
from ..web import openapi
from ..web.fields import JsonBool, NoCoercion
from .anthropic_wire import CountTokensIn, MessagesIn
from .completions_wire import CompletionsIn
from .responses.schemas import ResponsesIn


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: JsonBool | None = None


class ChatIn(BaseModel):
    """An OpenAI chat completion request; fields we do not name pass through untouched."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1, max_length=200)
    messages: list[dict[str, Any]] = Field(min_length=1)
    stream: JsonBool | None = None
    stream_options: StreamOptions | None = None
    max_tokens: Annotated[int, Field(ge=1), NoCoercion] | None = None
    max_completion_tokens: Annotated[int, Field(ge=1), NoCoercion] | None = None
    n: Annotated[int, Field(ge=1, le=16), NoCoercion] | None = None


class EmbeddingsIn(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1, max_length=200)
    input: str | list[str] | list[int] | list[list[int]] = Field(min_length=1)


def _not_json(value: str) -> Any:
    raise ValueError(f"{value} is not a JSON number")


def parse_body(raw: bytes, content_type: str, model: type[BaseModel], limit: int) -> dict[str, Any]:
    """The JSON object of a /v1 body, validated by `model`, as the caller sent it (unset
    fields stay unset). 413 above `limit`, 400 for anything that is not such an object."""
    if len(raw) > limit:
        raise PayloadTooLarge(f"The body is {len(raw)} bytes; the limit is {limit}.")
    if not raw.strip():
        raise BadRequest("This route needs a JSON body.", code="body_required")
    ctype = content_type.split(";")[0].strip().lower()
    if ctype not in ("application/json", "", "text/plain"):
        raise BadRequest(f"Send JSON with Content-Type: application/json, not {ctype}.", code="unsupported_media_type")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_not_json)
        # Lone surrogates decode from JSON escapes but cannot be sent on: refuse them now.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeError as exc:
        raise BadRequest("The body is not valid UTF-8 text.", code="invalid_json") from exc
    except RecursionError as exc:
        raise BadRequest("The JSON body is nested too deeply.", code="invalid_json") from exc
    except ValueError as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}.", code="invalid_json") from exc
    if not isinstance(data, dict):
        raise BadRequest("The JSON body must be an object.", code="invalid_json")
    try:
        model.model_validate(data)
    except ValidationError as exc:
        problems = [{"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]}
                    for e in exc.errors(include_url=False, include_input=False)]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ValidationFailed(f"body field '{problems[0]['field']}': {problems[0]['message']}{more}.",
                               details=problems) from exc
    return data


def _doc(path: str, method: str, summary: str, body: type[BaseModel] | None = None) -> openapi.RouteDoc:
    return openapi.RouteDoc(path=path, method=method, summary=summary, body=body, query=None,
                            response=dict[str, Any], status=200, auth="none", tags=("proxy",))


ROUTE_DOCS = (
    _doc("/v1/chat/completions", "POST", "Chat completion through the key's model group, metered and debited.",
         ChatIn),
    _doc("/v1/responses", "POST", "OpenAI Responses API (stateless) through the key's model group, metered and "
         "debited.", ResponsesIn),
    _doc("/v1/completions", "POST", "Legacy text completion (prompt), translated to chat, metered and debited.",
         CompletionsIn),
    _doc("/v1/messages", "POST", "Anthropic Messages API, for every upstream type, metered and debited.",
         MessagesIn),
    _doc("/v1/messages/count_tokens", "POST", "The prompt token estimate of a Messages request (no charge).",
         CountTokensIn),
    _doc("/v1/embeddings", "POST", "Embeddings through the key's model group, metered and debited.", EmbeddingsIn),
    _doc("/v1/models", "GET", "The models this key may use."),
    _doc("/v1/models/{model}", "GET", "One model this key may use."),
    _doc("/v1/usage", "GET", "This key's period, use and limits."),
)


def register_docs() -> None:
    """Put the /v1 routes in the OpenAPI document (once)."""
    documented = openapi.documented_routes()
    for doc in ROUTE_DOCS:
        if (doc.path, doc.method) not in documented:
            openapi.register(doc)
