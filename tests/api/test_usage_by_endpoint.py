"""Issue 15 item 5: usage history, statistics and the CSV export say which endpoint (inbound
API) each request used, after real requests through /v1/chat/completions and /v1/messages."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from chalicelib.bootstrap import Container
from chalicelib.proxy.asgi import create_app
from starlette.testclient import TestClient

from tests.support.api_calls import call
from tests.support.proxy_http import post_json
from tests.support.usage_stream import drain_usage_stream

MODEL = "m-ep"
RANGE = "from=2026-11-01&to=2026-12-31"


@pytest.fixture
def v1(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(lambda: container), client=("203.0.113.9", 50000)) as client:
        yield client


@pytest.fixture
def admin(accounts, fast_upstreams):
    return accounts.admin()


@pytest.fixture
def user(client, container, accounts, admin, openai_upstream):
    """A user whose key's group serves MODEL from the fake OpenAI-compatible upstream."""
    status, provider = call(client, "POST", "/api/admin/providers", admin,
                            {"name": "Alpha", "type": "openai", "base_url": openai_upstream.base_url,
                             "api_key": openai_upstream.api_key})
    assert status == 201, provider
    status, model = call(client, "POST", "/api/admin/models", admin,
                         {"name": MODEL, "provider": provider["provider_id"], "upstream_model": "gpt-fake-mini",
                          "input_price": "1", "output_price": "2"})
    assert status == 201, model
    account = accounts.user()
    groups = call(client, "GET", "/api/admin/groups", admin)[1]["items"]
    (default,) = [g for g in groups if g["name"] == container.settings.default_group]
    status, changed = call(client, "PUT", f"/api/admin/groups/{default['group_id']}", admin, {"models": [MODEL]})
    assert status == 200, changed
    container.metering.credit(account.user_id, Decimal("10"), "topup", "t")
    return account


@pytest.fixture
def traffic(v1, user) -> dict[str, list[str]]:
    """Two chats and one Anthropic Messages request: request ids per endpoint."""
    key = user.extras["api_key"]["key"]
    sent: dict[str, list[str]] = {"chat": [], "messages": []}
    for _ in range(2):
        resp = post_json(v1, "/v1/chat/completions", {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]},
                         key)
        assert resp.status_code == 200, resp.text
        sent["chat"].append(resp.headers["x-request-id"])
    resp = post_json(v1, "/v1/messages", {"model": MODEL, "max_tokens": 50,
                                          "messages": [{"role": "user", "content": "hi"}]}, key, header="x-api-key")
    assert resp.status_code == 200, resp.text
    sent["messages"].append(resp.headers["x-request-id"])
    assert drain_usage_stream() == 3
    return sent


def _by_key(stats: dict[str, Any]) -> dict[str, tuple[int, Decimal]]:
    return {i["key"]: (i["requests"], Decimal(i["cost"])) for i in stats["items"]}


def test_the_users_statistics_group_by_endpoint_and_agree_with_the_model_grouping(client, user, traffic):
    status, by_endpoint = call(client, "GET", f"/api/usage/statistics?{RANGE}&group_by=endpoint", user)
    assert status == 200, by_endpoint
    assert by_endpoint["group_by"] == "endpoint"
    grouped = _by_key(by_endpoint)
    assert set(grouped) == {"chat", "messages"}
    assert (grouped["chat"][0], grouped["messages"][0]) == (2, 1)
    assert all(cost > 0 for _, cost in grouped.values())
    by_model = call(client, "GET", f"/api/usage/statistics?{RANGE}&group_by=model", user)[1]
    assert _by_key(by_model) == {MODEL: (3, sum(cost for _, cost in grouped.values()))}
    assert by_endpoint["totals"] == by_model["totals"]


def test_the_admin_statistics_group_by_endpoint_across_users(client, admin, user, traffic):
    status, stats = call(client, "GET", f"/api/admin/usage/statistics?{RANGE}&group_by=endpoint", admin)
    assert status == 200, stats
    own = call(client, "GET", f"/api/usage/statistics?{RANGE}&group_by=endpoint", user)[1]
    assert _by_key(stats) == _by_key(own) and {k: n for k, (n, _) in _by_key(stats).items()} == {
        "chat": 2, "messages": 1}
    assert call(client, "GET", "/api/admin/usage/statistics?group_by=endpoint", user)[0] == 403


@pytest.mark.parametrize("path", ["/api/usage/statistics", "/api/admin/usage/statistics"])
def test_an_unknown_group_by_is_a_400_naming_the_parameter(client, admin, path):
    status, body = call(client, "GET", f"{path}?group_by=endpoints", admin)
    assert status == 400 and body["error"]["code"] == "validation_error"
    assert "group_by" in json.dumps(body["error"])


def test_history_items_name_their_endpoint(client, user, traffic):
    status, history = call(client, "GET", "/api/usage/history", user)
    assert status == 200
    assert {i["request_id"]: i["endpoint"] for i in history["items"]} == {
        rid: endpoint for endpoint, ids in traffic.items() for rid in ids}


def test_the_csv_export_names_each_requests_endpoint_in_its_own_column(client, user, traffic):
    today = datetime.now(UTC).date()  # the proxy's request ids, which the export's range reads, are wall-clock
    days = f"from={today - timedelta(days=1)}&to={today + timedelta(days=1)}"
    resp = client.http.get(f"/api/usage/export.csv?{days}", headers=user.headers)
    rows = list(csv.reader(io.StringIO(resp.body.decode("utf-8"), newline="")))
    header, body = rows[0], rows[1:]
    assert header == ["request_id", "created_at", "model", "provider", "endpoint", "key_id", "quota_id",
                      "input_tokens", "output_tokens", "cost", "status", "outcome", "latency_ms", "ip"]
    assert {r[0]: r[header.index("endpoint")] for r in body} == {
        rid: endpoint for endpoint, ids in traffic.items() for rid in ids}


def test_the_openapi_document_offers_endpoint_grouping_and_the_history_field(client):
    doc = json.loads(client.http.get("/api/openapi.json").body)
    for path in ("/api/usage/statistics", "/api/admin/usage/statistics"):
        (group_by,) = [p for p in doc["paths"][path]["get"]["parameters"] if p["name"] == "group_by"]
        assert "endpoint" in json.dumps(group_by), path
    assert "endpoint" in doc["components"]["schemas"]["RequestOut"]["properties"]
