"""Issue 17: every amount a client sends matches API.md's `^\\d+(\\.\\d{1,6})?$`, nothing looser."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from chalicelib.kernel.money import NonNegativeMoney, PositiveMoney
from pydantic import TypeAdapter, ValidationError

from tests.support.ledger import ensure_tables

OUTSIDE_THE_PATTERN = ("1e3", "1E3", "1_000", "+5", " 5", "5 ", "5.", ".5", "-0", "0x10", "1,5", "５",
                       "Infinity", "NaN", "1.0000001", "")


@pytest.fixture(autouse=True)
def _tables(container):
    ensure_tables()


def _post(client, path, body, headers):
    return client.http.post(path, body=json.dumps(body), headers={**headers, "Content-Type": "application/json"})


@pytest.mark.parametrize("kind", [PositiveMoney, NonNegativeMoney])
@pytest.mark.parametrize("text", OUTSIDE_THE_PATTERN)
def test_an_amount_outside_the_documented_pattern_is_refused(kind, text):
    with pytest.raises(ValidationError):
        TypeAdapter(kind).validate_python(text)


@pytest.mark.parametrize("text", ["5", "0.5", "12.500000", "100000"])
def test_an_amount_in_the_documented_pattern_is_taken(text):
    assert TypeAdapter(PositiveMoney).validate_python(text) == Decimal(text)


def test_top_up_refuses_every_loose_form_and_writes_nothing(client, accounts):
    admin, user = accounts.admin(), accounts.user()
    for amount in OUTSIDE_THE_PATTERN:
        resp = _post(client, f"/api/admin/users/{user.user_id}/topup", {"amount": amount}, admin.headers)
        assert resp.status_code == 400, (amount, resp.body)
    history = json.loads(client.http.get("/api/balance/history", headers=user.headers).body)
    assert history["items"] == []


def test_plan_prices_refuse_loose_forms(client, accounts):
    admin = accounts.admin()
    for price in ("1e1", "+1", " 1", "1_0"):
        resp = _post(client, "/api/admin/plans", {"name": f"P{len(price)}", "price": price, "period": "week"},
                     admin.headers)
        assert resp.status_code == 400, (price, resp.body)
