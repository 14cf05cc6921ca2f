"""The /v1 routes through the proxy's ASGI app: OpenAI shapes, status codes, headers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.proxy_env import ALICE, build_proxy_env, chat_body
from tests.support.proxy_fakes import ProviderDown
from tests.support.proxy_http import post_json


@pytest.fixture
def env(container):
    return build_proxy_env(container)


def post(client, path: str, body: Any, key: str | None = ALICE, header: str = "authorization"):
    return post_json(client, path, body, key, header)


def get(client, path: str, key: str = ALICE):
    return client.get(path, headers={"authorization": f"Bearer {key}"})


def error_of(resp) -> dict[str, Any]:
    body = json.loads(resp.content)
    assert set(body["error"]) == {"message", "type", "code", "param"}
    return body["error"]


def test_a_chat_answers_the_openai_body_with_cost_and_request_id_headers(v1, env):
    resp = post(v1, "/v1/chat/completions", chat_body(temperature=0.7))
    assert resp.status_code == 200
    assert json.loads(resp.content)["object"] == "chat.completion"
    assert resp.headers["x-keyledger-cost"] == "0.000050"
    assert len(resp.headers["x-request-id"]) == 26


def test_the_key_may_come_in_x_api_key(v1, env):
    assert post(v1, "/v1/chat/completions", chat_body(), header="x-api-key").status_code == 200


@pytest.mark.parametrize(("key", "code"), [(None, "missing_api_key"), ("sk-kl-wrong", "invalid_api_key")])
def test_a_missing_or_unknown_key_is_401_in_the_openai_envelope(v1, env, key, code):
    resp = post(v1, "/v1/chat/completions", chat_body(), key=key)
    assert resp.status_code == 401
    assert error_of(resp)["code"] == code and error_of(resp)["type"] == "authentication_error"


def test_a_short_balance_is_402(v1, container):
    build_proxy_env(container, credit="0.0001")
    resp = post(v1, "/v1/chat/completions", chat_body())
    assert resp.status_code == 402
    assert error_of(resp)["code"] == "insufficient_balance"


def test_a_model_outside_the_group_is_403_and_an_unknown_one_404(v1, env):
    resp = post(v1, "/v1/chat/completions", chat_body(model="secret-model"))
    assert (resp.status_code, error_of(resp)["code"]) == (403, "model_not_allowed")
    assert post(v1, "/v1/chat/completions", chat_body(model="nope")).status_code == 404


def test_the_rpm_limit_is_429_with_retry_after(v1, container):
    build_proxy_env(container, rpm=1)
    first = post(v1, "/v1/chat/completions", chat_body())
    assert first.headers["x-ratelimit-remaining-requests"] == "0"
    resp = post(v1, "/v1/chat/completions", chat_body())
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "60"
    assert error_of(resp)["type"] == "rate_limit_error"


def test_a_spent_quota_is_429_insufficient_quota(v1, container):
    build_proxy_env(container, limit_tokens=50)
    resp = post(v1, "/v1/chat/completions", chat_body())
    assert (resp.status_code, error_of(resp)["code"]) == (429, "quota_exceeded")


def test_an_upstream_failure_is_502(v1, env):
    env.upstream.behaviour["p1"] = ProviderDown("down")
    resp = post(v1, "/v1/chat/completions", chat_body(model="solo"))
    assert resp.status_code == 502
    assert error_of(resp)["type"] == "api_error"


def test_a_chat_without_messages_is_400_in_the_openai_envelope(v1, env):
    resp = post(v1, "/v1/chat/completions", {"model": "gpt-test"})
    assert resp.status_code == 400
    assert error_of(resp)["param"] is None and "messages" in error_of(resp)["message"]


@pytest.mark.parametrize(("field", "value"), [("max_tokens", "10"), ("max_tokens", True), ("n", "2"),
                                              ("stream", "true"), ("stream", 1)])
def test_a_number_or_flag_of_the_wrong_json_type_is_400_before_any_reservation(v1, env, field, value):
    # As OpenAI does: "10" is not an integer and "true" not a boolean. Read leniently, "10"
    # would reserve for 10 tokens while the upstream refused the request.
    resp = post(v1, "/v1/chat/completions", chat_body(**{field: value}))
    assert resp.status_code == 400 and field in error_of(resp)["message"]
    assert env.upstream.calls == []
    assert env.container.metering.balance(env.key.user_id).held == 0


def test_embeddings_answer_the_openai_list(v1, env):
    resp = post(v1, "/v1/embeddings", {"model": "emb-test", "input": ["a", "b"]})
    assert resp.status_code == 200 and json.loads(resp.content)["object"] == "list"


def test_models_and_usage_answer_for_the_key(v1, env):
    models = get(v1, "/v1/models").json()
    assert [m["id"] for m in models["data"]] == ["gpt-test", "solo", "emb-test"]
    post(v1, "/v1/chat/completions", chat_body())
    usage = get(v1, "/v1/usage").json()
    assert (usage["period"], usage["used_cost"], usage["used_tokens"], usage["limit_cost"]) == \
        ("month", "0.000050", 30, None)


@pytest.mark.parametrize("options", ["include_usage", ["include_usage"], 1, {"include_usage": "yes"}])
def test_stream_options_that_are_not_an_object_of_flags_are_400(v1, env, options):
    resp = post(v1, "/v1/chat/completions", chat_body(stream=True, stream_options=options))
    assert resp.status_code == 400 and "stream_options" in error_of(resp)["message"]
    assert env.upstream.calls == [] and env.catalog.results == []


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_400_and_never_reach_an_upstream(v1, env, constant):
    raw = json.dumps(chat_body()).replace('"max_tokens": 100', f'"max_tokens": 100, "temperature": {constant}')
    resp = v1.post("/v1/chat/completions", content=raw,
                   headers={"content-type": "application/json", "authorization": f"Bearer {ALICE}"})
    assert resp.status_code == 400 and error_of(resp)["code"] == "invalid_json"
    assert env.upstream.calls == [] and env.catalog.results == []


def test_a_provider_refusing_the_callers_request_does_not_count_against_its_health(v1, env):
    from chalicelib.upstreams.errors import ProviderRejected

    env.upstream.behaviour["p1"] = ProviderRejected("bad request", upstream_status=400, provider_id="p1")
    resp = post(v1, "/v1/chat/completions", chat_body())
    assert resp.status_code == 400
    assert env.catalog.results == []


@pytest.mark.parametrize("path", ["/v1/completion", "/v1/chat/completion", "/v1/files",
                                  "/v1", "/v1/"])
def test_an_unknown_v1_route_is_404_unknown_route_without_the_callers_key(v1, env, path):
    resp = v1.post(path, headers={"authorization": f"Bearer {ALICE}", "x-api-key": ALICE}, content=b"{}")
    assert resp.status_code == 404 and error_of(resp)["code"] == "unknown_route"
    assert ALICE not in resp.text and "alice" not in resp.text


@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/chat/completions"), ("DELETE", "/v1/models"),
                                              ("PUT", "/v1/embeddings")])
def test_a_known_v1_path_with_another_method_is_405(v1, env, method, path):
    resp = v1.request(method, path, headers={"authorization": f"Bearer {ALICE}"})
    assert resp.status_code == 405 and error_of(resp)["code"] == "unknown_route"
    assert ALICE not in resp.text


@pytest.mark.parametrize(("method", "path", "status"), [("GET", "/v1/messages", 405),
                                                        ("GET", "/v1/messages/count_tokens", 405),
                                                        ("POST", "/v1/messages/batches", 404)])
def test_a_refused_messages_route_answers_in_anthropics_envelope_without_the_key(v1, env, method, path, status):
    resp = v1.request(method, path, headers={"x-api-key": ALICE, "anthropic-version": "2023-06-01"})
    assert resp.status_code == status and resp.json()["type"] == "error"
    assert resp.json()["error"]["type"] == ("not_found_error" if status == 404 else "invalid_request_error")
    assert ALICE not in resp.text


def test_one_model_is_found_only_among_the_keys_models(v1, env):
    assert get(v1, "/v1/models/gpt-test").json()["id"] == "gpt-test"
    resp = get(v1, "/v1/models/secret-model")
    assert resp.status_code == 404 and error_of(resp)["code"] == "model_not_found"
