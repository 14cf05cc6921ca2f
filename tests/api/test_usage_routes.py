"""Usage through the HTTP API: statistics validation, history, and a CSV that opens cleanly."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest

from tests.support.ledger import ensure_tables, paid_request

HOSTILE = ['=HYPERLINK("http://evil.test","click")', 'say "hi", then\nleave', "+1+2", "-3", "@SUM(A1)",
           "\tTab", "plain-model"]


@pytest.fixture(autouse=True)
def _tables(container):
    ensure_tables()


def test_the_csv_export_has_a_header_one_row_per_request_and_neutralised_formulas(client, accounts, container,
                                                                                   clock):
    user = accounts.user()
    container.metering.credit(user.user_id, Decimal("10"), "topup", "t")
    ids = []
    for model in HOSTILE:
        clock.advance(seconds=1)
        ids.append(paid_request(container, user.user_id, model=model))
    resp = client.http.get("/api/usage/export.csv", headers=user.headers)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(resp.body.decode("utf-8"), newline="")))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["request_id", "created_at", "model"] and len(body) == len(HOSTILE)
    by_id = {r[0]: dict(zip(header, r, strict=True)) for r in body}
    assert list(by_id) == ids  # oldest first, one row each
    models = [by_id[i]["model"] for i in ids]
    assert models == ["'" + m if m[0] in "=+-@\t" else m for m in HOSTILE]
    for row in by_id.values():
        assert Decimal(row["cost"]) == Decimal("0.0005") and row["cost"] == "0.000500"
        assert row["input_tokens"] == "100" and row["output_tokens"] == "200"


def test_the_csv_export_honours_the_range_and_refuses_a_bad_one(client, accounts, container, clock):
    user = accounts.user()
    container.metering.credit(user.user_id, Decimal("10"), "topup", "t")
    paid_request(container, user.user_id)
    resp = client.http.get("/api/usage/export.csv?from=2026-11-22&to=2026-11-23", headers=user.headers)
    assert len(resp.body.decode().strip().splitlines()) == 1  # the header only
    for query in ("from=2026-11-21&to=2026-11-20", "from=2025-01-01&to=2026-11-21", "from=yesterday",
                  "to=2026-13-01", "group_by=model"):
        bad = client.http.get(f"/api/usage/export.csv?{query}", headers=user.headers)
        assert bad.status_code == 400, query


def test_statistics_and_history_answer_the_contract_fields(client, accounts, container):
    user = accounts.user()
    container.metering.credit(user.user_id, Decimal("10"), "topup", "t")
    rid = paid_request(container, user.user_id, model="m-a")
    stats = json.loads(client.http.get("/api/usage/statistics?group_by=model&from=2026-11-01T00:00:00Z",
                                       headers=user.headers).body)
    assert stats["items"] == [{"key": "m-a", "requests": 1, "input_tokens": 100, "output_tokens": 200,
                               "cost": "0.000500"}]
    assert stats["totals"]["cost"] == "0.000500" and stats["from"] == "2026-11-01"
    hist = json.loads(client.http.get("/api/usage/history?model=m-a", headers=user.headers).body)
    item = hist["items"][0]
    assert item["request_id"] == rid and item["cost"] == "0.000500" and hist["next_cursor"] is None
    assert {"model", "provider", "input_tokens", "output_tokens", "status", "latency_ms", "ip",
            "created_at"} <= set(item)
    assert client.http.get("/api/usage/statistics?group_by=user", headers=user.headers).status_code == 400
    assert client.http.get("/api/usage/history?limit=0", headers=user.headers).status_code == 400


def test_quota_views_are_admin_only(client, accounts, container):
    admin, user = accounts.admin(), accounts.user()
    container.metering.credit(user.user_id, Decimal("10"), "topup", "t")
    qx = user.extras["api_key"]["quota_id"]
    rid = paid_request(container, user.user_id, quota_id=qx)
    assert client.http.get(f"/api/admin/quotas/{qx}/requests", headers=user.headers).status_code == 403
    body = json.loads(client.http.get(f"/api/admin/quotas/{qx}/requests", headers=admin.headers).body)
    assert [i["request_id"] for i in body["items"]] == [rid]
    assert client.http.get("/api/admin/quotas/no-such-quota/requests", headers=admin.headers).status_code == 404
    stats = json.loads(client.http.get(f"/api/admin/quotas/{qx}/statistics?group_by=day", headers=admin.headers).body)
    assert stats["items"][0]["key"] == "2026-11-21" and stats["totals"]["requests"] == 1


@pytest.mark.parametrize("value", ["-2.4660542080173824e-104", "1700000000", "0", "2026-11", "21/11/2026"])
@pytest.mark.parametrize("path", ["/api/usage/statistics?group_by=model&", "/api/usage/history?",
                                  "/api/usage/export.csv?"])
def test_a_date_that_is_a_number_or_not_iso_is_refused_not_read_as_1970(client, accounts, path, value):
    # Found by schemathesis: pydantic alone reads a number as a Unix time (1970-01-01).
    user = accounts.user()
    resp = client.http.get(f"{path}from={value}", headers=user.headers)
    assert resp.status_code == 400, (path, value, resp.body)
    assert json.loads(resp.body)["error"]["code"] == "validation_error"
