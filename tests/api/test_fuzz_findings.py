"""Regressions for what schemathesis found against the local stack (one test per finding)."""

from __future__ import annotations

import json


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
    assert container.users_table.user_id_for_username("kelly") is None


def test_login_and_verify_document_401(client, container):
    doc = json.loads(client.http.get("/api/openapi.json").body)
    assert "401" in doc["paths"]["/api/login"]["post"]["responses"]
    assert "401" in doc["paths"]["/api/register/verify"]["post"]["responses"]


def test_routes_that_check_the_password_document_423(client, container):
    doc = json.loads(client.http.get("/api/openapi.json").body)
    for path in ("/api/recovery-codes", "/api/totp/disable", "/api/login", "/api/register/verify"):
        assert "423" in doc["paths"][path]["post"]["responses"], path
