"""DynamoDB faults (injected through botocore events, see tests/support/ddb_faults.py) on the
account writes that exist today: a clean refusal, nothing half-written, and a retry that works."""

from __future__ import annotations

import json

import pytest

from tests.support.ddb_faults import DynamoFaults

JSON = {"Content-Type": "application/json"}
BODY = {"username": "alice", "email": "alice@example.test", "password": "correct horse battery"}


@pytest.fixture
def faults(container):
    f = DynamoFaults()
    yield f
    f.detach()


def register(client):
    r = client.http.post("/api/register", body=json.dumps(BODY), headers=JSON)
    return r.status_code, json.loads(r.body)


def users_items(container) -> int:
    """Users, guards and sessions: the per-address throttle counters are not what we look for."""
    import boto3

    scan = boto3.client("dynamodb", region_name="us-east-1").scan(TableName="kl-test-users")
    return sum(1 for i in scan["Items"] if not i["pk"]["S"].startswith(("THROTTLE#", "LOCKOUT#")))


@pytest.mark.parametrize("inject", ["conflict", "throttle", "server_error"])
def test_a_failed_registration_transaction_writes_nothing_and_a_retry_succeeds(client, container, faults, inject):
    faults.attach()
    getattr(faults, inject)("TransactWriteItems", calls={1})
    status, body = register(client)
    assert faults.fired == 1
    # a conflict or throttle is not "already registered" (it answered 409 before the fix)
    assert 500 <= status < 600 and body == {"error": {"code": "internal_error",
                                                      "message": "Something went wrong on our side."}}
    assert users_items(container) == 0
    status, body = register(client)
    assert status == 201, body
    assert container.users_store.user_id_for_username("alice") == body["user_id"]


def test_a_registration_whose_answer_was_lost_is_not_written_twice(client, container, faults):
    faults.attach()
    faults.lose_answer("TransactWriteItems", calls={1})
    status, _ = register(client)
    assert faults.fired == 1 and status >= 500
    written = users_items(container)
    assert written == 3  # the user and its two guards: the transaction did commit
    status, body = register(client)  # the client retries: the name is taken, nothing is added
    assert status == 409 and body["error"]["code"] == "already_exists"
    assert users_items(container) == written


def test_a_throttled_login_counter_refuses_cleanly_and_issues_no_session(client, container, accounts, faults, clock):
    import pyotp

    account = accounts.user()
    before = users_items(container)
    faults.attach()
    faults.throttle("UpdateItem", calls=None)
    clock.advance(seconds=30)
    r = client.http.post("/api/login", body=json.dumps({
        "username": account.username, "password": account.password,
        "totp_code": pyotp.TOTP(account.totp_secret).at(clock.now())}), headers=JSON)
    assert faults.fired >= 1
    assert r.status_code >= 500 and "access_token" not in r.body.decode()
    faults.detach()
    assert users_items(container) == before  # no session item
