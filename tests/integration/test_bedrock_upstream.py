"""A `bedrock` provider end to end on the container's real services and the fake Bedrock.

botocore signs each call with the suite's (fake) AWS keys and the fake verifies the signature
over the bytes it received; the answers are Converse JSON and ConverseStream's binary event
stream. Prices: $1 / $2 per 1M tokens; the fake reports 11 input + 3 cache-read + 2
cache-write = 16 input tokens and 7 output tokens, so a full answer costs $0.000030.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.support.bedrock_proxy import MODEL, UPSTREAM_MODEL, bedrock_settings, build_bedrock_proxy
from tests.support.proxy_env import chat_body, meta
from tests.support.proxy_http import post_json

COST = "0.000030"
ROLE = "arn:aws:iam::111122223333:role/keyledger-bedrock"
CITY = {"type": "object", "properties": {"city": {"type": "string"}}}
TOOLS = [{"type": "function", "function": {"name": "weather", "description": "The weather in a city",
                                           "parameters": CITY}}]


@pytest.fixture
def settings(bedrock_upstream):
    return bedrock_settings(bedrock_upstream)


@pytest.fixture
def bedrock(container):
    return build_bedrock_proxy(container)


def _available(container, user_id: str) -> Decimal:
    return container.metering.balance(user_id).available


def _stream_events(response) -> list[dict]:
    return [json.loads(line[6:]) for line in response.text.splitlines()
            if line.startswith("data: ") and line != "data: [DONE]"]


def test_a_chat_is_signed_translated_and_charged_from_converse_usage(container, bedrock, bedrock_upstream):
    body = chat_body(model=MODEL, messages=[{"role": "system", "content": "Be brief."},
                                            {"role": "user", "content": "hi"}])
    answer = container.proxy.chat(bedrock.key, body, meta())
    assert answer.body["choices"][0]["message"]["content"] == "Hello from the fake Bedrock."
    assert answer.body["usage"] == {"prompt_tokens": 16, "completion_tokens": 7, "total_tokens": 23}
    assert answer.headers["x-keyledger-cost"] == COST
    assert _available(container, bedrock.user_id) == Decimal("1") - Decimal(COST)
    [call] = bedrock_upstream.calls("/converse")
    assert call.path == f"/model/us.{UPSTREAM_MODEL}/converse"  # the provider's inference profile
    assert call.body["system"] == [{"text": "Be brief."}]
    assert call.body["inferenceConfig"] == {"maxTokens": 100}  # the output cap the hold was sized for


def test_a_stream_relays_deltas_and_charges_the_metadata_usage(container, bedrock, bedrock_upstream, v1):
    response = post_json(v1, "/v1/chat/completions", chat_body(model=MODEL, stream=True,
                                                              stream_options={"include_usage": True}), bedrock.key)
    assert response.status_code == 200
    events = _stream_events(response)
    text = "".join(e["choices"][0]["delta"].get("content") or "" for e in events if e["choices"])
    assert text == "Hello from the fake Bedrock."
    assert events[-1]["choices"] == [] and events[-1]["usage"]["cost"] == COST
    assert events[-1]["usage"]["prompt_tokens"] == 16
    assert response.text.endswith("data: [DONE]\n\n")
    assert bedrock_upstream.calls("/converse-stream")


def test_a_tool_round_trip_keeps_the_call_ids(container, bedrock, bedrock_upstream):
    first = container.proxy.chat(bedrock.key, chat_body(model=MODEL, tools=TOOLS), meta()).body
    call = first["choices"][0]["message"]["tool_calls"][0]
    assert first["choices"][0]["finish_reason"] == "tool_calls"
    assert (call["function"]["name"], json.loads(call["function"]["arguments"])) == ("weather", {"city": "Paris"})
    messages = [{"role": "user", "content": "weather?"}, first["choices"][0]["message"],
                {"role": "tool", "tool_call_id": call["id"], "content": "sunny"}]
    second = container.proxy.chat(bedrock.key, chat_body(model=MODEL, tools=TOOLS, messages=messages), meta()).body
    assert second["choices"][0]["message"]["content"] == "The tool said: sunny"
    sent = bedrock_upstream.calls("/converse")[-1].body
    assert sent["messages"][1]["content"][0]["toolUse"]["toolUseId"] == call["id"]
    assert sent["messages"][2]["content"][0]["toolResult"] == {"toolUseId": call["id"], "content": [{"text": "sunny"}]}
    assert sent["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"] == {"json": CITY}


def test_throttling_is_a_429_after_the_retries_and_costs_nothing(container, bedrock, bedrock_upstream, v1):
    bedrock_upstream.set_fault("throttled")
    response = post_json(v1, "/v1/chat/completions", chat_body(model=MODEL), bedrock.key)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "upstream_throttled"
    assert response.headers["retry-after"] == "1"
    assert len(bedrock_upstream.calls("/converse")) == 1 + container.settings.upstream_max_retries
    assert _available(container, bedrock.user_id) == Decimal("1")


def test_access_denied_is_a_403_that_tells_the_admin_what_to_enable(container, bedrock, bedrock_upstream, v1):
    bedrock_upstream.set_fault("access_denied")
    response = post_json(v1, "/v1/chat/completions", chat_body(model=MODEL, stream=True), bedrock.key)
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "upstream_access_denied" and "Model access" in error["message"]
    assert len(bedrock_upstream.calls("/converse-stream")) == 1  # not retried
    provider = container.catalog.snapshot(fresh=True).providers[bedrock.provider_id]
    assert "enable the model" in (provider.health.last_error or "")  # the admin sees it on the provider
    assert _available(container, bedrock.user_id) == Decimal("1")


def test_a_validation_fault_is_the_callers_400_not_the_providers(container, bedrock, bedrock_upstream, v1):
    bedrock_upstream.set_fault("validation")
    response = post_json(v1, "/v1/chat/completions", chat_body(model=MODEL), bedrock.key)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "upstream_rejected"
    assert container.catalog.snapshot(fresh=True).providers[bedrock.provider_id].health.consecutive_failures == 0


def test_an_exception_mid_stream_ends_it_and_charges_what_was_delivered(container, bedrock, bedrock_upstream, v1):
    bedrock_upstream.set_fault("stream_exception", times=1)
    response = post_json(v1, "/v1/chat/completions", chat_body(model=MODEL, stream=True), bedrock.key)
    events = _stream_events(response)
    assert "throttlingException" in events[-1]["error"]["message"]
    charged = Decimal("1") - _available(container, bedrock.user_id)
    assert Decimal(0) < charged < Decimal(COST) * 10  # the prompt estimate and the delivered words, not zero


def test_a_provider_with_a_role_signs_with_the_assumed_credentials(container, bedrock_upstream, v1):
    proxy = build_bedrock_proxy(container, profile=None, role_arn=ROLE)
    assert post_json(v1, "/v1/chat/completions", chat_body(model=MODEL), proxy.key).status_code == 200
    assume, converse = bedrock_upstream.seen[-2:]
    assert assume.path == "/" and b"Action=AssumeRole" in assume.body
    assert converse.path == f"/model/{UPSTREAM_MODEL}/converse"  # no profile: the bare model id


def test_an_admin_registers_tests_and_syncs_a_bedrock_provider(client, accounts, bedrock_upstream):
    headers = {**accounts.admin().headers, "content-type": "application/json"}
    created = client.http.post("/api/admin/providers", headers=headers, body=json.dumps(
        {"name": "bedrock-east", "type": "bedrock",
         "bedrock": {"region": "us-east-1", "inference_profile": "us", "role_arn": ROLE}}))
    assert created.status_code == 201, created.body
    provider = json.loads(created.body)
    assert provider["bedrock"] == {"region": "us-east-1", "inference_profile": "us", "role_arn": ROLE}
    assert provider["base_url"] == "https://bedrock-runtime.us-east-1.amazonaws.com"
    pid = provider["provider_id"]
    tested = json.loads(client.http.post(f"/api/admin/providers/{pid}/test", headers=headers).body)
    assert tested["ok"] is True, tested
    synced = json.loads(client.http.post(f"/api/admin/providers/{pid}/sync-models", headers=headers).body)
    assert synced == {"added": 4, "updated": 0, "unchanged": 0}  # two foundation models, two profiles (paged)


@pytest.mark.parametrize(("body", "code"), [
    ({"type": "bedrock"}, "bedrock_settings_required"),
    ({"type": "bedrock", "bedrock": {"region": "us-east-1"}, "base_url": "https://example.com/v1"},
     "invalid_base_url"),
    ({"type": "openai", "base_url": "https://api.example.com/v1", "bedrock": {"region": "us-east-1"}},
     "invalid_provider_settings"),
])
def test_bedrock_settings_go_with_the_bedrock_type_only(client, accounts, body, code):
    headers = {**accounts.admin().headers, "content-type": "application/json"}
    answer = client.http.post("/api/admin/providers", headers=headers, body=json.dumps({"name": "p", **body}))
    assert answer.status_code == 400
    assert json.loads(answer.body)["error"]["code"] == code


def test_the_health_job_checks_a_bedrock_provider_with_a_list_call(client, container, bedrock_upstream):
    build_bedrock_proxy(container, role_arn=ROLE)
    event = client.events.generate_cw_event("aws.events", "Scheduled Event", {},
                                            ["arn:aws:events:us-east-1:123456789012:rule/check_providers"])
    assert client.lambda_.invoke("check_providers", event).payload == {"checked": 1, "failed": 0, "skipped": 0}
    assert bedrock_upstream.calls("/foundation-models")


def test_the_local_stack_registers_its_bedrock_demo_once_and_it_answers(container, bedrock_upstream, accounts):
    from infra.localstack.bootstrap import register_demo_bedrock

    for _ in range(2):  # every start
        register_demo_bedrock(container)
    [provider] = container.catalog_admin.list_providers()
    assert (provider.name, provider.type, provider.bedrock.region) == ("local-bedrock", "bedrock", "us-east-1")
    user = accounts.user()
    [quota] = container.keys.quotas_of(user.user_id)
    key = container.keys.reset_key(quota.quota_id, actor_id=user.user_id, meta=None).key
    container.metering.credit(user.user_id, Decimal("1"), "topup", "test")
    answer = container.proxy.chat(key, chat_body(model="local-bedrock-haiku"), meta())
    assert answer.body["choices"][0]["message"]["content"] == "Hello from the fake Bedrock."


def test_an_admin_moves_a_bedrock_provider_to_another_region_but_not_to_another_type(client, accounts, container):
    headers = {**accounts.admin().headers, "content-type": "application/json"}
    pid = build_bedrock_proxy(container).provider_id
    moved = client.http.put(f"/api/admin/providers/{pid}", headers=headers,
                            body=json.dumps({"bedrock": {"region": "eu-west-1", "inference_profile": "eu"}}))
    assert moved.status_code == 200, moved.body
    view = json.loads(moved.body)
    assert view["bedrock"]["region"] == "eu-west-1" and view["base_url"].endswith("eu-west-1.amazonaws.com")
    route = container.catalog.route(MODEL, container.catalog.group_by_ref("bedrock").group_id)
    assert route.targets[0][0].bedrock.inference_profile == "eu"
    retyped = client.http.put(f"/api/admin/providers/{pid}", headers=headers,
                              body=json.dumps({"type": "openai", "base_url": "https://api.example.com/v1"}))
    assert retyped.status_code == 400
