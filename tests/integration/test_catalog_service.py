from __future__ import annotations

from decimal import Decimal

import pytest
from chalicelib.catalog.store import GroupItem, ModelItem, ProviderItem
from chalicelib.catalog.types import QuotaLimits
from chalicelib.kernel.errors import AlreadyExists, BadRequest, Conflict, Forbidden, NotFound

from tests.catalog_support import audit_log

PROVIDER_KEY = "sk-upstream-SECRET-0123456789abcdef"

WHO = {"actor_id": "admin1", "meta": None}


def _setup(container, enabled=True):
    admin = container.catalog_admin
    p = admin.create_provider(name="openai", type="openai", base_url="https://api.example.com/v1",
                              api_key=PROVIDER_KEY, **WHO)
    m = admin.create_model({"name": "gpt-x", "provider": p.provider_id, "upstream_model": "gpt-x-2026",
                            "input_price": Decimal("0.15"), "output_price": Decimal("0.6"),
                            "capabilities": ["chat", "tools"], "max_output_tokens": 8192, "enabled": enabled}, **WHO)
    g = admin.create_group(name="default", models=["gpt-x"], default_quota=QuotaLimits(rpm=60), **WHO)
    return p, m, g


def _count_dynamodb_calls(monkeypatch_list):
    calls = []
    for model in (ProviderItem, ModelItem, GroupItem):
        client = model._get_connection().connection.client
        client.meta.events.register("before-call.dynamodb", lambda **kw: calls.append(kw.get("model").name))
        monkeypatch_list.append(client)
    return calls


def test_route_gives_prices_and_the_decrypted_provider_target(container):
    p, m, g = _setup(container)
    route = container.catalog.route("gpt-x", g.group_id)
    assert route.input_price == Decimal("0.150000") and route.output_price == Decimal("0.600000")
    assert route.max_output_tokens == 8192 and route.capabilities == ("chat", "tools")
    (target, upstream_model), = route.targets
    assert upstream_model == "gpt-x-2026"
    assert target.api_key == PROVIDER_KEY and target.base_url == "https://api.example.com/v1" and target.healthy


def test_provider_key_is_stored_encrypted_with_only_a_hint_in_clear(container):
    p, _, _ = _setup(container)
    raw = ProviderItem.get("PROVIDER", p.provider_id)
    assert PROVIDER_KEY not in str(raw.attribute_values)
    assert p.api_key_hint == "sk-...cdef"


def test_route_refuses_unknown_foreign_and_disabled_models(container):
    _, m, g = _setup(container, enabled=False)
    with pytest.raises(NotFound) as unknown:
        container.catalog.route("nope", g.group_id)
    assert unknown.value.code == "model_not_found"
    other = container.catalog_admin.create_group(name="other", models=[], default_quota=QuotaLimits(), **WHO)
    with pytest.raises(Forbidden) as foreign:
        container.catalog.route("gpt-x", other.group_id)
    assert foreign.value.code == "model_not_allowed"
    with pytest.raises(NotFound) as disabled:
        container.catalog.route("gpt-x", g.group_id)
    assert disabled.value.code == "model_disabled"
    assert container.catalog.models_for_group(g.group_id) == []
    container.catalog_admin.update_model(m.model_id, {"enabled": True}, **WHO)
    assert [r.name for r in container.catalog.models_for_group(g.group_id)] == ["gpt-x"]


def test_a_second_route_within_the_cache_window_makes_no_dynamodb_call(container, clock):
    _, _, g = _setup(container)
    container.catalog.route("gpt-x", g.group_id)  # loads the snapshot
    calls = _count_dynamodb_calls([])
    container.catalog.route("gpt-x", g.group_id)
    container.catalog.models_for_group(g.group_id)
    assert calls == []
    clock.advance(seconds=container.settings.catalog_cache_seconds)
    container.catalog.route("gpt-x", g.group_id)
    assert sorted(calls) == ["Query", "Query", "Query"]  # one Query per partition


def test_an_admin_write_is_seen_at_once_by_this_process(container):
    _, m, g = _setup(container)
    assert container.catalog.route("gpt-x", g.group_id).input_price == Decimal("0.15")
    container.catalog_admin.update_model(m.model_id, {"input_price": Decimal("0.2")}, **WHO)
    assert container.catalog.route("gpt-x", g.group_id).input_price == Decimal("0.2")


def test_repeated_failures_set_a_provider_aside_and_a_success_brings_it_back(container, clock):
    p, _, g = _setup(container)
    pid = p.provider_id
    for _ in range(3):
        container.catalog.record_provider_result(pid, False, f"HTTP 500 from upstream with key {PROVIDER_KEY}")
    (target, _), = container.catalog.route("gpt-x", g.group_id).targets
    assert not target.healthy
    stored = ProviderItem.get("PROVIDER", pid)
    assert stored.consecutive_failures == 3 and stored.unhealthy_until
    assert PROVIDER_KEY not in stored.last_error
    container.catalog.record_provider_result(pid, True)
    (target, _), = container.catalog.route("gpt-x", g.group_id).targets
    assert target.healthy
    assert ProviderItem.get("PROVIDER", pid).consecutive_failures == 0


