"""The local-demo upstream, driven by the real `openai` SDK straight over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import anyio
import openai
import pytest
from chalicelib.upstreams import Target, UpstreamClient, Usage
from chalicelib.upstreams.streaming import StreamingClient

from infra.demo_upstream import start_demo_upstream


@pytest.fixture
def demo() -> Iterator[str]:
    server, base_url = start_demo_upstream(port=0)
    yield base_url
    server.stop()


@pytest.fixture
def sdk(demo: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=demo, api_key="local-demo-not-a-secret", max_retries=0, timeout=5) as client:
        yield client


MESSAGES = [{"role": "system", "content": "be kind"}, {"role": "user", "content": "tell me about the ledger"}]


def test_demo_listens_on_loopback_only(demo):
    assert demo.startswith("http://127.0.0.1:") and demo.endswith("/v1")


def test_chat_answers_deterministically_with_word_token_counts(sdk):
    first = sdk.chat.completions.create(model="demo-chat", messages=MESSAGES)
    again = sdk.chat.completions.create(model="demo-chat", messages=MESSAGES)
    answer = first.choices[0].message.content
    assert answer == 'local-demo reply: you said "tell me about the ledger"' == again.choices[0].message.content
    assert first.system_fingerprint == "local-demo" and first.model == "demo-chat"
    assert first.usage.prompt_tokens == 7  # "be kind" + "tell me about the ledger"
    assert first.usage.completion_tokens == len(answer.split())
    assert first.choices[0].finish_reason == "stop"


def test_max_tokens_truncates_and_says_length(sdk):
    result = sdk.chat.completions.create(model="demo-chat", messages=MESSAGES, max_tokens=2)
    assert result.choices[0].message.content == "local-demo reply:"
    assert result.usage.completion_tokens == 2 and result.choices[0].finish_reason == "length"


def test_stream_with_include_usage_ends_with_a_usage_chunk(sdk):
    stream = sdk.chat.completions.create(model="demo-chat", messages=MESSAGES, stream=True,
                                         stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == 'local-demo reply: you said "tell me about the ledger"'
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == 7 + len(text.split())
    assert all(c.usage is None for c in chunks[:-1])


def test_embeddings_through_the_sdk_default_base64_encoding(sdk):
    result = sdk.embeddings.create(model="demo-embed", input=["alpha beta", "gamma"])
    assert [len(d.embedding) for d in result.data] == [8, 8]
    assert abs(sum(v * v for v in result.data[0].embedding) - 1.0) < 1e-3
    assert result.usage.prompt_tokens == 3
    again = sdk.embeddings.create(model="demo-embed", input="alpha beta", encoding_format="float", dimensions=8)
    assert again.data[0].embedding == pytest.approx(result.data[0].embedding, abs=1e-6)


def test_models_list_names_the_two_demo_models_owned_by_local_demo(sdk):
    models = sdk.models.list().data
    assert [(m.id, m.owned_by) for m in models] == [("demo-chat", "local-demo"), ("demo-embed", "local-demo")]


def test_chat_on_the_embeddings_model_is_a_clear_400(sdk):
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.chat.completions.create(model="demo-embed", messages=MESSAGES)
    assert "embeddings model" in str(caught.value)


def test_upstream_client_reads_the_demo_like_any_openai_provider(demo):
    client = UpstreamClient(connect_timeout=1, read_timeout=2, max_retries=0, allow_private=True)
    target = Target("local-demo", "openai", demo, "local-demo-not-a-secret", "demo-chat")

    async def stream_to_the_end() -> tuple[bool, Usage | None]:
        streaming = StreamingClient(connect_timeout=1, read_timeout=2, max_retries=0, allow_private=True)
        try:
            stream = await streaming.open_chat(target, {"model": "pub", "messages": MESSAGES, "stream": True}, "pub")
            _ = [chunk async for chunk in stream.chunks()]
            await stream.aclose()
            return stream.complete, stream.usage
        finally:
            await streaming.aclose()

    try:
        assert anyio.run(stream_to_the_end) == (True, Usage(7, 9))
        assert client.probe(target).ok
        assert client.list_models(target) == ["demo-chat", "demo-embed"]
    finally:
        client.close()
