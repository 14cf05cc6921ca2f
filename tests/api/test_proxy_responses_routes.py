"""POST /v1/responses through the proxy's ASGI app: the Response shape, headers, the OpenAI
error envelope, strict reading, and the request record naming the endpoint."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalicelib.ledger.store import get_balance
from chalicelib.usage import reads_store as usage_reads

from tests.support.metering import assert_ledger_consistent
from tests.support.proxy_env import ALICE, build_proxy_env
from tests.support.proxy_fakes import ProviderDown
from tests.support.proxy_http import post_json


@pytest.fixture
def env(container):
    return build_proxy_env(container)


def post(client, body: Any, key: str | None = ALICE):
    return post_json(client, "/v1/responses", body, key)


def error_of(resp) -> dict[str, Any]:
    body = json.loads(resp.content)
    assert set(body["error"]) == {"message", "type", "code", "param"}
    return body["error"]


def records(env) -> list[Any]:
    return usage_reads.records_page(env.key.user_id, 10, None)[0]


def test_a_response_answers_the_response_object_with_cost_and_request_id_headers(v1, env):
    resp = post(v1, {"model": "gpt-test", "input": "hi", "max_output_tokens": 100})
    assert resp.status_code == 200
    body = json.loads(resp.content)
    assert body["object"] == "response" and body["id"] == "resp_" + resp.headers["x-request-id"]
    assert body["output"][0]["content"][0]["text"] == "hello from p1"
    assert (body["usage"]["input_tokens"], body["usage"]["output_tokens"]) == (10, 20)
    assert resp.headers["x-keyledger-cost"] == body["usage"]["cost"] == "0.000050"
    assert env.upstream.bodies[-1]["messages"] == [{"role": "user", "content": "hi"}]
    assert records(env)[0].endpoint == "responses"


def test_the_output_cap_sent_upstream_is_the_models_when_max_output_tokens_asks_more(v1, env):
    assert post(v1, {"model": "gpt-test", "input": "hi", "max_output_tokens": 10**6}).status_code == 200
    assert env.upstream.bodies[-1]["max_tokens"] == 1000  # the route's max_output_tokens


@pytest.mark.parametrize(("key", "code"), [(None, "missing_api_key"), ("sk-kl-wrong", "invalid_api_key")])
def test_a_missing_or_unknown_key_is_401_in_the_openai_envelope(v1, env, key, code):
    resp = post(v1, {"model": "gpt-test", "input": "hi"}, key=key)
    assert resp.status_code == 401 and error_of(resp)["code"] == code


@pytest.mark.parametrize(("field", "value"), [("max_output_tokens", "10"), ("max_output_tokens", 0),
                                              ("stream", "true"), ("temperature", 3), ("input", 5),
                                              ("store", "no")])
def test_a_field_of_the_wrong_json_type_or_range_is_400_before_any_reservation(v1, env, field, value):
    resp = post(v1, {"model": "gpt-test", "input": "hi", field: value})
    assert resp.status_code == 400 and field in error_of(resp)["message"]
    assert env.upstream.calls == []


def test_previous_response_id_is_a_400_that_says_responses_are_not_stored(v1, env):
    resp = post(v1, {"model": "gpt-test", "input": "hi", "previous_response_id": "resp_x"})
    assert resp.status_code == 400
    error = error_of(resp)
    assert error["param"] == "previous_response_id" and "stores no responses" in error["message"]
    assert env.upstream.calls == [] and records(env) == []


@pytest.mark.parametrize("stream", [False, True])
def test_an_upstream_failure_is_502_the_hold_goes_back_and_the_record_names_the_endpoint(v1, env, stream):
    env.upstream.behaviour["p1"] = ProviderDown("down")
    before = get_balance(env.key.user_id).available
    resp = post(v1, {"model": "solo", "input": "hi", "stream": stream})
    assert resp.status_code == 502 and error_of(resp)["type"] == "api_error"
    assert get_balance(env.key.user_id).available == before
    assert_ledger_consistent(env.key.user_id)
    assert records(env)[0].endpoint == "responses"
