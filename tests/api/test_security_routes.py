"""IP records, sign-in history and the operation log with cursor paging."""

from __future__ import annotations

import json

JSON = {"Content-Type": "application/json"}


def get(client, path, account):
    r = client.http.get(path, headers=account.headers)
    return r.status_code, json.loads(r.body)


def test_ip_records_count_sign_ins_per_address(client, accounts, clock):
    account = accounts.user()
    accounts.login(account)
    status, body = get(client, "/api/security/ip-records", account)
    assert status == 200
    [record] = body["items"]
    assert record["count"] == 2 and record["ip"] == accounts.meta.ip
    assert record["first_seen"] < record["last_seen"]


def test_login_history_shows_successes_and_failures(client, accounts, clock):
    account = accounts.user()
    clock.advance(seconds=1)  # log ids order by time; within one millisecond the order is random
    client.http.post("/api/login", body=json.dumps({"username": account.username, "password": "wrong password",
                                                    "totp_code": "123456"}), headers={**JSON, "User-Agent": "ua-x"})
    status, body = get(client, "/api/security/login-history", account)
    assert status == 200
    failed, ok = body["items"][0], body["items"][1]
    assert failed["success"] is False and failed["reason"] == "bad_password" and failed["user_agent"] == "ua-x"
    assert ok["success"] is True and ok["ip"] == accounts.meta.ip


def test_logs_page_with_a_cursor_and_filter_by_type(client, accounts, clock):
    account = accounts.user()
    for _ in range(4):
        accounts.login(account)
    status, everything = get(client, "/api/logs?limit=100", account)
    assert status == 200
    total = len(everything["items"])
    assert total >= 7 and everything["next_cursor"] is None
    seen, cursor, pages = [], "", 0
    while pages < 20:
        pages += 1
        _, page = get(client, f"/api/logs?limit=3{'&cursor=' + cursor if cursor else ''}", account)
        seen += [i["log_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [i["log_id"] for i in everything["items"]]
    _, auth_only = get(client, "/api/logs?type=auth", account)
    assert auth_only["items"] and {i["type"] for i in auth_only["items"]} == {"auth"}
    assert all(i["ip"] for i in auth_only["items"])


def test_logs_filter_by_time(client, accounts, clock):
    account = accounts.user()
    clock.advance(minutes=30)
    before = clock.now()
    clock.advance(minutes=30)
    account = accounts.login(account)  # the first access token has expired by now
    _, recent = get(client, f"/api/logs?from={before.strftime('%Y-%m-%dT%H:%M:%SZ')}", account)
    _, old = get(client, f"/api/logs?to={before.strftime('%Y-%m-%dT%H:%M:%SZ')}", account)
    assert recent.get("items") and old.get("items"), (recent, old)
    assert {i["log_id"] for i in recent["items"]}.isdisjoint(i["log_id"] for i in old["items"])


def test_a_garbage_or_foreign_cursor_is_400(client, accounts):
    account = accounts.user()
    other = accounts.user()
    for _ in range(3):
        accounts.login(other)
    _, page = get(client, "/api/logs?limit=2", other)
    for cursor in ("garbage", "a.b", "%00", page["next_cursor"]):
        status, body = get(client, f"/api/logs?cursor={cursor}", account)
        assert status == 400, cursor
        assert body["error"]["code"] in ("invalid_cursor", "validation_error")


def test_bad_log_queries_are_400(client, accounts):
    account = accounts.user()
    for query in ("from=yesterday", "limit=0", "limit=1000", "type=AUTH", "unknown=1"):
        assert get(client, f"/api/logs?{query}", account)[0] == 400, query
