"""The admin's view across users through the HTTP API: overview and statistics agree with the
sum of every user's own statistics, providers appear by name, the audit log spans users, the
user list carries balances and spend, and the health-check job keeps a history."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from tests.support.api_calls import call
from tests.support.ledger import ensure_tables, paid_request

WHO = {"actor_id": "admin", "meta": None}


@pytest.fixture(autouse=True)
def _tables(container):
    ensure_tables()


@pytest.fixture
def traffic(container, accounts, clock, openai_upstream):
    """Three users, two providers (by id in the records), requests over two days."""
    admin = container.catalog_admin
    alpha = admin.create_provider(name="Alpha", type="openai", base_url=openai_upstream.base_url,
                                  api_key=openai_upstream.api_key, **WHO)
    beta = admin.create_provider(name="Beta", type="openai", base_url="http://127.0.0.1:9/v1", api_key="sk-dead", **WHO)
    users = [accounts.user() for _ in range(3)]
    plan = [(0, "m-a", alpha, 100, 10), (0, "m-b", beta, 50, 50), (1, "m-a", alpha, 10, 10),
            (1, "m-a", beta, 300, 30), (2, "m-b", alpha, 7, 3)]
    for u in users:
        container.metering.credit(u.user_id, Decimal("10"), "topup", "t")
    for day_plan in (plan, plan[:2]):  # day one: all five; day two: the first two again
        for n, model, provider, tin, tout in day_plan:
            clock.advance(seconds=1)
            paid_request(container, users[n].user_id, model=model, provider=provider.provider_id,
                         quota_id=f"q{n}", input_tokens=tin, output_tokens=tout)
        clock.advance(days=1)
    users = [accounts.login(u) for u in users]  # a day later: fresh sessions
    return {"users": users, "alpha": alpha, "beta": beta}


def check_providers(client) -> dict[str, int]:
    """The scheduled job, invoked as EventBridge would."""
    event = client.events.generate_cw_event("aws.events", "Scheduled Event", {},
                                            ["arn:aws:events:us-east-1:123456789012:rule/check_providers"])
    return client.lambda_.invoke("check_providers", event).payload


def _range() -> str:
    return "from=2026-11-01&to=2026-12-31"


def test_admin_statistics_and_overview_equal_the_sum_of_every_users_statistics(client, accounts, traffic):
    admin = accounts.admin()
    own = {u.user_id: call(client, "GET", f"/api/usage/statistics?{_range()}&group_by=model", u)[1]
           for u in traffic["users"]}
    summed = {f: sum(Decimal(s["totals"][f]) for s in own.values())
              for f in ("requests", "input_tokens", "output_tokens", "cost")}
    assert summed["requests"] == 7  # five requests on day one, two on day two

    for group_by in ("user", "model", "provider", "day"):
        status, stats = call(client, "GET", f"/api/admin/usage/statistics?{_range()}&group_by={group_by}", admin)
        assert status == 200, stats
        assert {f: Decimal(stats["totals"][f]) for f in summed} == summed, group_by
        assert sum(Decimal(i["cost"]) for i in stats["items"]) == summed["cost"]

    by_user = call(client, "GET", f"/api/admin/usage/statistics?{_range()}&group_by=user", admin)[1]["items"]
    assert {i["key"]: i["requests"] for i in by_user} == {uid: s["totals"]["requests"] for uid, s in own.items()}
    assert {i["name"] for i in by_user} == {u.username for u in traffic["users"]}
    by_model = call(client, "GET", f"/api/admin/usage/statistics?{_range()}&group_by=model", admin)[1]["items"]
    per_model: Counter[str] = Counter()
    for s in own.values():
        for i in s["items"]:
            per_model[i["key"]] += i["requests"]
    assert {i["key"]: i["requests"] for i in by_model} == dict(per_model)
    by_provider = call(client, "GET", f"/api/admin/usage/statistics?{_range()}&group_by=provider", admin)[1]
    assert [i["key"] for i in by_provider["items"]] == ["Alpha", "Beta"]  # names, not ids

    status, ov = call(client, "GET", f"/api/admin/overview?{_range()}", admin)
    assert status == 200, ov
    assert {f: Decimal(ov["totals"][f]) for f in summed} == summed
    assert ov["totals"]["active_users"] == 3 and ov["totals"]["active_keys"] == 3
    assert ov["totals"]["users"] == 4  # the three users and the admin
    assert ov["top_users"][0]["cost"] == max((s["totals"]["cost"] for s in own.values()), key=Decimal)
    assert {t["name"] for t in ov["top_providers"]} == {"Alpha", "Beta"}
    assert {t["name"] for t in ov["top_models"]} == {"m-a", "m-b"}
    assert sum(p["requests"] for p in ov["by_day"]) == 7 and len(ov["by_day"]) == 2
    assert {p["name"] for p in ov["providers"]} == {"Alpha", "Beta"}
    assert set(ov["providers"][0]) >= {"name", "healthy", "last_error", "checked_at"}


def test_a_users_own_answers_name_the_provider(client, traffic):
    user = traffic["users"][0]
    stats = call(client, "GET", f"/api/usage/statistics?{_range()}&group_by=provider", user)[1]
    assert {i["key"] for i in stats["items"]} == {"Alpha", "Beta"}
    history = call(client, "GET", "/api/usage/history", user)[1]["items"]
    assert {i["provider"] for i in history} == {"Alpha", "Beta"}
    assert {i["provider_id"] for i in history} == {traffic["alpha"].provider_id, traffic["beta"].provider_id}
    balance = call(client, "GET", "/api/balance", user)[1]
    assert {b["provider"] for b in balance["by_provider"]} == {"Alpha", "Beta"}
    csv_text = client.http.get(f"/api/usage/export.csv?{_range()}", headers=user.headers).body.decode()
    assert "Alpha" in csv_text and traffic["alpha"].provider_id not in csv_text


def test_the_user_list_shows_each_users_balance_and_spend(client, accounts, traffic):
    admin = accounts.admin()
    items = {u["user_id"]: u for u in call(client, "GET", "/api/admin/users", admin)[1]["items"]}
    for user in traffic["users"]:
        own = call(client, "GET", "/api/balance", user)[1]
        spent = call(client, "GET", "/api/usage/statistics?group_by=model", user)[1]["totals"]["cost"]
        assert items[user.user_id]["balance"]["available"] == own["available"]
        assert items[user.user_id]["spend"] == spent and Decimal(spent) > 0
    assert items[admin.user_id]["spend"] == "0.000000"


def test_the_admin_log_spans_users_filters_and_pages(client, accounts, clock):
    admin = accounts.admin()
    users = [accounts.user() for _ in range(3)]
    for u in users:
        clock.advance(seconds=1)
        call(client, "PUT", f"/api/admin/users/{u.user_id}", admin, {"email": f"new-{u.username}@example.test"})
    status, page = call(client, "GET", "/api/admin/logs?type=account&limit=2", admin)
    assert status == 200, page
    seen = page["items"]
    while page["next_cursor"]:
        page = call(client, "GET", f"/api/admin/logs?type=account&limit=2&cursor={page['next_cursor']}", admin)[1]
        assert len(page["items"]) <= 2
        seen += page["items"]
    assert {u.user_id for u in users} <= {i["user_id"] for i in seen}
    assert len({i["log_id"] for i in seen}) == len(seen) and {i["type"] for i in seen} == {"account"}
    everything = call(client, "GET", "/api/admin/logs?limit=100", admin)[1]["items"]
    assert {"admin", "account"} <= {i["type"] for i in everything}
    ids = [i["log_id"] for i in everything]
    assert ids == sorted(ids, reverse=True) and len(ids) == len(set(ids))
    one = call(client, "GET", f"/api/admin/logs?user_id={users[0].user_id}", admin)[1]["items"]
    assert one and {i["user_id"] for i in one} == {users[0].user_id}
    assert call(client, "GET", "/api/admin/logs?type=bogus", admin)[0] == 400
    assert call(client, "GET", "/api/admin/logs?to=2000-01-01", admin)[1]["items"] == []
    assert call(client, "GET", "/api/admin/logs", users[0])[0] == 403
    assert call(client, "GET", "/api/admin/overview", users[0])[0] == 403
    assert call(client, "GET", "/api/admin/usage/statistics?group_by=key", admin)[0] == 400


def test_the_health_job_keeps_a_history_and_a_second_run_changes_nothing(client, accounts, container, clock,
                                                                          fast_upstreams, traffic):
    admin = accounts.admin()
    first = check_providers(client)
    assert first == {"checked": 2, "failed": 1, "skipped": 0}
    assert check_providers(client) == {"checked": 0, "failed": 0, "skipped": 2}  # idempotent within an interval
    clock.advance(minutes=5)
    assert check_providers(client)["checked"] == 2
    providers = {p["name"]: p for p in call(client, "GET", "/api/admin/overview", admin)[1]["providers"]}
    assert providers["Alpha"]["healthy"] and len(providers["Alpha"]["history"]) == 2
    assert not providers["Beta"]["healthy"] and providers["Beta"]["last_error"]
    assert [h["ok"] for h in providers["Beta"]["history"]] == [False, False]
    assert "sk-dead" not in str(providers)
