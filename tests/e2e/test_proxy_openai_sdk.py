"""The real `openai` SDK over real HTTP against the proxy (the local stack's front server on 127.0.0.1).

DynamoDB is moto in this process; the upstreams are the fake OpenAI/Anthropic servers on
127.0.0.1, reached through the real UpstreamClient. Keys and catalog are hand-made (handed
in through the Container), so this pins the proxy's wire behaviour as the SDK sees it.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import openai
import pytest
from chalicelib.catalog.routing import ModelRoute, ProviderTargetInfo
from chalicelib.proxy.service import ProxyService
from chalicelib.upstreams.client import UpstreamClient

from tests.fakes.upstream_servers import Fault
from tests.support.proxy_env import ALICE, build_proxy_env

pytestmark = pytest.mark.e2e


def _provider(fake, pid: str) -> ProviderTargetInfo:
    return ProviderTargetInfo(provider_id=pid, name=pid, type=fake.kind, base_url=fake.base_url, api_key=fake.api_key)


@pytest.fixture
def api(container, openai_upstream, anthropic_upstream) -> Iterator[str]:
    from app import app
    from proxy_app import app as proxy_app

    from infra.localstack.front import FrontServer

    env = build_proxy_env(container)
    oa, an = _provider(openai_upstream, "oa"), _provider(anthropic_upstream, "an")
    env.catalog.routes.update({
        "real": ModelRoute("m1", "real", Decimal(1), Decimal(2), 1000, ("chat",), ((oa, "gpt-fake-mini"),)),
        "claude": ModelRoute("m2", "claude", Decimal(1), Decimal(2), 1000, ("chat",), ((an, "claude-fake-sonnet"),)),
        "emb": ModelRoute("m3", "emb", Decimal(1), Decimal(0), 0, ("embeddings",), ((oa, "text-embed-fake"),)),
    })
    env.catalog.groups["default"] = ["real", "claude", "emb"]
    env.add_key("sk-kl-poor", user_id="u2", quota_id="q2")
    env.add_key("sk-kl-slow", user_id="u3", quota_id="q3", rpm=1)
    container.metering.credit("u3", Decimal(1), "topup", "test")
    client = UpstreamClient(connect_timeout=1.0, read_timeout=1.0, max_retries=0, sleep=lambda s: None,
                            allow_private=True)
    container.proxy = ProxyService(env.keys, env.catalog, client, container.metering, container.clock)
    server = FrontServer(app, proxy_app, 0)
    server.start()
    yield server.url + "/v1"
    server.stop()
    client.close()


def sdk(base_url: str, key: str = ALICE) -> openai.OpenAI:
    return openai.OpenAI(api_key=key, base_url=base_url, max_retries=0, timeout=10)


@pytest.mark.parametrize("model", ["real", "claude"])
def test_the_sdk_chats_and_reads_the_cost_header(api, model):
    raw = sdk(api).chat.completions.with_raw_response.create(
        model=model, messages=[{"role": "user", "content": "hi"}], max_tokens=50)
    completion = raw.parse()
    assert completion.choices[0].message.content == "Hello from the fake upstream."
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (11, 7)
    assert raw.headers["x-keyledger-cost"] == "0.000025"
    assert raw.headers["x-request-id"]


@pytest.mark.parametrize("model", ["real", "claude"])
def test_the_sdk_streams_deltas_and_gets_the_usage_last(api, model):
    stream = sdk(api).chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}],
                                              stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello from the fake upstream."
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 18


def test_the_sdk_makes_embeddings(api):
    result = sdk(api).embeddings.create(model="emb", input=["a", "b"])
    assert len(result.data) == 2 and result.usage.prompt_tokens == 11


def test_the_sdk_lists_only_the_keys_models(api):
    assert [m.id for m in sdk(api).models.list()] == ["real", "claude", "emb"]


def test_each_refusal_raises_the_sdks_own_error_class(api, openai_upstream):
    messages = [{"role": "user", "content": "hi"}]
    with pytest.raises(openai.AuthenticationError):
        sdk(api, "sk-kl-nobody").chat.completions.create(model="real", messages=messages)
    with pytest.raises(openai.PermissionDeniedError):
        sdk(api).chat.completions.create(model="secret-model", messages=messages)
    with pytest.raises(openai.NotFoundError):
        sdk(api).chat.completions.create(model="no-such-model", messages=messages)
    with pytest.raises(openai.APIStatusError) as short:
        sdk(api, "sk-kl-poor").chat.completions.create(model="real", messages=messages)
    assert short.value.status_code == 402 and short.value.code == "insufficient_balance"
    sdk(api, "sk-kl-slow").chat.completions.create(model="real", messages=messages, max_tokens=5)
    with pytest.raises(openai.RateLimitError) as limited:
        sdk(api, "sk-kl-slow").chat.completions.create(model="real", messages=messages, max_tokens=5)
    assert int(limited.value.response.headers["retry-after"]) >= 1
    openai_upstream.set_fault(Fault.SERVER_ERROR)
    with pytest.raises(openai.APIStatusError) as failed:
        sdk(api).chat.completions.create(model="real", messages=messages)
    assert failed.value.status_code == 502
