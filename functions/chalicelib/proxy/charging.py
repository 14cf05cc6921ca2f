"""What a proxied request is charged for: the upstream's usage, else an estimate of what was delivered.

Money rules 1 and 2 of ARCHITECTURE.md: the forwarded body carries the output cap the hold
was sized for, and a request that delivered something is never free. The estimate counts
the delivered text: about four UTF-8 bytes per token for the usual text, and at least one
token per delivered piece (a chunk carries at least one token). The metering caps any
charge at the hold.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..upstreams.types import Usage

BYTES_PER_TOKEN = 4


def with_output_cap(body: dict[str, Any], cap: int) -> dict[str, Any]:
    """The body as forwarded: the caller's own limits lowered to `cap` (the per-choice output
    the hold covers), or `max_tokens` set to it when the caller gave none."""
    forwarded = dict(body)
    present = [name for name in ("max_tokens", "max_completion_tokens") if body.get(name) is not None]
    for name in present or ["max_tokens"]:
        asked = body.get(name)
        if not isinstance(asked, int) or isinstance(asked, bool) or not 1 <= asked <= cap:
            forwarded[name] = cap
    return forwarded


@dataclass
class Delivered:
    """What reached the client so far: bytes of generated text and how many pieces carried some."""

    text_bytes: int = 0
    pieces: int = 0
    _seen: set[int] = field(default_factory=set, repr=False)

    @classmethod
    def in_answer(cls, body: dict[str, Any]) -> Delivered:
        """What a whole answer delivered: a chat.completion, or an Anthropic message passed through."""
        delivered = cls()
        if body.get("type") == "message":
            delivered.add_anthropic_message(body)
        else:
            delivered.add_completion(body)
        return delivered

    def add_text(self, text: Any) -> None:
        if isinstance(text, str) and text:
            self.text_bytes += len(text.encode("utf-8"))
            self.pieces += 1

    def add_chunk(self, chunk: dict[str, Any]) -> None:
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") if isinstance(choice, dict) else None
            if isinstance(delta, dict):
                self._add_message(delta)

    def add_completion(self, body: dict[str, Any]) -> None:
        """A chat.completion's choices, or a Response's output (a Responses pass-through)."""
        if body.get("object") == "response":
            for item in body.get("output") or ():
                if isinstance(item, dict):
                    self._add_item(item)
        for choice in body.get("choices") or ():
            message = choice.get("message") if isinstance(choice, dict) else None
            if isinstance(message, dict):
                self._add_message(message)

    def add_anthropic_message(self, body: dict[str, Any]) -> None:
        """An Anthropic message passed through: its text, thinking and tool calls."""
        for block in body.get("content") or ():
            if isinstance(block, dict):
                for name in ("text", "thinking", "name"):
                    self.add_text(block.get(name))
                if block.get("type") == "tool_use":
                    self.add_text(json.dumps(block.get("input") or {}))

    def _add_message(self, message: dict[str, Any]) -> None:
        for name in ("content", "reasoning_content", "refusal"):
            self.add_text(message.get(name))
        for call in message.get("tool_calls") or ():
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict):
                self.add_text(function.get("name"))
                self.add_text(function.get("arguments"))

    def _add_item(self, item: dict[str, Any]) -> None:
        for part in item.get("content") or ():
            if isinstance(part, dict):
                self.add_text(part.get("text") or part.get("refusal"))
        if item.get("type") == "function_call":
            self.add_text(item.get("name"))
            self.add_text(item.get("arguments"))

    @property
    def text_tokens(self) -> int:
        """Output tokens estimated from the delivered text alone (what an upstream's report is
        checked against: a piece count would overcount upstreams that stream by character)."""
        return -(-self.text_bytes // BYTES_PER_TOKEN)

    @property
    def tokens(self) -> int:
        return max(self.pieces, self.text_tokens)


def usage_to_charge(reported: Usage | None, prompt_estimate: int, delivered: Delivered) -> tuple[Usage, bool]:
    """(usage, estimated): the upstream's figures when it gave some that are not zero for a
    delivered answer; otherwise the prompt estimate and the delivered output."""
    if reported is not None and (reported.input_tokens + reported.output_tokens > 0 or not delivered.tokens):
        return reported, False
    return Usage(prompt_estimate, delivered.tokens), True
