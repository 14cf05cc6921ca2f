"""The proxy as the container wires it: real catalog, keys, metering and upstream client.

An admin registers the fake OpenAI server as a provider, a model and a group; a quota
with its key is made for a user; the key then calls the proxy.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from chalicelib.catalog.types import QuotaLimits
from chalicelib.kernel.errors import Forbidden, Unauthorized

from tests.support.proxy_env import chat_body, meta


@pytest.fixture
def stack(container, openai_upstream, accounts):
    user_id = accounts.user().user_id
    admin = container.catalog_admin
    provider = admin.create_provider(name="fake-openai", type="openai", base_url=openai_upstream.base_url,
                                     api_key=openai_upstream.api_key, actor_id="admin", meta=None)
    admin.create_model({"name": "gpt-test", "provider": provider.provider_id, "upstream_model": "gpt-fake-mini",
                        "input_price": Decimal("1"), "output_price": Decimal("2")}, actor_id="admin", meta=None)
    admin.create_model({"name": "other", "provider": provider.provider_id, "input_price": Decimal("1"),
                        "output_price": Decimal("2")}, actor_id="admin", meta=None)
    admin.create_group(name="team", models=["gpt-test"], default_quota=QuotaLimits(limit_cost=Decimal("5")),
                       actor_id="admin", meta=None)
    view, issued = container.keys.create_quota(user_id=user_id, group="team", limits={}, actor_id="admin", meta=None)
    container.metering.credit(user_id, Decimal("1"), "topup", "test")
    return container, view, issued, user_id


def test_a_real_key_is_metered_and_its_quota_shows_the_use(stack):
    c, view, issued, user_id = stack
    answer = c.proxy.chat(issued.key, chat_body(), meta())
    assert answer.headers["x-keyledger-cost"] == "0.000025"  # the fake reports 11 in / 7 out
    quota = next(q for q in c.keys.quotas_of(user_id) if q.quota_id == issued.quota_id)
    assert (quota.used_cost, quota.used_tokens) == (Decimal("0.000025"), 18)
    assert quota.key.last_used_at is not None
    assert [m["id"] for m in c.proxy.models(issued.key, meta())["data"]] == ["gpt-test"]


def test_a_model_outside_the_keys_group_is_refused(stack):
    c, _, issued, _ = stack
    with pytest.raises(Forbidden):
        c.proxy.chat(issued.key, chat_body(model="other"), meta())


def test_a_reset_key_stops_at_once(stack):
    c, _, issued, _ = stack
    c.keys.reset_key(issued.quota_id, actor_id="admin", meta=None)
    with pytest.raises(Unauthorized):
        c.proxy.chat(issued.key, chat_body(), meta())

