"""Usage statistics from the rollups (ranges, grouping, DynamoDB call count), history paging."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from chalicelib.kernel.errors import BadRequest
from chalicelib.store.base import all_models
from chalicelib.usage.store import RollupItem, user_pk
from chalicelib.usage.types import StatTotals

from tests.support.ledger import ensure_tables, paid_request

TODAY = date(2026, 11, 21)


@pytest.fixture
def views(container):
    ensure_tables()
    container.metering.credit("u1", Decimal("100"), "topup", "t")
    return container.usage_views


class CallCounter:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        seen: set[int] = set()
        for model in all_models():
            client = model._get_connection().connection.client
            if id(client) not in seen:
                seen.add(id(client))
                client.meta.events.register("before-call.dynamodb", self._count)

    def _count(self, model, **_: object) -> None:
        self.calls[model.name] += 1


def test_statistics_group_by_model_provider_key_and_day_over_a_range(views, container, clock):
    paid_request(container, "u1", model="m-a", provider="p1")
    paid_request(container, "u1", model="m-b", provider="p2", input_tokens=1000, output_tokens=0)
    clock.advance(days=-3)
    paid_request(container, "u1", model="m-a", provider="p1", quota_id="q2")
    clock.advance(days=-40)
    paid_request(container, "u1", model="m-a", provider="p1")  # outside the default 30 days
    clock.advance(days=43)
    by_model = views.statistics("u1", None, None, "model")
    assert by_model.first == "2026-10-23" and by_model.last == "2026-11-21"
    assert [(i.key, i.requests, i.input_tokens, i.output_tokens, i.cost) for i in by_model.items] \
        == [("m-a", 2, 200, 400, Decimal("0.001")), ("m-b", 1, 1000, 0, Decimal("0.001"))]
    assert by_model.totals == StatTotals(requests=3, input_tokens=1200, output_tokens=400, cost=Decimal("0.002"))
    assert [i.key for i in views.statistics("u1", None, None, "provider").items] == ["p1", "p2"]
    assert [(i.key, i.requests) for i in views.statistics("u1", None, None, "key").items] == [
        ("k-q1", 2), ("k-q2", 1)]
    by_day = views.statistics("u1", TODAY - timedelta(days=60), TODAY, "day")
    assert [(i.key, i.requests) for i in by_day.items] == [
        ("2026-10-09", 1), ("2026-11-18", 1), ("2026-11-21", 2)]
    one_day = views.statistics("u1", date(2026, 11, 18), date(2026, 11, 18), "model")
    assert one_day.totals.requests == 1


@pytest.mark.parametrize(("first", "last"), [(TODAY, TODAY - timedelta(days=1)),
                                             (TODAY - timedelta(days=366), TODAY)])
def test_a_reversed_or_too_long_range_is_refused(views, first, last):
    with pytest.raises(BadRequest):
        views.statistics("u1", first, last, "model")


def test_a_90_day_statistics_query_is_one_dynamodb_query(views):
    """10 rollup items a day (3 models, 2 providers, 2 keys, 3 quota x model) for 90 days:
    900 items, one Query call (DynamoDB pages at 1 MB; these are ~100 KB)."""
    day0 = TODAY - timedelta(days=89)
    with RollupItem.batch_write() as batch:
        for n in range(90):
            day = (day0 + timedelta(days=n)).isoformat()
            values = [("model", f"model-{i}") for i in range(3)] + [("provider", f"p{i}") for i in range(2)] \
                + [("key", f"k{i}") for i in range(2)] + [("quota", f"q1#model-{i}") for i in range(3)]
            for dim, value in values:
                batch.save(RollupItem(user_pk("u1"), f"DAY#{day}#{dim}#{value}", day=day, dim=dim, value=value,
                                      requests=2, input_tokens=100, output_tokens=50, cost=1500))
    raw = RollupItem._get_connection().connection.client.query(
        TableName=RollupItem.Meta.table_name, KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": user_pk("u1")}})["Items"]
    size = sum(len(k) + len(next(iter(v.values()))) for item in raw for k, v in item.items())
    assert len(raw) == 900 and size < 1024 * 1024 / 5  # one 1 MB page holds it five times over
    counter = CallCounter()
    stats = views.statistics("u1", day0, TODAY, "model")
    assert counter.calls == {"Query": 1}
    assert stats.totals.requests == 90 * 3 * 2 and len(stats.items) == 3


def test_history_pages_newest_first_and_filters_by_model(views, container, clock):
    ids = []
    for n in range(5):
        clock.advance(seconds=1)
        ids.append(paid_request(container, "u1", model="m-a" if n % 2 == 0 else "m-b"))
    seen, cursor = [], None
    for _ in range(5):
        items, cursor = views.history("u1", cursor, 2, None)
        seen += [i.request_id for i in items]
        if not cursor:
            break
    assert seen == list(reversed(ids))
    only_a, cursor = views.history("u1", None, 10, "m-a")
    assert [i.request_id for i in only_a] == [ids[4], ids[2], ids[0]] and cursor is None
    first, cursor = views.history("u1", None, 1, "m-b")
    rest, end = views.history("u1", cursor, 5, "m-b")
    assert [i.request_id for i in first + rest] == [ids[3], ids[1]] and end is None
    with pytest.raises(BadRequest):  # a cursor of one filter does not fit another listing
        views.history("u1", cursor, 5, "m-a")


def test_quota_requests_and_statistics_use_the_quota_index(views, container, clock):
    a = paid_request(container, "u1", quota_id="qa", model="m-a")
    clock.advance(seconds=1)
    b = paid_request(container, "u1", quota_id="qa", model="m-b")
    paid_request(container, "u1", quota_id="qb")
    items, cursor = views.quota_requests("qa", None, 10)
    assert [i.request_id for i in items] == [b, a] and cursor is None
    stats = views.quota_statistics("qa", None, None, "model")
    assert [(i.key, i.requests) for i in stats.items] == [("m-a", 1), ("m-b", 1)]
    assert views.quota_statistics("qa", None, None, "day").items[0].key == "2026-11-21"
