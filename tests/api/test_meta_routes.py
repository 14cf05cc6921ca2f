from __future__ import annotations

import json

from app import app
from chalicelib.web import openapi


def test_health_answers_ok_without_authentication(client):
    r = client.http.get("/api/health")
    assert r.status_code == 200
    assert json.loads(r.body)["status"] == "ok"
    assert r.headers["x-request-id"]


def test_every_route_of_the_app_and_of_the_proxy_app_is_in_the_openapi_document(client):
    from chalicelib.proxy.asgi import create_app

    doc = json.loads(client.http.get("/api/openapi.json").body)
    routes = {(path, method) for path, entry in app.routes.items() for method in entry if method != "OPTIONS"}
    proxy_routes = {(route.path.replace(":path}", "}"), method) for route in create_app(lambda: None).routes
                    for method in route.methods or () if method not in ("OPTIONS", "HEAD")}  # type: ignore[attr-defined]
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    assert routes | proxy_routes == documented
    assert routes | proxy_routes <= openapi.documented_routes()


def test_cors_preflight_echoes_an_allowed_origin_only(client):
    ok = client.http.request("OPTIONS", "/api/health", headers={"origin": "http://portal.test"})
    assert ok.status_code == 204
    assert ok.headers["Access-Control-Allow-Origin"] == "http://portal.test"
    other = client.http.request("OPTIONS", "/api/health", headers={"origin": "http://evil.test"})
    assert "Access-Control-Allow-Origin" not in other.headers
