"""Issue 21: own providers' remaining credit, read from fakes on 127.0.0.1 that answer as each
provider documents (DeepSeek, OpenRouter, Moonshot, SiliconFlow), on demand and by the job,
with one low-credit notification per fall below the owner's threshold; shared providers' balances
for admins."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from chalicelib.catalog.own_balances import ProviderBalances
from chalicelib.catalog.own_store import OwnProviderStore
from chalicelib.kernel.errors import UpstreamError
from chalicelib.upstreams.balances import ReportedBalance


def call(client, account, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    r = client.http.request(method, path, headers={**account.headers, "Content-Type": "application/json"},
                            body=json.dumps(body).encode() if body is not None else b"")
    return r.status_code, (json.loads(r.body) if r.body else None)


@pytest.fixture
def alice(accounts, fast_upstreams):
    return accounts.user("alice")


def add(client, alice, fake, **extra: Any) -> dict[str, Any]:
    status, body = call(client, alice, "POST", "/api/my/providers",
                        {"name": "credit", "type": "openai", "base_url": fake.base_url, "api_key": fake.api_key,
                         "balance_kind": fake.kind, **extra})
    assert status == 201, body
    return body


def test_the_balance_is_read_on_demand_in_the_providers_documented_format(client, clock, alice, balance_account):
    p = add(client, alice, balance_account)
    assert p["balance"] is None and p["balance_kind"] == balance_account.kind
    status, read = call(client, alice, "POST", f"/api/my/providers/{p['provider_id']}/balance")
    assert status == 200
    # USD on 127.0.0.1 (the unit tests cover the .cn hosts that answer in CNY)
    assert read["balance"] == {"amount": "12.500000", "currency": "USD",
                               "checked_at": clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")}
    (path, headers), = balance_account.requests
    assert headers["authorization"] == f"Bearer {balance_account.api_key}"
    assert call(client, alice, "GET", "/api/my/providers")[1]["items"][0]["balance"] == read["balance"]


def test_a_failed_read_keeps_the_last_known_balance(client, alice, balance_account):
    p = add(client, alice, balance_account)
    first = call(client, alice, "POST", f"/api/my/providers/{p['provider_id']}/balance")[1]["balance"]
    balance_account.api_key = "sk-rotated-elsewhere"  # the provider now refuses the stored key
    status, again = call(client, alice, "POST", f"/api/my/providers/{p['provider_id']}/balance")
    assert status == 200 and again["balance"] == first


def run_job(client) -> dict[str, int]:
    """The scheduled function, invoked as EventBridge does."""
    event = client.events.generate_cw_event("aws.events", "Scheduled Event", {},
                                            ["arn:aws:events:us-east-1:123456789012:rule/refresh_provider_balances"])
    return client.lambda_.invoke("refresh_provider_balances", event).payload


def low_notes(container, account) -> list[Any]:
    return [n for n in container.notifications.list(account.user_id) if n.kind == "provider_low_balance"]


def test_the_job_notifies_the_owner_once_when_the_balance_falls_below_the_threshold(
        client, container, clock, alice, balance_account):
    add(client, alice, balance_account, low_balance_threshold="5.00")
    assert run_job(client)["read"] == 1
    balance_account.amount = Decimal("3.25")
    for _ in range(2):  # the second run, past half an interval, finds it still low: no second notice
        clock.advance(minutes=31)
        run_job(client)
    notes = low_notes(container, alice)
    assert len(notes) == 1 and notes[0].detail["amount"] == "3.250000"
    assert notes[0].detail["provider"] == "credit"
    balance_account.amount = Decimal("20")
    clock.advance(minutes=31)
    run_job(client)
    balance_account.amount = Decimal("1")
    clock.advance(minutes=31)
    run_job(client)  # back above, then below again: a new notice
    assert len(low_notes(container, alice)) == 2


def test_the_job_skips_a_provider_read_within_half_an_interval(client, container, clock, alice, balance_account):
    add(client, alice, balance_account)
    container.provider_balances.run(clock.now())
    clock.advance(minutes=5)
    assert container.provider_balances.run(clock.now())["skipped"] == 1
    assert len(balance_account.requests) == 1


def test_a_provider_without_a_balance_kind_is_never_asked(client, alice, balance_account):
    p = add(client, alice, balance_account, balance_kind="none")
    status, read = call(client, alice, "POST", f"/api/my/providers/{p['provider_id']}/balance")
    assert status == 200 and read["balance"] is None and balance_account.requests == []


class SharedReads(list[tuple[str, str, str]]):
    """Stands in for the provider's balance endpoint (the shared providers below are public hosts:
    nothing is sent to them)."""

    def __call__(self, target: Any, kind: str) -> ReportedBalance:
        self.append((target.name, kind, target.api_key))
        if target.name == "broken":
            raise UpstreamError("no answer")
        return ReportedBalance(Decimal("7.5"), "CNY")


def test_admins_see_the_balance_of_shared_providers_whose_host_reports_one(container, client, accounts):
    for name, url in (("ds", "https://api.deepseek.com/v1"), ("plain", "https://api.example.com/v1"),
                      ("broken", "https://openrouter.ai/api/v1")):
        container.catalog_admin.create_provider(name=name, type="openai", base_url=url, api_key=f"sk-{name}-key",
                                                actor_id="a", meta=None)
    reads = SharedReads()
    container.provider_balances = ProviderBalances(OwnProviderStore(), container.catalog, container.cipher,
                                                   container.clock, reads, container.notifications.notify)
    assert run_job(client)["shared"] == 1
    assert sorted(reads) == [("broken", "openrouter", "sk-broken-key"), ("ds", "deepseek", "sk-ds-key")]
    owner = accounts.admin()
    listed = json.loads(client.http.get("/api/admin/providers", headers=owner.headers).body)["items"]
    balances = {p["name"]: p["balance"] for p in listed}
    assert balances["ds"]["amount"] == "7.500000" and balances["ds"]["currency"] == "CNY"
    assert balances["plain"] is None and balances["broken"] is None
