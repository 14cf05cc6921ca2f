"""UpstreamClient against fake providers over real HTTP on 127.0.0.1.

Retries are counted through the fake's request log; waits go to a recording `sleep`,
so nothing here actually waits for backoff. Timeouts are real but short.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import pytest
from chalicelib.upstreams import (
    ProviderError,
    ProviderRejected,
    ProviderTimeout,
    Target,
    UnsupportedByProvider,
    UpstreamClient,
    Usage,
)

from tests.fakes import FakeUpstream, Fault

CHAT = {"model": "public-chat", "messages": [{"role": "system", "content": "Be brief."},
                                             {"role": "user", "content": "Hi there"}]}


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_client(sleeps: Sleeps) -> Callable[..., UpstreamClient]:
    made: list[UpstreamClient] = []

    def make(**kw: object) -> UpstreamClient:
        options = {"connect_timeout": 1.0, "read_timeout": 2.0, "max_retries": 2, "probe_timeout": 1.0,
                   "sleep": sleeps, "jitter": lambda: 1.0, "allow_private": True, **kw}
        client = UpstreamClient(**options)  # type: ignore[arg-type]
        made.append(client)
        return client

    yield make  # type: ignore[misc]
    for c in made:
        c.close()


@pytest.fixture
def client(make_client: Callable[..., UpstreamClient]) -> UpstreamClient:
    return make_client()


def target_for(fake: FakeUpstream, model: str | None = None, **kw: object) -> Target:
    return Target(provider_id=f"prov-{fake.kind}", provider_type=fake.kind, base_url=fake.base_url,  # type: ignore[arg-type]
                  api_key=fake.api_key, upstream_model=model or fake.models[0], **kw)  # type: ignore[arg-type]


# --- OpenAI-compatible: the happy paths ---


def test_chat_sends_the_upstream_model_and_answers_with_the_public_name(client, openai_upstream):
    result = client.chat(target_for(openai_upstream), CHAT, "public-chat")
    (sent,) = openai_upstream.calls("/v1/chat/completions")
    assert sent.body["model"] == "gpt-fake-mini"
    assert sent.headers["authorization"] == f"Bearer {openai_upstream.api_key}"
    assert result.body["model"] == "public-chat"
    assert result.body["choices"][0]["message"]["content"] == openai_upstream.reply
    assert result.usage == Usage(11, 7)  # the upstream's figures, not a count of the text


def test_embeddings_pass_through_with_the_upstream_usage(client, openai_upstream):
    body = {"model": "public-embed", "input": ["a", "b"], "encoding_format": "float"}
    result = client.embeddings(target_for(openai_upstream, "text-embed-fake"), body, "public-embed")
    assert openai_upstream.calls("/v1/embeddings")[0].body["model"] == "text-embed-fake"
    assert result.body["model"] == "public-embed" and len(result.body["data"]) == 2
    assert result.usage == Usage(11, 0)


def test_list_models_reads_the_openai_model_list(client, openai_upstream):
    assert client.list_models(target_for(openai_upstream)) == ["gpt-fake-mini", "text-embed-fake"]


def test_pooled_session_reuses_one_connection_for_sequential_calls(client, openai_upstream):
    for _ in range(3):
        client.chat(target_for(openai_upstream), CHAT, "public-chat")
    assert len(openai_upstream.calls("/v1/chat/completions")) == 3
    pool = client.session.get_adapter(openai_upstream.base_url).poolmanager
    assert len(pool.pools) == 1


# --- Anthropic ---


def test_anthropic_chat_is_translated_both_ways(client, anthropic_upstream):
    body = {**CHAT, "stop": "END", "temperature": 0.2}
    result = client.chat(target_for(anthropic_upstream, max_output_tokens=1234), body, "public-claude")
    (sent,) = anthropic_upstream.calls("/v1/messages")
    assert sent.headers["x-api-key"] == anthropic_upstream.api_key
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in sent.headers
    assert sent.body == {"model": "claude-fake-sonnet", "system": "Be brief.", "max_tokens": 1234,
                         "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi there"}]}],
                         "temperature": 0.2, "stop_sequences": ["END"]}
    assert result.body["object"] == "chat.completion" and result.body["model"] == "public-claude"
    assert result.body["choices"][0]["message"] == {"role": "assistant", "content": anthropic_upstream.reply}
    assert result.body["choices"][0]["finish_reason"] == "stop"
    assert result.body["usage"] == {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
    assert result.usage == Usage(11, 7)


def test_anthropic_embeddings_are_refused_without_calling_the_provider(client, anthropic_upstream):
    with pytest.raises(UnsupportedByProvider) as caught:
        client.embeddings(target_for(anthropic_upstream), {"model": "x", "input": "a"}, "x")
    assert caught.value.status == 400 and caught.value.provider_id == "prov-anthropic"
    assert anthropic_upstream.requests == []


def test_list_models_reads_the_anthropic_model_list(client, anthropic_upstream):
    assert client.list_models(target_for(anthropic_upstream)) == ["claude-fake-sonnet"]
    assert anthropic_upstream.requests[0].path.startswith("/v1/models")


def test_anthropic_refusal_of_a_bad_request_is_a_400_and_not_retried(client, anthropic_upstream):
    with pytest.raises(ProviderRejected) as caught:
        client.chat(target_for(anthropic_upstream), {**CHAT, "max_tokens": "lots"}, "public-claude")
    assert caught.value.status == 400 and caught.value.upstream_status == 400
    assert "max_tokens" in caught.value.message
    assert not caught.value.fallback and len(anthropic_upstream.requests) == 1


# --- faults: retries and error classes ---


@pytest.mark.parametrize("fault", [Fault.SERVER_ERROR, Fault.RATE_LIMITED, Fault.RESET])
@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_a_transient_failure_is_retried_and_then_succeeds(make_client, sleeps, fault, kind, request):
    fake = request.getfixturevalue(f"{kind}_upstream")
    fake.set_fault(fault, times=1)
    result = make_client().chat(target_for(fake), CHAT, "public")
    assert result.usage == Usage(11, 7)
    assert len(fake.requests) == 2 and len(sleeps) == 1


def test_persistent_500_is_retried_a_bounded_number_of_times_with_growing_backoff(client, sleeps, openai_upstream):
    openai_upstream.set_fault(Fault.SERVER_ERROR)
    with pytest.raises(ProviderError) as caught:
        client.chat(target_for(openai_upstream), CHAT, "public")
    err = caught.value
    assert (err.status, err.upstream_status, err.retryable, err.fallback) == (502, 500, True, True)
    assert len(openai_upstream.requests) == 3  # 1 + max_retries
    assert sleeps == [0.25, 0.5]  # base 0.25 s doubling; jitter pinned to its maximum


def test_429_waits_at_least_retry_after_and_reports_the_rate_limit(client, sleeps, openai_upstream):
    openai_upstream.set_fault(Fault.RATE_LIMITED)
    openai_upstream.retry_after = "2"
    with pytest.raises(ProviderError) as caught:
        client.chat(target_for(openai_upstream), CHAT, "public")
    assert caught.value.upstream_status == 429 and caught.value.retry_after == 2.0
    assert len(openai_upstream.requests) == 3 and sleeps == [2.0, 2.0]


def test_a_retry_after_beyond_the_cap_is_not_waited_for(client, sleeps, openai_upstream):
    openai_upstream.set_fault(Fault.RATE_LIMITED)
    openai_upstream.retry_after = "3600"
    with pytest.raises(ProviderError):
        client.chat(target_for(openai_upstream), CHAT, "public")
    assert len(openai_upstream.requests) == 1 and sleeps == []


def test_a_refused_provider_key_is_not_retried_and_never_echoed(client, sleeps, openai_upstream):
    with pytest.raises(ProviderError) as caught:
        client.chat(Target("p", "openai", openai_upstream.base_url, "sk-wrong-key-abcdef", "m"), CHAT, "public")
    err = caught.value
    assert (err.status, err.upstream_status, err.retryable) == (502, 401, False)
    assert "sk-" not in err.message and "abcdef" not in err.message
    assert len(openai_upstream.requests) == 1 and sleeps == []


def test_malformed_json_is_a_502_and_not_retried(client, openai_upstream):
    openai_upstream.set_fault(Fault.MALFORMED)
    with pytest.raises(ProviderError) as caught:
        client.chat(target_for(openai_upstream), CHAT, "public")
    assert caught.value.status == 502 and "malformed JSON" in caught.value.message
    assert len(openai_upstream.requests) == 1


def test_a_read_timeout_is_honoured_and_never_retried(make_client, openai_upstream):
    # The request went out: the provider may be generating, and a second call would pay twice.
    openai_upstream.set_fault(Fault.TIMEOUT)
    client = make_client(read_timeout=0.3, max_retries=1)
    started = time.monotonic()
    with pytest.raises(ProviderTimeout) as caught:
        client.chat(target_for(openai_upstream), CHAT, "public")
    elapsed = time.monotonic() - started
    assert caught.value.status == 504 and not caught.value.retryable and not caught.value.fallback
    assert len(openai_upstream.requests) == 1
    assert elapsed < 1.0  # one 0.3 s timeout, not the fake's 2 s hang


def test_garbage_model_list_is_a_502(client, openai_upstream):
    openai_upstream.set_fault(Fault.GARBAGE_MODELS)
    with pytest.raises(ProviderError) as caught:
        client.list_models(target_for(openai_upstream))
    assert "model list" in caught.value.message


# --- probe: the admin connection test never raises ---


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_probe_succeeds_against_a_working_provider(client, openai_upstream, anthropic_upstream):
    for fake in (openai_upstream, anthropic_upstream):
        ok, latency_ms, detail = client.probe(target_for(fake))
        assert ok and latency_ms >= 0 and "lists" in detail


@pytest.mark.parametrize(
    ("fault", "words"),
    [(Fault.UNAUTHORIZED, "refused the API key"), (Fault.TIMEOUT, "within 1 s"),
     (Fault.MALFORMED, "malformed JSON"), (Fault.GARBAGE_MODELS, "unknown format"),
     (Fault.SERVER_ERROR, "HTTP 500")],
)
def test_probe_turns_each_failure_into_a_clear_detail(client, openai_upstream, fault, words):
    openai_upstream.set_fault(fault)
    ok, _, detail = client.probe(target_for(openai_upstream))
    assert not ok and words in detail
    assert openai_upstream.api_key not in detail
    assert len(openai_upstream.requests) == 1  # the probe never retries


def test_probe_reports_an_unresolvable_host(client):
    target = Target("p", "openai", "http://no-such-provider.invalid/v1", "sk-x", "m")
    ok, _, detail = client.probe(target)
    assert not ok and "Cannot resolve the host 'no-such-provider.invalid'" in detail


def test_probe_reports_a_refused_connection(client):
    port = free_port()
    ok, _, detail = client.probe(Target("p", "anthropic", f"http://127.0.0.1:{port}", "sk-x", "m"))
    assert not ok and f"Connection refused by 127.0.0.1:{port}" in detail


def test_a_deadline_stops_retries_that_would_outlive_it(make_client, sleeps, openai_upstream):
    openai_upstream.set_fault(Fault.SERVER_ERROR)
    with pytest.raises(ProviderError):
        make_client(deadline=0.1).chat(target_for(openai_upstream), CHAT, "public")  # first backoff is 0.25 s
    assert len(openai_upstream.requests) == 1 and sleeps == []