def test_a_success_on_a_healthy_provider_costs_no_write(container):
    p, _, g = _setup(container)
    container.catalog.route("gpt-x", g.group_id)
    calls = _count_dynamodb_calls([])
    container.catalog.record_provider_result(p.provider_id, True)
    assert calls == []


def test_model_names_are_unique_and_a_rename_frees_the_old_name(container):
    p, m, g = _setup(container)
    fields = {"name": "gpt-x", "provider": p.provider_id, "input_price": Decimal(1), "output_price": Decimal(1)}
    with pytest.raises(AlreadyExists):
        container.catalog_admin.create_model(fields, **WHO)
    container.catalog_admin.update_model(m.model_id, {"name": "gpt-y"}, **WHO)
    assert container.catalog_admin.list_groups()[0].models == ("gpt-y",)  # the rename follows into groups
    container.catalog_admin.create_model(fields, **WHO)
    assert sorted(x.name for x in container.catalog_admin.list_models()) == ["gpt-x", "gpt-y"]


def test_deleting_a_provider_or_model_in_use_is_refused(container):
    p, m, g = _setup(container)
    with pytest.raises(Conflict):
        container.catalog_admin.delete_provider(p.provider_id, **WHO)
    with pytest.raises(Conflict):
        container.catalog_admin.delete_model(m.model_id, **WHO)
    container.catalog_admin.delete_group(g.group_id, **WHO)
    container.catalog_admin.delete_model(m.model_id, **WHO)
    container.catalog_admin.delete_provider(p.provider_id, **WHO)
    assert container.catalog_admin.list_providers() == []


@pytest.mark.parametrize("url", ["ftp://x.example/v1", "api.example.com", "https://u:p@x.example/v1",
                                 "https:///v1", "https://x.example/v1?key=1"])
def test_a_provider_base_url_must_be_a_plain_http_url(container, url):
    with pytest.raises(BadRequest):
        container.catalog_admin.create_provider(name="p", type="openai", base_url=url, api_key="k", **WHO)


def test_a_group_must_list_known_models_and_sane_warnings(container):
    _setup(container)
    with pytest.raises(BadRequest):
        container.catalog_admin.create_group(name="g2", models=["ghost"], default_quota=QuotaLimits(), **WHO)
    with pytest.raises(BadRequest):
        container.catalog_admin.create_group(name="g2", models=[], default_quota=QuotaLimits(warn_at=(Decimal("1.5"),)),
                                      **WHO)


def test_every_admin_change_is_audited_without_the_provider_key(container):
    p, m, g = _setup(container)
    container.catalog_admin.update_provider(p.provider_id, {"api_key": PROVIDER_KEY + "-new"}, **WHO)
    log = audit_log()
    assert [r["action"] for r in log] == ["provider.create", "model.create", "group.create", "provider.update"]
    assert all(r["user_id"] == "admin1" and r["type"] == "admin" and r["detail"]["target"] for r in log)
    assert log[-1]["detail"]["before"]["api_key_hint"] == "sk-...cdef"
    assert "SECRET" not in str(log)


def test_the_local_demo_is_registered_once_and_re_pointed_on_restart(container):
    from infra.localstack.bootstrap import DEMO_MODELS, DEMO_PROVIDER

    for port in (1111, 2222):
        container.catalog.ensure_local_demo(base_url=f"http://127.0.0.1:{port}/v1", provider=DEMO_PROVIDER,
                                            models=DEMO_MODELS, group="default")
    (provider,) = container.catalog_admin.list_providers()
    assert provider.name == "local-demo" and provider.base_url == "http://127.0.0.1:2222/v1"
    default = container.catalog.group_by_ref("default")
    assert default.models == ("local-demo-chat", "local-demo-embed")
    chat = container.catalog.route("local-demo-chat", default.group_id)
    assert chat.input_price == Decimal("0.5") and chat.output_price == Decimal("1.5")
    assert chat.targets[0][0].base_url == "http://127.0.0.1:2222/v1" and chat.targets[0][1] == "demo-chat"


def test_a_result_for_a_deleted_provider_is_ignored(container):
    p = container.catalog_admin.create_provider(name="gone", type="openai", base_url="https://x.example/v1",
                                                api_key="k", **WHO)
    container.catalog.snapshot()
    container.catalog._repo.delete_provider(p.provider_id, "gone")  # deleted by another process
    container.catalog.record_provider_result(p.provider_id, False, "boom")
    assert container.catalog_admin.list_providers() == []
