"""Regressions for what schemathesis found against the local stack (one test per finding)."""

from __future__ import annotations

import json

import pytest

from tests.support.api_calls import call


def test_logs_from_a_date_before_1970_is_an_empty_range_not_a_500(client, accounts):
    user = accounts.user()
    r = client.http.get("/api/logs?from=0236-11-16T04%3A54%3A12-10%3A45", headers=user.headers)
    assert r.status_code == 200, r.body
    assert isinstance(json.loads(r.body)["items"], list)
    r = client.http.get("/api/logs?to=0236-11-16T04%3A54%3A12Z", headers=user.headers)
    assert r.status_code == 200 and json.loads(r.body)["items"] == []


def test_a_unicode_letter_that_lower_cases_to_ascii_is_not_a_username(client, container):
    # U+212A KELVIN SIGN lower-cases to "k": "\u212aelly" must not register as "kelly"
    r = client.http.post("/api/register", body=json.dumps({"username": "\u212aelly", "email": "kelly@example.test",
                                                           "password": "correct horse battery"}),
                         headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert container.users_store.user_id_for_username("kelly") is None


def test_login_and_verify_document_401(client, container):
    doc = json.loads(client.http.get("/api/openapi.json").body)
    assert "401" in doc["paths"]["/api/login"]["post"]["responses"]
    assert "401" in doc["paths"]["/api/register/verify"]["post"]["responses"]


def test_routes_that_check_the_password_document_423(client, container):
    doc = json.loads(client.http.get("/api/openapi.json").body)
    for path in ("/api/recovery-codes", "/api/totp/disable", "/api/login", "/api/register/verify"):
        assert "423" in doc["paths"][path]["post"]["responses"], path


def test_every_throttled_public_route_documents_429(client, container, settings, clock):
    import dataclasses

    from chalicelib.bootstrap import Container, set_container

    set_container(Container(dataclasses.replace(settings, login_rate_limit_per_minute=1), clock=clock))
    clock.set(clock.now().replace(second=0))
    doc = json.loads(client.http.get("/api/openapi.json").body)
    bodies = {"/api/register": {"username": "zed", "email": "zed@example.test", "password": "correct horse battery"},
              "/api/register/verify": {"username": "zed", "password": "correct horse battery", "code": "123456"},
              "/api/login": {"username": "zed", "password": "correct horse battery", "totp_code": "123456"}}
    statuses = [client.http.post(path, body=json.dumps(body), headers={"Content-Type": "application/json"})
                .status_code for path, body in bodies.items()]
    assert statuses[1:] == [429, 429]
    for path in bodies:
        assert "429" in doc["paths"][path]["post"]["responses"], path


def test_item_routes_document_404_and_admin_writes_document_409(client, container):
    doc = json.loads(client.http.get("/api/openapi.json").body)
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if "{" in path:
                assert "404" in op["responses"], (method, path)
            if path.startswith("/api/admin/") and method in ("post", "put", "delete"):
                assert {"404", "409"} <= set(op["responses"]), (method, path)


@pytest.mark.parametrize("value", ["1", True, False, "true"])
def test_an_integer_limit_sent_as_a_string_or_boolean_is_refused_and_changes_nothing(client, accounts, value):
    # schemathesis: PUT /api/admin/groups/{id} with default_quota.limit_tokens not an integer
    # answered 200 and stored limit_tokens 1 (pydantic's lax mode read it as a number).
    admin = accounts.admin()
    status, group = call(client, "POST", "/api/admin/groups", admin,
                         {"name": "strict", "default_quota": {"limit_tokens": 100}})
    assert status == 201, group
    status, body = call(client, "PUT", f"/api/admin/groups/{group['group_id']}", admin,
                        {"default_quota": {"rpm": 20, "limit_tokens": value}})
    assert status == 400 and body["error"]["code"] == "validation_error", body
    assert "limit_tokens" in body["error"]["message"] and "JSON integer" in body["error"]["message"]
    [kept] = [g for g in call(client, "GET", "/api/admin/groups", admin)[1]["items"]
              if g["group_id"] == group["group_id"]]
    assert kept["default_quota"]["limit_tokens"] == 100 and kept["default_quota"]["rpm"] != 20


def test_a_boolean_flag_sent_as_text_or_a_number_is_refused(client, accounts):
    admin = accounts.admin()
    for value in ("yes", "false", 1, 0):
        status, body = call(client, "POST", "/api/admin/groups", admin,
                            {"name": "flags", "default_quota": {"auto_renew": value}})
        assert status == 400 and "auto_renew" in body["error"]["message"], (value, body)
    assert call(client, "POST", "/api/admin/groups", admin,
                {"name": "flags", "default_quota": {"auto_renew": False, "rpm": 5.0}})[0] == 201


def test_a_count_of_codes_as_a_string_or_an_expiry_as_a_number_is_refused(client, accounts):
    admin = accounts.admin()
    status, body = call(client, "POST", "/api/admin/codes", admin, {"count": "3", "amount": "1.00"})
    assert status == 400 and "count" in body["error"]["message"], body
    status, body = call(client, "POST", "/api/admin/codes", admin,
                        {"count": 3, "amount": "1.00", "expires_at": 1893456000})
    assert status == 400 and "ISO 8601" in body["error"]["message"], body
    assert call(client, "GET", "/api/admin/codes", admin)[1]["items"] == []


@pytest.mark.parametrize("value", [0, 5, 2.5])
def test_an_amount_sent_as_a_json_number_is_refused_as_api_md_says(client, accounts, value):
    # schemathesis: PUT /api/admin/groups/{id} took default_quota.limit_cost 0 (a number; the
    # schema and API.md say amounts are decimal strings). Numbers now get a 400 that says so.
    admin = accounts.admin()
    status, body = call(client, "POST", "/api/admin/groups", admin,
                        {"name": "money", "default_quota": {"limit_cost": value}})
    assert status == 400 and "decimal strings" in body["error"]["message"], body
    status, body = call(client, "POST", f"/api/admin/users/{admin.user_id}/topup", admin, {"amount": value})
    assert status == 400 and "decimal strings" in body["error"]["message"], body
    assert call(client, "POST", "/api/admin/groups", admin,
                {"name": "money", "default_quota": {"limit_cost": "2.50"}})[0] == 201
