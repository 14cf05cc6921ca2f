"""The real `openai` SDK over real HTTP: legacy `completions.create` (plain and streamed) for
a model on an OpenAI-compatible upstream and one on an Anthropic upstream, and
`models.retrieve`, including a model id with a slash. Stack: tests/support/sdk_stack.py."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import openai
import pytest

from tests.support.proxy_env import ALICE
from tests.support.sdk_stack import SdkStack, sdk_stack

pytestmark = pytest.mark.e2e
REPLY = "Hello from the fake upstream."


@pytest.fixture
def stack(container, openai_upstream, anthropic_upstream) -> Iterator[SdkStack]:
    with sdk_stack(container, openai_upstream, anthropic_upstream) as made:
        yield made


def sdk(stack: SdkStack) -> openai.OpenAI:
    return openai.OpenAI(api_key=ALICE, base_url=stack.origin + "/v1", max_retries=0, timeout=10)


@pytest.mark.parametrize("model", ["real", "claude"])
def test_completions_create_answers_a_text_completion_with_the_reported_usage(stack, model):
    raw = sdk(stack).completions.with_raw_response.create(model=model, prompt="Say hello", max_tokens=50)
    completion = raw.parse()
    assert completion.object == "text_completion" and completion.model == model
    assert completion.choices[0].text == REPLY and completion.choices[0].finish_reason == "stop"
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (11, 7)
    assert raw.headers["x-keyledger-cost"] == "0.000025" and stack.charges() == [Decimal("0.000025")]


@pytest.mark.parametrize("model", ["real", "claude"])
def test_completions_stream_text_pieces_then_the_usage(stack, model):
    stream = sdk(stack).completions.create(model=model, prompt=["Say hello"], max_tokens=50, stream=True,
                                           stream_options={"include_usage": True})
    chunks = list(stream)
    assert all(c.object == "text_completion" for c in chunks)
    assert "".join(c.choices[0].text for c in chunks if c.choices) == REPLY
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == 18


def test_echo_is_refused_with_a_clear_400(stack):
    with pytest.raises(openai.BadRequestError) as refused:
        sdk(stack).completions.create(model="real", prompt="hi", echo=True)
    assert refused.value.code == "unsupported_parameter" and "echo" in refused.value.message
    assert stack.charges() == []


def test_models_retrieve_finds_a_model_of_the_key_also_with_a_slash_in_its_id(stack):
    assert sdk(stack).models.retrieve("real").id == "real"
    found = sdk(stack).models.retrieve("team/real")
    assert (found.id, found.object) == ("team/real", "model")
    with pytest.raises(openai.NotFoundError) as missing:
        sdk(stack).models.retrieve("secret-model")
    assert missing.value.code == "model_not_found"
