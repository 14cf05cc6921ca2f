"""The legacy OpenAI text completions wire format (`POST /v1/completions`), inbound.

A prompt becomes one user message of the internal chat request, so every upstream type
serves it; the answer comes back as a `text_completion` whose choices carry `text`.
What chat form cannot do is refused with a 400 that says so: `echo`, `suffix`, `best_of`
above 1, `logprobs`, and more than one prompt per request (send one request per prompt).
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from ..kernel.errors import BadRequest
from ..kernel.money import fmt
from ..metering.types import Settlement
from ..upstreams.sse import DONE, render_chunk, render_error
from ..upstreams.types import Usage
from ..web.fields import JsonBool, NoCoercion
from .wire import ChunkWire

_PASSED = ("max_tokens", "n", "stop", "temperature", "top_p", "presence_penalty", "frequency_penalty",
           "logit_bias", "seed", "user")


class CompletionsIn(BaseModel):
    """A legacy completions request; fields we do not name pass through untouched."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1, max_length=200)
    prompt: str | list[str] = Field(min_length=1)
    max_tokens: Annotated[int, Field(ge=1), NoCoercion] | None = None
    n: Annotated[int, Field(ge=1, le=16), NoCoercion] | None = None
    stream: JsonBool | None = None
    stream_options: dict[str, Any] | None = None
    stop: str | list[str] | None = None
    echo: JsonBool | None = None


def _refuse(message: str, param: str) -> BadRequest:
    return BadRequest(message, code="unsupported_parameter", param=param)


def completion_to_chat(body: dict[str, Any]) -> dict[str, Any]:
    """A legacy completions request -> the internal chat request."""
    prompt = body["prompt"]
    if isinstance(prompt, list):
        if len(prompt) != 1:
            raise _refuse("Send one prompt per request (a list of several prompts is not supported).", "prompt")
        prompt = prompt[0]
    if body.get("echo"):
        raise _refuse("echo is not supported: the models behind this gateway answer in chat form.", "echo")
    if body.get("suffix"):
        raise _refuse("suffix (insertion) is not supported.", "suffix")
    if isinstance(body.get("best_of"), int) and body["best_of"] > 1:
        raise _refuse("best_of above 1 is not supported; use n.", "best_of")
    if body.get("logprobs") is not None:
        raise _refuse("logprobs is not supported on completions; use /v1/chat/completions.", "logprobs")
    chat: dict[str, Any] = {"model": body["model"], "messages": [{"role": "user", "content": prompt}]}
    chat.update({name: body[name] for name in _PASSED if body.get(name) is not None})
    return chat


def text_completion_from_chat(completion: dict[str, Any], usage: Usage, model: str,
                              request_id: str) -> dict[str, Any]:
    """A chat.completion -> a text_completion; `usage` is what the request was charged for."""
    choices = []
    answered = completion.get("choices")
    for position, choice in enumerate(answered if isinstance(answered, list) else []):
        choice = choice if isinstance(choice, dict) else {}
        message = choice.get("message")
        text = message.get("content") if isinstance(message, dict) else None
        text = text if isinstance(text, str) else ""
        choices.append({"text": text, "index": choice.get("index", position), "logprobs": None,
                        "finish_reason": choice.get("finish_reason") or "stop"})
    return {"id": f"cmpl-{request_id}", "object": "text_completion", "created": completion.get("created")
            or int(time.time()), "model": model, "choices": choices, "usage": usage.as_openai()}


class TextCompletionChunks(ChunkWire):
    """A relayed stream in the completions shape (`proxy.relay.StreamWire`): one
    `text_completion` chunk per piece of text or finish, the usage chunk if asked, `[DONE]`."""

    def __init__(self, request_id: str, model: str, include_usage: bool) -> None:
        self.id, self.model, self.include_usage = f"cmpl-{request_id}", model, include_usage

    def _chunk(self, choices: list[dict[str, Any]], **extra: Any) -> str:
        return render_chunk({"id": self.id, "object": "text_completion", "created": int(time.time()),
                             "model": self.model, "choices": choices, **extra})

    def chunk(self, chunk: dict[str, Any]) -> str:
        choices = []
        for choice in chunk.get("choices") or []:
            text = (choice.get("delta") or {}).get("content")
            if (isinstance(text, str) and text) or choice.get("finish_reason"):
                choices.append({"text": text if isinstance(text, str) else "", "index": choice.get("index", 0),
                                "logprobs": None, "finish_reason": choice.get("finish_reason")})
        return self._chunk(choices) if choices else ""

    def tail(self, charged: tuple[Usage, Settlement] | None, error: str | None) -> str:
        usage = ""
        if self.include_usage and charged is not None:
            usage = self._chunk([], usage={**charged[0].as_openai(), "cost": fmt(charged[1].charged)})
        return usage + (render_error(error, code="stream_broken") if error is not None else f"data: {DONE}\n\n")
