"""The one HTTP edge every route goes through.

`api_route` registers a Chalice view that, in order: checks the body size, parses
and validates JSON and query strings with pydantic, authenticates the caller, calls
the handler with a typed `Request`, and serialises its result. Every `AppError` is
mapped here, once, to the `/api` envelope or the OpenAI envelope; anything else is
logged (without the body) and answered as a plain 500. It also records the route in
the OpenAPI registry so the document cannot miss a route, and answers CORS.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from chalice import Blueprint, Response
from pydantic import BaseModel, ValidationError

from ..kernel.context import Caller, RequestMeta
from ..kernel.errors import AppError, BadRequest, Forbidden, PayloadTooLarge, Unauthorized, ValidationFailed
from ..kernel.ids import new_id
from ..kernel.serialize import dumps
from ..kernel.settings import Settings
from . import openapi

log = logging.getLogger("keyledger.http")

Auth = Literal["none", "user", "admin"]
Envelope = Literal["api", "openai"]
# Chalice answers 415 itself for content types a route does not list; we accept these
# and decide ourselves, so every refusal has our envelope and a useful message.
_CONTENT_TYPES = [
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "application/octet-stream",
    "multipart/form-data",
]
_CORS_ALLOW_HEADERS = "Authorization,Content-Type,x-api-key,x-request-id"
# The type of chalice.Response's `headers`: a dict (invariant), so header dicts handed to it
# are declared with this type where they are built; a dict[str, str] would not do.
_ResponseHeaders = dict[str, str | list[str]]
_options_paths: set[str] = set()


@dataclass(frozen=True)
class Edge:
    """What `api_route` needs from the composition root, handed in by the entry
    point (`install`): web/ never imports bootstrap. Each is called per request, so a test
    that installs another container is seen at once."""

    settings: Callable[[], Settings]
    authenticate: Callable[[str], Caller]  # access token -> caller, or raises Unauthorized
    admin_refused: Callable[[Caller, RequestMeta, str], None]  # audit a non-admin on an admin route


_edge: Edge | None = None


def install(edge: Edge) -> None:
    """Called once by the entry point (functions/app.py)."""
    global _edge
    _edge = edge


def _installed() -> Edge:
    if _edge is None:
        raise RuntimeError("web.http.install(...) was not called: the entry point wires the edge")
    return _edge


@dataclass(frozen=True)
class Request:
    """What a handler receives: validated input plus who and where."""

    meta: RequestMeta
    caller: Caller | None
    body: Any = None
    query: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def user(self) -> Caller:
        if self.caller is None:  # only reachable on a route declared auth="none"
            raise Unauthorized()
        return self.caller


@dataclass(frozen=True)
class Raw:
    """A non-JSON answer (CSV, server-sent events)."""

    body: str | bytes
    content_type: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Json:
    """A JSON answer with a status or headers other than the route's defaults."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def api_route(
    bp: Blueprint,
    path: str,
    method: str = "GET",
    *,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: Any = None,
    status: int = 200,
    auth: Auth = "user",
    summary: str = "",
    tags: tuple[str, ...] = (),
    envelope: Envelope = "api",
    max_body: Callable[[], int] | None = None,
    exact_floats: bool = True,
    responses: dict[int, str] | None = None,
    content_type: str = "application/json",
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a route: `handler(req: Request, **path_params)`."""

    def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
        openapi.register(
            openapi.RouteDoc(
                path=path, method=method, summary=summary or (handler.__doc__ or "").strip().split("\n")[0],
                body=body, query=query, response=response, status=status, auth=auth,
                tags=tags or (path.split("/")[2] if path.startswith("/api/") else "proxy",),
                responses=responses or {}, content_type=content_type,
            )
        )

        def view(**path_params: str) -> Response:
            return _serve(bp, handler, path_params, body, query, status, auth, envelope, max_body, exact_floats,
                          f"{method} {path}")

        view.__name__ = handler.__name__
        bp.route(path, methods=[method], content_types=_CONTENT_TYPES)(view)
        if path not in _options_paths:
            _options_paths.add(path)

            def preflight(**_: str) -> Response:
                headers: _ResponseHeaders = {**_cors_headers(bp, preflight=True)}
                return Response(body="", status_code=204, headers=headers)

            preflight.__name__ = f"{handler.__name__}_preflight"
            bp.route(path, methods=["OPTIONS"], content_types=_CONTENT_TYPES)(preflight)
        return handler

    return decorate


def _serve(bp: Blueprint, handler: Callable[..., Any], path_params: dict[str, str],
           body_model: type[BaseModel] | None, query_model: type[BaseModel] | None, status: int,
           auth: Auth, envelope: Envelope, max_body: Callable[[], int] | None,
           exact_floats: bool, route: str) -> Response:
    cr = bp.current_request
    headers = {k.lower(): v for k, v in (cr.headers or {}).items()}
    identity = (cr.context or {}).get("identity") or {}
    meta = RequestMeta(
        request_id=new_id(),
        ip=str(identity.get("sourceIp") or "0.0.0.0"),  # noqa: S104 - "address unknown", nothing binds to it
        user_agent=headers.get("user-agent", "")[:256],
    )
    extra_headers = {"x-request-id": meta.request_id, **_cors_headers(bp)}
    try:
        edge = _installed()
        limit = max_body() if max_body else edge.settings().max_body_bytes
        if len(cr.raw_body or b"") > limit:
            raise PayloadTooLarge(f"The body is {len(cr.raw_body)} bytes; the limit is {limit}.")
        # Who is calling is settled before the input is read: a caller without the right
        # gets 401/403, never a validation message about a route it may not use.
        caller = None
        if auth != "none":
            caller = edge.authenticate(_bearer(headers))
            if auth == "admin" and not caller.is_admin:
                edge.admin_refused(caller, meta, route)
                raise Forbidden("This needs the superadmin role.", code="admin_required")
        # Chalice types raw_body `str | bytes`; it is always bytes (decoded from the event).
        parsed_body = _parse_body(cr.raw_body, headers, body_model, limit, exact_floats)  # type: ignore[arg-type]
        parsed_query = _parse_model(query_model, dict(cr.query_params or {}), "query") if query_model else None
        req = Request(meta=meta, caller=caller, body=parsed_body, query=parsed_query, headers=headers)
        result = handler(req, **path_params)
        return _to_response(result, status, extra_headers)
    except AppError as err:
        if err.status >= 500:
            log.warning("request %s failed: %s %s", meta.request_id, err.code, err.message)
        return error_response(err, envelope, extra_headers)
    except Exception:
        log.exception("request %s crashed on %s %s", meta.request_id, cr.method, cr.path)
        return error_response(AppError(), envelope, extra_headers)


def _bearer(headers: dict[str, str]) -> str:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send an access token: Authorization: Bearer <token>.", code="missing_token")
    return token.strip()


def _parse_body(raw: bytes | None, headers: dict[str, str], model: type[BaseModel] | None,
                limit: int, exact_floats: bool) -> Any:
    raw = raw or b""
    if len(raw) > limit:
        raise PayloadTooLarge(f"The body is {len(raw)} bytes; the limit is {limit}.")
    if model is None:
        return None
    if not raw.strip():
        raise BadRequest("This route needs a JSON body.", code="body_required")
    ctype = headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if ctype not in ("application/json", "", "text/plain"):
        raise BadRequest(f"Send JSON with Content-Type: application/json, not {ctype}.", code="unsupported_media_type")
    try:
        text = raw.decode("utf-8")
        data = json.loads(text, parse_float=Decimal if exact_floats else float)
        # Lone surrogates decode from JSON escapes but cannot be stored: refuse them now.
        json.dumps(data, ensure_ascii=False, default=str).encode("utf-8")
    except UnicodeError as exc:
        raise BadRequest("The body is not valid UTF-8 text.", code="invalid_json") from exc
    except RecursionError as exc:
        raise BadRequest("The JSON body is nested too deeply.", code="invalid_json") from exc
    except ValueError as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}.", code="invalid_json") from exc
    if not isinstance(data, dict):
        raise BadRequest("The JSON body must be an object.", code="invalid_json")
    return _parse_model(model, data, "body")


def _parse_model(model: type[BaseModel], data: dict[str, Any], where: str) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            {"field": ".".join(str(p) for p in e["loc"]) or where, "message": e["msg"]}
            for e in exc.errors(include_url=False, include_input=False)
        ]
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ValidationFailed(f"{where} field '{first['field']}': {first['message']}{more}.",
                               details=problems) from exc


def _to_response(result: Any, status: int, headers: dict[str, str]) -> Response:
    base: _ResponseHeaders = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", **headers}
    if isinstance(result, Raw):
        return Response(body=result.body, status_code=result.status,
                        headers={**base, "Content-Type": result.content_type, **result.headers})
    if isinstance(result, Json):
        return Response(body=dumps(result.body), status_code=result.status,
                        headers={**base, "Content-Type": "application/json", **result.headers})
    if result is None:
        return Response(body="", status_code=204, headers=base)
    return Response(body=dumps(result), status_code=status, headers={**base, "Content-Type": "application/json"})


def error_body(err: AppError, envelope: Envelope) -> dict[str, Any]:
    if envelope == "openai":
        return {"error": {"message": err.message, "type": err.openai_type, "code": err.code, "param": err.param}}
    body: dict[str, Any] = {"code": err.code, "message": err.message}
    if err.details is not None:
        body["details"] = err.details
    return {"error": body}


def error_response(err: AppError, envelope: Envelope, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=json.dumps(error_body(err, envelope)),
        status_code=err.status,
        headers={"Content-Type": "application/json", "Cache-Control": "no-store", **(headers or {}), **err.headers},
    )


def _cors_headers(bp: Blueprint, preflight: bool = False) -> dict[str, str]:
    request_headers: Mapping[str, str] = bp.current_request.headers or {}
    origin = request_headers.get("origin")
    try:
        allowed = _installed().settings().cors_origins
    except Exception:  # misconfigured settings are reported by the view itself
        return {}
    if not origin or not ("*" in allowed or origin in allowed):
        return {}
    out = {"Access-Control-Allow-Origin": origin, "Vary": "Origin",
           "Access-Control-Expose-Headers": "x-request-id,x-keyledger-cost,x-ratelimit-remaining-requests,Retry-After"}
    if preflight:
        out.update({
            "Access-Control-Allow-Methods": "GET,POST,PUT,DELETE,OPTIONS",
            "Access-Control-Allow-Headers": _CORS_ALLOW_HEADERS,
            "Access-Control-Max-Age": "600",
        })
    return out
