"""Issue 21: the proxy's one model-resolution step, and the precedence of own provider names."""

from __future__ import annotations

from dataclasses import replace

import pytest
from chalicelib.catalog.routing import ModelRoute
from chalicelib.kernel.errors import Forbidden
from chalicelib.proxy.routing import ModelResolver, caller_scope

from tests.support.metering import make_key, make_route


class SharedModels:
    def __init__(self, *names: str) -> None:
        self.routes = {n: make_route(n) for n in names}

    def route(self, model_name: str, group_id: str) -> ModelRoute:
        return self.routes[model_name]

    def models_for_group(self, group_id: str) -> list[ModelRoute]:
        return list(self.routes.values())

    def record_provider_result(self, provider_id: str, ok: bool, error: str | None = None) -> None:
        return None


class OwnModels:
    """user id -> own provider names (lower-case match, as the real service does)."""

    def __init__(self, owned: dict[str, list[str]]) -> None:
        self.owned = owned
        self.asked: list[tuple[str, str]] = []

    def route(self, user_id: str, model_name: str) -> ModelRoute | None:
        self.asked.append((user_id, model_name))
        prefix = model_name.split("/", 1)[0].lower()
        if prefix in (n.lower() for n in self.owned.get(user_id, [])):
            return make_route(model_name, input_price="0", output_price="0", providers=(f"{prefix} (own)",))
        return None


@pytest.fixture
def resolver() -> ModelResolver:
    return ModelResolver(SharedModels("gpt-test", "deepseek/chat"), OwnModels({"alice": ["DeepSeek"]}))


def test_an_own_provider_name_wins_over_a_shared_model_of_the_same_full_name(resolver):
    with caller_scope(make_key("alice", store=False)):
        route = resolver.route("deepseek/chat", "default")
    assert route.targets[0][0].provider_id == "deepseek (own)" and route.input_price == 0


def test_another_user_naming_the_same_provider_gets_the_shared_catalog(resolver):
    with caller_scope(make_key("bob", store=False)):
        route = resolver.route("deepseek/chat", "default")
    assert route.targets[0][0].provider_id == "p1"


def test_a_name_without_a_slash_never_reads_own_providers(resolver):
    own = resolver._own
    with caller_scope(make_key("alice", store=False)):
        assert resolver.route("gpt-test", "default").name == "gpt-test"
    assert own.asked == []


def test_outside_a_callers_scope_only_the_shared_catalog_answers(resolver):
    assert resolver.route("deepseek/chat", "default").targets[0][0].provider_id == "p1"


def test_a_quota_that_forbids_own_providers_is_refused_rather_than_sent_to_a_shared_model(resolver):
    key = replace(make_key("alice", store=False), allow_own_providers=False)
    with caller_scope(key), pytest.raises(Forbidden) as refused:
        resolver.route("deepseek/chat", "default")
    assert refused.value.code == "own_providers_not_allowed"
