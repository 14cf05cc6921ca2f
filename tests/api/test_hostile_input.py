"""Hostile bodies and names: deep nesting, bodies at and over the size limit, CR/LF in names.
Each is a clean 4xx in our envelope, quickly, with nothing written."""

from __future__ import annotations

import json
import time

import pytest

JSON = {"Content-Type": "application/json"}


def item_count(container) -> int:
    return container.users_store.count_items() + len(container.audit_store.all_items())


def post(client, path, raw, headers=None):
    r = client.http.post(path, body=raw, headers={**JSON, **(headers or {})})
    return r.status_code, json.loads(r.body), r.headers


@pytest.mark.parametrize("path", ["/api/register", "/api/login", "/api/token/refresh"])
@pytest.mark.parametrize("shape", ["array", "object", "in_a_field"])
def test_json_nested_100k_levels_deep_is_400_fast_and_writes_nothing(client, container, path, shape):
    depth = 100_000
    raw = {"array": "[" * depth + "]" * depth,
           "object": '{"a":' * depth + "1" + "}" * depth,
           "in_a_field": '{"username": ' + "[" * depth + "]" * depth + "}"}[shape]
    before = item_count(container)
    start = time.perf_counter()
    status, body, _ = post(client, path, raw)
    assert status == 400, body
    assert body["error"]["code"] == "invalid_json"
    assert time.perf_counter() - start < 5
    assert item_count(container) == before


def test_json_nested_just_under_the_parser_limit_is_a_validation_error(client, container):
    raw = '{"username": ' + "[" * 500 + "]" * 500 + ', "password": "x", "totp_code": "123456"}'
    status, body, _ = post(client, "/api/login", raw)
    assert status == 400 and body["error"]["code"] == "validation_error"


@pytest.mark.parametrize("path,who", [("/api/login", None), ("/api/register", None),
                                      ("/api/admin/users", "admin"), ("/api/totp/enable", "user")])
def test_a_body_one_byte_over_the_limit_is_413_on_every_kind_of_route(client, container, settings, accounts,
                                                                        path, who):
    caller = {"admin": accounts.admin, "user": accounts.user, None: lambda: None}[who]()
    raw = json.dumps({"username": "x" * (settings.max_body_bytes - 15)})
    raw += " " * (settings.max_body_bytes + 1 - len(raw))
    assert len(raw) == settings.max_body_bytes + 1
    before = item_count(container)
    status, body, _ = post(client, path, raw, caller.headers if caller else None)
    assert status == 413 and body["error"]["code"] == "payload_too_large"
    assert item_count(container) == before


def test_a_body_exactly_at_the_limit_is_read_and_judged_on_its_content(client, container, settings):
    raw = json.dumps({"username": "alice", "password": "p", "totp_code": "123456"})
    raw += " " * (settings.max_body_bytes - len(raw))
    status, body, _ = post(client, "/api/login", raw)
    assert status == 401, body  # parsed, then refused as bad credentials: not 413


@pytest.mark.parametrize("field,value", [
    ("username", "bob\r\nSet-Cookie: session=evil"),
    ("username", "bob\rx"),
    ("email", "bob@example.test\r\nBcc: victim@example.test"),
    ("email", "bob@example.test\nX-Injected: 1"),
    ("email", "bob\r\n@example.test"),
])
def test_cr_lf_in_names_is_refused_by_admin_create_and_writes_nothing(client, container, accounts, field, value):
    admin = accounts.admin()
    before = item_count(container)
    good = {"username": "bob", "email": "bob@example.test", "password": "bob password 1"}
    r = client.http.post("/api/admin/users", body=json.dumps({**good, field: value}),
                         headers={**admin.headers, **JSON})
    assert r.status_code == 400, r.body
    assert field in json.loads(r.body)["error"]["message"]
    assert "Set-Cookie" not in r.headers and "X-Injected" not in r.headers
    assert item_count(container) == before


def test_cr_lf_in_an_email_update_is_refused_and_changes_nothing(client, container, accounts):
    admin = accounts.admin()
    user = accounts.user()
    r = client.http.put(f"/api/admin/users/{user.user_id}",
                        body=json.dumps({"email": "new@example.test\r\nBcc: victim@example.test"}),
                        headers={**admin.headers, **JSON})
    assert r.status_code == 400
    assert container.users_store.get_user(user.user_id).email == f"{user.username}@example.test"


def test_cr_lf_in_a_login_name_is_400_and_echoes_nothing_into_headers(client, container):
    status, body, headers = post(client, "/api/login", json.dumps(
        {"username": "bob\r\nSet-Cookie: session=evil", "password": "p", "totp_code": "123456"}))
    assert status == 400
    assert not any("set-cookie" in k.lower() or "evil" in v for k, v in headers.items())


def test_an_origin_with_cr_lf_is_not_echoed(client, container):
    r = client.http.get("/api/health", headers={"Origin": "http://portal.test\r\nX-Injected: 1"})
    assert r.status_code == 200
    assert "Access-Control-Allow-Origin" not in r.headers and "X-Injected" not in r.headers


@pytest.mark.parametrize("note", ["paid\r\nX-Injected: 1", "line\nbreak", "tab\there", "nul\u0000"])
def test_control_characters_in_a_top_up_note_are_refused_and_write_nothing(client, container, accounts, note):
    from chalicelib.ledger.store import list_entries

    admin = accounts.admin()
    user = accounts.user()
    before = len(list_entries(user.user_id))
    r = client.http.post(f"/api/admin/users/{user.user_id}/topup", body=json.dumps({"amount": "5", "note": note}),
                         headers={**admin.headers, **JSON})
    assert r.status_code == 400, r.body
    assert "note" in json.loads(r.body)["error"]["message"]
    assert len(list_entries(user.user_id)) == before
    ok = client.http.post(f"/api/admin/users/{user.user_id}/topup", body=json.dumps({"amount": "5", "note": "paid"}),
                          headers={**admin.headers, **JSON})
    assert ok.status_code == 200, ok.body
