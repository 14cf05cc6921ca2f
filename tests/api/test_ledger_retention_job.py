"""The daily `fold_ledger_entries` job, invoked as EventBridge does, and the history the owner
then reads: entries past LEDGER_RETENTION_DAYS are one `opening` entry, the balance unchanged."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.support.ledger import ensure_tables
from tests.support.metering import assert_ledger_consistent


@pytest.fixture(autouse=True)
def _tables(container):
    ensure_tables()


def run(client, name):
    event = client.events.generate_cw_event("aws.events", "Scheduled Event", {},
                                            [f"arn:aws:events:us-east-1:123456789012:rule/{name}"])
    return client.lambda_.invoke(name, event).payload


def test_history_shows_entries_past_the_retention_as_one_opening_entry_with_the_balance_after_it(
        client, accounts, container, clock, settings):
    user = accounts.user()
    start = clock.now()
    for days, amount in ((settings.ledger_retention_days + 20, "5"), (settings.ledger_retention_days + 10, "2.5"),
                         (3, "1")):
        clock.set(start - timedelta(days=days))
        container.metering.credit(user.user_id, Decimal(amount), "topup", "t")
    clock.set(start)
    before = json.loads(client.http.get("/api/balance", headers=user.headers).body)

    assert run(client, "fold_ledger_entries")["folded"] == 2
    assert run(client, "fold_ledger_entries")["folded"] == 0  # a re-run finds nothing more

    history = json.loads(client.http.get("/api/balance/history", headers=user.headers).body)["items"]
    newest, opening = history[0], history[-1]
    assert newest["type"] == "topup" and newest["amount"] == "1.000000"
    assert opening["type"] == "opening" and opening["amount"] == "7.500000"
    assert opening["balance_after"] == "7.500000"  # the balance after the last folded entry
    assert "2 entries" in opening["note"]
    assert json.loads(client.http.get("/api/balance", headers=user.headers).body)["available"] == before["available"]
    assert_ledger_consistent(user.user_id)
