"""Legacy completions requests become chat requests; chat answers and chunks come back in the
text_completion shape; what chat form cannot do is refused clearly."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from chalicelib.kernel.errors import BadRequest
from chalicelib.metering.types import Settlement
from chalicelib.proxy.completions_wire import TextCompletionChunks, completion_to_chat, text_completion_from_chat
from chalicelib.upstreams.sse import parse_text
from chalicelib.upstreams.types import Usage


def test_a_prompt_becomes_one_user_message_and_the_limits_carry_over():
    chat = completion_to_chat({"model": "m", "prompt": "Say hi", "max_tokens": 9, "n": 2, "stop": ["\n"],
                               "temperature": 0, "stream": True})
    assert chat == {"model": "m", "messages": [{"role": "user", "content": "Say hi"}], "max_tokens": 9, "n": 2,
                    "stop": ["\n"], "temperature": 0}


def test_a_list_of_one_prompt_is_that_prompt():
    assert completion_to_chat({"model": "m", "prompt": ["Say hi"]})["messages"][0]["content"] == "Say hi"


@pytest.mark.parametrize(("extra", "param"), [
    ({"prompt": ["a", "b"]}, "prompt"), ({"echo": True}, "echo"), ({"suffix": "end"}, "suffix"),
    ({"best_of": 3}, "best_of"), ({"logprobs": 2}, "logprobs"),
])
def test_what_chat_form_cannot_do_is_refused_naming_the_parameter(extra, param):
    with pytest.raises(BadRequest) as refused:
        completion_to_chat({"model": "m", "prompt": "hi", **extra})
    assert refused.value.param == param and refused.value.code == "unsupported_parameter"


def test_a_chat_answer_becomes_a_text_completion_with_every_choice_and_the_charged_usage():
    completion = {"created": 5, "choices": [{"index": 0, "finish_reason": "stop", "message": {"content": "A"}},
                                            {"index": 1, "finish_reason": "length", "message": {"content": "B"}}]}
    assert text_completion_from_chat(completion, Usage(3, 2), "m", "r1") == {
        "id": "cmpl-r1", "object": "text_completion", "created": 5, "model": "m",
        "choices": [{"text": "A", "index": 0, "logprobs": None, "finish_reason": "stop"},
                    {"text": "B", "index": 1, "logprobs": None, "finish_reason": "length"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}


def test_a_stream_sends_text_pieces_and_the_finish_then_the_usage_if_asked_and_done():
    wire = TextCompletionChunks("r1", "m", include_usage=True)
    settled = (Usage(3, 2), Settlement("r1", Decimal("0.1"), Decimal("0.1"), Decimal(0)))
    chunks = [{"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
              {"choices": [{"index": 0, "delta": {"content": "Hi"}}]},
              {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}]
    events = parse_text("".join(wire.chunk(c) for c in chunks) + wire.tail(settled, None))
    bodies = [json.loads(e.data) for e in events[:-1]]
    assert [b["choices"] for b in bodies[:2]] == [[{"text": "Hi", "index": 0, "logprobs": None,
                                                    "finish_reason": None}],
                                                  [{"text": "", "index": 0, "logprobs": None,
                                                    "finish_reason": "stop"}]]
    assert all(b["object"] == "text_completion" and b["id"] == "cmpl-r1" for b in bodies)
    assert bodies[2]["choices"] == [] and bodies[2]["usage"]["total_tokens"] == 5
    assert events[-1].data == "[DONE]"


def test_a_broken_stream_ends_with_an_error_instead_of_done():
    tail = TextCompletionChunks("r1", "m", include_usage=False).tail(None, "cut")
    assert '"code":"stream_broken"' in tail and "[DONE]" not in tail
