"""Bad input gets a clear 4xx and writes nothing."""

from __future__ import annotations

import json

import pytest

JSON = {"Content-Type": "application/json"}
GOOD = {"username": "alice", "email": "alice@example.test", "password": "correct horse battery"}


def item_count(container) -> int:
    return container.users_store.count_items() + len(container.audit_store.all_items())


def send(client, raw, headers=None):
    r = client.http.post("/api/register", body=raw, headers={**JSON, **(headers or {})})
    return r.status_code, json.loads(r.body)


@pytest.mark.parametrize(
    "raw",
    [
        b"not json at all",
        b"{\"username\": ",
        b"[1, 2, 3]",
        b"\"a string\"",
        b"\xff\xfe\x00garbage",
        json.dumps({"email": GOOD["email"], "password": GOOD["password"]}),  # missing username
        json.dumps({**GOOD, "username": 12345}),  # wrong type
        json.dumps({**GOOD, "password": ["a", "list"]}),
        json.dumps({**GOOD, "password": "short"}),
        json.dumps({**GOOD, "password": "x" * 257}),
        json.dumps({**GOOD, "email": "not-an-email"}),
        json.dumps({**GOOD, "is_admin": True}),  # unknown field
        json.dumps({**GOOD, "username": "ab"}),
        json.dumps({**GOOD, "username": "a" * 33}),
        json.dumps({**GOOD, "username": "ali ce"}),
        '{"username": "al\\ud800ice", "email": "a@example.test", "password": "correct horse battery"}',
        json.dumps({**GOOD, "username": "ali\u0000ce"}),
        json.dumps({**GOOD, "username": "ali\u202ece"}),  # RTL override
        json.dumps({**GOOD, "username": "аlice"}),  # Cyrillic a
        json.dumps({**GOOD, "username": "alice\n"}),
        json.dumps({**GOOD, "email": "alice@example.test\u0000"}),
    ],
)
def test_bad_registration_bodies_are_4xx_and_write_nothing(client, container, raw):
    before = item_count(container)
    status, body = send(client, raw)
    assert 400 <= status < 500, body
    assert body["error"]["code"] and body["error"]["message"]
    assert item_count(container) == before


def test_a_2mb_body_is_413_and_writes_nothing(client, container):
    before = item_count(container)
    status, body = send(client, json.dumps({**GOOD, "password": "x" * (2 * 1024 * 1024)}))
    assert status == 413
    assert body["error"]["code"] == "payload_too_large"
    assert item_count(container) == before


def test_an_empty_body_is_400(client, container):
    status, body = send(client, b"")
    assert status == 400 and body["error"]["code"] == "body_required"


def test_a_form_body_is_refused_with_a_clear_message(client, container):
    status, body = send(client, b"username=alice", {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400
    assert "JSON" in body["error"]["message"]


def test_validation_errors_name_the_field(client, container):
    status, body = send(client, json.dumps({**GOOD, "username": "x"}))
    assert status == 400
    assert "username" in body["error"]["message"]


def test_an_upper_case_username_is_refused_and_an_email_is_stored_lower_case(client, container):
    status, body = send(client, json.dumps({**GOOD, "username": "Alice"}))
    assert status == 400 and body["error"]["code"] == "validation_error"
    status, body = send(client, json.dumps({**GOOD, "username": "alice", "email": "Alice@Example.TEST"}))
    assert status == 201
    user = container.users_store.get_user(body["user_id"])
    assert (user.username, user.email) == ("alice", "alice@example.test")


@pytest.mark.parametrize("path", ["/api/login", "/api/register/verify", "/api/token/refresh"])
def test_other_public_routes_refuse_garbage(client, container, path):
    before = item_count(container)
    r = client.http.post(path, body=b"{nope", headers=JSON)
    assert r.status_code == 400
    r = client.http.post(path, body=json.dumps({"username": 1, "refresh_token": 2}), headers=JSON)
    assert r.status_code == 400
    assert item_count(container) == before
