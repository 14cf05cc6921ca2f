"""Issue 21: shared providers whose host reports remaining credit show it to admins (the read is
a fake here: no request leaves 127.0.0.1)."""

from __future__ import annotations

import json
from decimal import Decimal

from chalicelib.catalog.own_balances import ProviderBalances
from chalicelib.catalog.own_store import OwnProviderStore
from chalicelib.kernel.errors import UpstreamError
from chalicelib.upstreams.balances import ReportedBalance


class Reads(list[tuple[str, str, str]]):
    def __call__(self, target, kind: str) -> ReportedBalance:
        self.append((target.name, kind, target.api_key))
        if target.name == "broken":
            raise UpstreamError("no answer")
        return ReportedBalance(Decimal("7.5"), "CNY")


def test_admins_see_the_balance_of_shared_providers_whose_host_reports_one(container, client, accounts):
    admin = container.catalog_admin
    for name, url in (("ds", "https://api.deepseek.com/v1"), ("plain", "https://api.example.com/v1"),
                      ("broken", "https://openrouter.ai/api/v1")):
        admin.create_provider(name=name, type="openai", base_url=url, api_key=f"sk-{name}-key", actor_id="a",
                              meta=None)
    reads = Reads()
    container.provider_balances = ProviderBalances(OwnProviderStore(), container.catalog, container.cipher,
                                                   container.clock, reads, container.notifications.notify)
    assert container.provider_balances.run(container.clock.now())["shared"] == 1
    assert sorted(reads) == [("broken", "openrouter", "sk-broken-key"), ("ds", "deepseek", "sk-ds-key")]
    owner = accounts.admin()
    listed = json.loads(client.http.get("/api/admin/providers", headers=owner.headers).body)["items"]
    balances = {p["name"]: p["balance"] for p in listed}
    assert balances["ds"]["amount"] == "7.500000" and balances["ds"]["currency"] == "CNY"
    assert balances["plain"] is None and balances["broken"] is None
