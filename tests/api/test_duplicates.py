"""Usernames and emails are unique (racing sign-ups: tests/integration/test_registration_races.py)."""

from __future__ import annotations

import json

JSON = {"Content-Type": "application/json"}


def register(client, username, email):
    r = client.http.post("/api/register", body=json.dumps({"username": username, "email": email,
                                                           "password": "correct horse battery"}), headers=JSON)
    return r.status_code, json.loads(r.body)


def test_a_taken_username_is_409(client):
    assert register(client, "alice", "a1@example.test")[0] == 201
    status, body = register(client, "alice", "a2@example.test")
    assert status == 409
    assert body["error"]["code"] == "already_exists"
    # Usernames are a-z0-9_.- (API.md): an upper-case spelling of a taken name is refused as
    # invalid, never registered beside it.
    assert register(client, "ALICE", "a3@example.test")[0] == 400


def test_a_taken_email_is_409(client):
    assert register(client, "alice", "same@example.test")[0] == 201
    assert register(client, "bob", "SAME@example.test")[0] == 409


def test_a_refused_duplicate_leaves_no_partial_items(client, container):
    register(client, "alice", "a1@example.test")
    before = container.users_store.count_items()
    register(client, "alice", "fresh@example.test")  # username taken, email free
    register(client, "bob", "a1@example.test")  # email taken, username free
    assert container.users_store.count_items() == before
    assert register(client, "carol", "fresh@example.test")[0] == 201
