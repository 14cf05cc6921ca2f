"""The OpenAPI 3.1 document, generated from the pydantic schemas every route declares.

`http.api_route` registers each route here; `build_document` turns the registry
into the document served at `GET /api/openapi.json`. A test checks that every
Chalice route has an entry, so a new route cannot be left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, TypeAdapter

_ROUTES: list[RouteDoc] = []
_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}
_OPENAI_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["message", "type"],
            "properties": {
                "message": {"type": "string"},
                "type": {"type": "string"},
                "code": {"type": ["string", "null"]},
                "param": {"type": ["string", "null"]},
            },
        }
    },
}


@dataclass(frozen=True)
class RouteDoc:
    path: str
    method: str
    summary: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: Any
    status: int
    auth: str
    tags: tuple[str, ...]
    responses: dict[int, str] = field(default_factory=dict)
    content_type: str = "application/json"


def register(doc: RouteDoc) -> None:
    _ROUTES.append(doc)
    build_document.cache_clear()


def documented_routes() -> set[tuple[str, str]]:
    return {(d.path, d.method.upper()) for d in _ROUTES}


def _schema(tp: Any, mode: str, defs: dict[str, Any]) -> dict[str, Any]:
    schema = TypeAdapter(tp).json_schema(mode=mode, ref_template="#/components/schemas/{model}")  # type: ignore[arg-type]
    defs.update(schema.pop("$defs", {}))
    return schema


def _operation_id(doc: RouteDoc) -> str:
    words = re.sub(r"[{}]", "", doc.path).strip("/").replace("-", "_").replace(".", "_").split("/")
    return doc.method.lower() + "_" + "_".join(w for w in words if w)


@lru_cache(maxsize=1)
def build_document(version: str = "0.1.0") -> dict[str, Any]:
    defs: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    for doc in sorted(_ROUTES, key=lambda d: (d.path, d.method)):
        op: dict[str, Any] = {"operationId": _operation_id(doc), "summary": doc.summary, "tags": list(doc.tags)}
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
            for name in re.findall(r"{(\w+)}", doc.path)
        ]
        if doc.query is not None:
            qs = _schema(doc.query, "validation", defs)
            required = set(qs.get("required", []))
            for name, prop in qs.get("properties", {}).items():
                params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
        if params:
            op["parameters"] = params
        if doc.body is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": _schema(doc.body, "validation", defs)}},
            }
        ok: dict[str, Any] = {"description": "Success"}
        if doc.response is not None and doc.status != 204:
            ok["content"] = {doc.content_type: {"schema": _schema(doc.response, "serialization", defs)}}
        elif doc.content_type != "application/json":
            ok["content"] = {doc.content_type: {"schema": {"type": "string"}}}
        openai = doc.path.startswith("/v1/")
        err = {"$ref": "#/components/schemas/" + ("OpenAIError" if openai else "Error")}
        responses: dict[str, Any] = {str(doc.status): ok}
        codes = {400: "Bad input", 413: "Body too large", **doc.responses}
        if doc.auth != "none" or openai:
            codes[401] = "Not authenticated"
        if doc.auth == "admin":
            codes[403] = "Not a superadmin"
        # Found by fuzzing: an item named in the path can be missing, and an admin write can name
        # a missing item in its body or clash with the current state; routes may say more.
        if "{" in doc.path:
            codes.setdefault(404, "No such item")
        if doc.auth == "admin" and doc.method.upper() in ("POST", "PUT", "DELETE"):
            codes.setdefault(404, "A referenced item does not exist")
            codes.setdefault(409, "Conflicts with the current state")
        for code, text in sorted(codes.items()):
            responses[str(code)] = {"description": text, "content": {"application/json": {"schema": err}}}
        op["responses"] = responses
        if doc.auth != "none":
            op["security"] = [{"bearer": []}]
        elif openai:
            op["security"] = [{"apiKey": []}, {"apiKeyHeader": []}]
        paths.setdefault(doc.path, {})[doc.method.lower()] = op
    defs["Error"] = _ERROR_SCHEMA
    defs["OpenAIError"] = _OPENAI_ERROR_SCHEMA
    return {
        "openapi": "3.1.0",
        "info": {"title": "KeyLedger", "version": version,
                 "description": "Serverless AI API gateway: accounts, keys, quotas, ledger"
                                " and an OpenAI-compatible proxy."},
        "paths": paths,
        "components": {
            "schemas": defs,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "apiKey": {"type": "http", "scheme": "bearer", "description": "An sk-kl- API key"},
                "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "x-api-key"},
            },
        },
    }
