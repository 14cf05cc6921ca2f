"""The async streaming client against fake OpenAI/Anthropic servers on 127.0.0.1: events decoded
as they arrive, usage as reported, retries only before the first byte, cuts reported."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import anyio
import pytest
from chalicelib.upstreams import Target, Usage
from chalicelib.upstreams.streaming import StreamingClient

from tests.fakes import FakeUpstream, Fault

CHAT = {"model": "public-chat", "messages": [{"role": "system", "content": "Be brief."},
                                             {"role": "user", "content": "Hi there"}]}


class Sleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


class DrainingClient:
    """Opens a stream with the async client and reads it to its end, in a fresh event loop."""

    def __init__(self, sleeps: Sleeps) -> None:
        self.sleeps = sleeps

    def chat_stream(self, target: Target, body: dict[str, Any], public_model: str) -> Any:
        async def drain() -> Any:
            client = StreamingClient(connect_timeout=1.0, read_timeout=2.0, max_retries=2, allow_private=True,
                                     jitter=lambda: 1.0, sleep=self.sleeps)
            try:
                stream = await client.open_chat(target, body, public_model)
                chunks = [chunk async for chunk in stream.chunks()]
                await stream.aclose()
                return SimpleNamespace(chunks=chunks, usage=stream.usage, complete=stream.complete,
                                       error=stream.error)
            finally:
                await client.aclose()

        return anyio.run(drain)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(sleeps: Sleeps) -> DrainingClient:
    return DrainingClient(sleeps)


def target_for(fake: FakeUpstream, model: str | None = None) -> Target:
    return Target(provider_id=f"prov-{fake.kind}", provider_type=fake.kind, base_url=fake.base_url,  # type: ignore[arg-type]
                  api_key=fake.api_key, upstream_model=model or fake.models[0])


def test_stream_asks_for_usage_and_returns_every_chunk_with_the_reported_usage(client, openai_upstream):
    result = client.chat_stream(target_for(openai_upstream), {**CHAT, "stream": True}, "public-chat")
    (sent,) = openai_upstream.calls("/v1/chat/completions")
    assert sent.body["stream"] is True and sent.body["stream_options"] == {"include_usage": True}
    assert result.complete and result.error is None
    assert result.usage == Usage(11, 7)
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in result.chunks if c["choices"])
    assert text == openai_upstream.reply
    assert all(c["model"] == "public-chat" for c in result.chunks)
    assert result.chunks[-1]["choices"] == [] and result.chunks[-1]["usage"]["total_tokens"] == 18


def test_anthropic_stream_becomes_openai_chunks_with_usage_last(client, anthropic_upstream):
    result = client.chat_stream(target_for(anthropic_upstream), {**CHAT, "stream": True}, "public-claude")
    sent = anthropic_upstream.calls("/v1/messages")[0].body
    assert sent["stream"] is True and "stream_options" not in sent
    assert result.complete and result.usage == Usage(11, 7)
    assert result.chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in result.chunks if c["choices"])
    assert text == anthropic_upstream.reply
    assert [c["choices"][0]["finish_reason"] for c in result.chunks if c["choices"]][-1] == "stop"
    assert result.chunks[-1]["usage"] == {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}


def test_a_stream_failing_before_its_first_byte_is_retried(client, sleeps, openai_upstream):
    openai_upstream.set_fault(Fault.SERVER_ERROR, times=1)
    result = client.chat_stream(target_for(openai_upstream), {**CHAT, "stream": True}, "public")
    assert result.complete and len(openai_upstream.requests) == 2


def test_openai_stream_cut_midway_is_incomplete_without_usage(client, openai_upstream):
    openai_upstream.set_fault(Fault.STREAM_CUT)
    result = client.chat_stream(target_for(openai_upstream), {**CHAT, "stream": True}, "public")
    assert not result.complete and result.usage is None and result.error
    assert len(result.chunks) == 2 and len(openai_upstream.requests) == 1  # never retried once started


def test_openai_stream_cut_after_usage_keeps_the_reported_usage(client, openai_upstream):
    openai_upstream.set_fault(Fault.STREAM_CUT_AFTER_USAGE)
    result = client.chat_stream(target_for(openai_upstream), {**CHAT, "stream": True}, "public")
    assert not result.complete and result.usage == Usage(11, 7)


def test_anthropic_stream_cut_midway_keeps_the_input_usage_from_message_start(client, anthropic_upstream):
    anthropic_upstream.set_fault(Fault.STREAM_CUT)
    result = client.chat_stream(target_for(anthropic_upstream), {**CHAT, "stream": True}, "public")
    assert not result.complete and result.error
    assert result.usage == Usage(11, 1)  # message_start's figures: all the upstream reported


def test_anthropic_stream_cut_after_message_delta_keeps_the_final_usage(client, anthropic_upstream):
    anthropic_upstream.set_fault(Fault.STREAM_CUT_AFTER_USAGE)
    result = client.chat_stream(target_for(anthropic_upstream), {**CHAT, "stream": True}, "public")
    assert not result.complete and result.usage == Usage(11, 7)


def test_streams_ask_for_an_event_stream(client, openai_upstream, anthropic_upstream):
    for fake in (openai_upstream, anthropic_upstream):
        client.chat_stream(target_for(fake), {**CHAT, "stream": True}, "public")
        assert fake.requests[0].headers["accept"] == "text/event-stream"


def test_a_provider_that_ignores_stream_still_gives_a_complete_stream_with_its_usage(client, openai_upstream):
    openai_upstream.set_fault(Fault.IGNORE_STREAM)
    result = client.chat_stream(target_for(openai_upstream), {**CHAT, "stream": True}, "public")
    assert result.complete and result.usage == Usage(11, 7)
    assert result.chunks[0]["choices"][0]["delta"]["content"] == openai_upstream.reply
    assert result.chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert result.chunks[-1]["usage"]["total_tokens"] == 18
    assert all(c["object"] == "chat.completion.chunk" and c["model"] == "public" for c in result.chunks)
