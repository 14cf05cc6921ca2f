"""Safe admin changes through the HTTP API: a group in use is not deleted, provider names are
unique, and re-enabling a user makes the keys disabled with them work again (and only those)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from chalicelib.catalog.types import QuotaLimits
from chalicelib.kernel.errors import Unauthorized

from tests.support.api_calls import call
from tests.support.proxy_env import chat_body, meta


@pytest.fixture
def team(container, openai_upstream, accounts):
    """A provider on the fake OpenAI server, one model, the group `team`, and a user with two
    quotas on it (each with its key) and some money."""
    admin = container.catalog_admin
    provider = admin.create_provider(name="fake-openai", type="openai", base_url=openai_upstream.base_url,
                                     api_key=openai_upstream.api_key, actor_id="admin", meta=None)
    admin.create_model({"name": "gpt-test", "provider": provider.provider_id, "upstream_model": "gpt-fake-mini",
                        "input_price": Decimal("1"), "output_price": Decimal("2")}, actor_id="admin", meta=None)
    group = admin.create_group(name="team", models=["gpt-test"], default_quota=QuotaLimits(limit_cost=Decimal("5")),
                               actor_id="admin", meta=None)
    user = accounts.user()
    issued = [container.keys.create_quota(user_id=user.user_id, group="team", limits={}, actor_id="admin",
                                          meta=None)[1] for _ in range(2)]
    container.metering.credit(user.user_id, Decimal("1"), "topup", "test")
    return {"provider": provider, "group": group, "user": user, "issued": issued}


def test_deleting_a_group_that_quotas_use_is_409_naming_them_and_changes_nothing(client, accounts, container, team):
    admin = accounts.admin()
    group_id = team["group"].group_id
    before = call(client, "GET", "/api/admin/groups", admin)[1]
    status, body = call(client, "DELETE", f"/api/admin/groups/{group_id}", admin)
    assert status == 409 and body["error"]["code"] == "group_in_use"
    for issued in team["issued"]:
        assert issued.quota_id in body["error"]["message"]
    assert call(client, "GET", "/api/admin/groups", admin)[1] == before
    quotas = call(client, "GET", f"/api/admin/quotas?user_id={team['user'].user_id}", admin)[1]["items"]
    on_team = {q["quota_id"]: q["group"] for q in quotas if q["group_id"] == group_id}
    assert on_team == {i.quota_id: "team" for i in team["issued"]}
    assert container.proxy.chat(team["issued"][0].key, chat_body(), meta()).headers["x-keyledger-cost"]

    for issued in team["issued"]:
        assert call(client, "DELETE", f"/api/admin/quotas/{issued.quota_id}", admin)[0] == 204
    assert call(client, "DELETE", f"/api/admin/groups/{group_id}", admin)[0] == 204
    assert group_id not in {g["group_id"] for g in call(client, "GET", "/api/admin/groups", admin)[1]["items"]}


def test_a_second_provider_with_the_same_name_is_409_also_by_rename(client, accounts, team):
    admin = accounts.admin()
    new = {"name": "Fake-OpenAI", "type": "openai", "base_url": "https://api.example.test/v1", "api_key": "sk-x" * 4}
    status, body = call(client, "POST", "/api/admin/providers", admin, new)
    assert status == 409 and body["error"]["code"] == "provider_exists"
    status, other = call(client, "POST", "/api/admin/providers", admin, {**new, "name": "second"})
    assert status == 201, other
    status, body = call(client, "PUT", f"/api/admin/providers/{other['provider_id']}", admin, {"name": "fake-openai"})
    assert status == 409 and body["error"]["code"] == "provider_exists"
    # renaming frees the old name; deleting frees the new one
    assert call(client, "PUT", f"/api/admin/providers/{other['provider_id']}", admin, {"name": "third"})[0] == 200
    assert call(client, "POST", "/api/admin/providers", admin, {**new, "name": "second"})[0] == 201
    assert call(client, "DELETE", f"/api/admin/providers/{other['provider_id']}", admin)[0] == 204
    assert call(client, "POST", "/api/admin/providers", admin, {**new, "name": "third"})[0] == 201
    names = [p["name"] for p in call(client, "GET", "/api/admin/providers", admin)[1]["items"]]
    assert sorted(names) == ["fake-openai", "second", "third"]


def test_re_enabling_a_user_restores_the_keys_disabled_with_them_not_a_replaced_one(client, accounts, container,
                                                                                     team):
    admin = accounts.admin()
    user_id = team["user"].user_id
    kept, reset = team["issued"]
    status, fresh = call(client, "POST", f"/api/admin/quotas/{reset.quota_id}/reset_api_key", admin)
    assert status == 200, fresh  # `reset.key` was revoked on its own, before the user was disabled
    assert call(client, "PUT", f"/api/admin/users/{user_id}", admin, {"status": "disabled"})[0] == 200
    for key in (kept.key, fresh["key"]):
        with pytest.raises(Unauthorized):
            container.proxy.chat(key, chat_body(), meta())

    assert call(client, "PUT", f"/api/admin/users/{user_id}", admin, {"status": "active"})[0] == 200
    for key in (kept.key, fresh["key"]):  # the same keys, no reset needed
        assert container.proxy.chat(key, chat_body(), meta()).headers["x-keyledger-cost"]
    with pytest.raises(Unauthorized):
        container.proxy.chat(reset.key, chat_body(), meta())
    statuses = {q["key"]["key_id"]: q["key"]["status"]
                for q in call(client, "GET", f"/api/admin/quotas?user_id={user_id}", admin)[1]["items"]}
    assert set(statuses.values()) == {"active"} and {kept.key_id, fresh["key_id"]} <= set(statuses)
