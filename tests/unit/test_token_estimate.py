"""Upper bounds on prompt and output tokens, taken before the upstream counts them."""

from __future__ import annotations

from decimal import Decimal

from chalicelib.metering.types import cost_of
from chalicelib.proxy.token_estimate import (
    IMAGE_TOKENS,
    MESSAGE_OVERHEAD,
    REPLY_OVERHEAD,
    chat_prompt_tokens,
    embeddings_input_tokens,
    output_tokens_cap,
)


def test_the_prompt_bound_counts_every_utf8_byte_so_emoji_and_cjk_cannot_exceed_it():
    text = "你好🙂" * 10  # 3 + 3 + 4 bytes per repeat: tokenizers may spend a token per byte here
    body = {"messages": [{"role": "user", "content": text}]}
    assert chat_prompt_tokens(body) == REPLY_OVERHEAD + MESSAGE_OVERHEAD + len(text.encode("utf-8"))


def test_each_message_carries_its_template_overhead_and_tools_count_as_their_json():
    body = {"messages": [{"role": "system", "content": "a"}, {"role": "user", "content": "b", "name": "bob"}],
            "tools": [{"type": "function", "function": {"name": "f"}}]}
    tools_json = '[{"type":"function","function":{"name":"f"}}]'
    assert chat_prompt_tokens(body) == REPLY_OVERHEAD + 2 * MESSAGE_OVERHEAD + 1 + 1 + 3 + len(tools_json)


def test_an_image_part_is_allowed_a_fixed_budget_not_its_base64_size():
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "A" * 100_000}}
    body = {"messages": [{"role": "user", "content": [{"type": "text", "text": "what is it"}, image]}]}
    assert chat_prompt_tokens(body) == REPLY_OVERHEAD + MESSAGE_OVERHEAD + 10 + IMAGE_TOKENS


def test_embedding_inputs_are_bounded_by_bytes_or_by_the_token_ids_given():
    assert embeddings_input_tokens({"input": "hello"}) == 6
    assert embeddings_input_tokens({"input": ["ab", "c"]}) == 5
    assert embeddings_input_tokens({"input": [1, 2, 3]}) == 3
    assert embeddings_input_tokens({"input": [[1, 2], [3]]}) == 3


def test_the_output_cap_is_the_requests_max_tokens_within_the_models_cap():
    assert output_tokens_cap({"max_tokens": 100}, 4096) == 100
    assert output_tokens_cap({"max_completion_tokens": 50, "max_tokens": 100}, 4096) == 50
    assert output_tokens_cap({"max_tokens": 10_000}, 4096) == 4096
    assert output_tokens_cap({}, 4096) == 4096


def test_costs_are_rounded_up_to_the_micro_dollar():
    assert cost_of(1, 0, Decimal("0.15"), Decimal(0)) == Decimal("0.000001")
    assert cost_of(1000, 1000, Decimal("2.5"), Decimal("10")) == Decimal("0.0125")
