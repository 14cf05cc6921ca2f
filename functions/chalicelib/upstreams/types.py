"""Plain data passed between the proxy and the upstream adapters.

The proxy speaks OpenAI on both sides of this layer: it hands in an OpenAI request body
and gets back OpenAI response bodies (or chunks), whatever the provider's own wire format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

ProviderType = Literal["openai", "anthropic", "bedrock"]


@dataclass(frozen=True)
class BedrockSettings:
    """Where and as whom a `bedrock` provider calls Amazon Bedrock (no API key: IAM signs).

    `inference_profile` is a cross-region inference profile's geography (`us`, `eu`, `apac`,
    `global`...): a bare foundation model id `anthropic.claude...` is then called as
    `us.anthropic.claude...`. `role_arn`, when set, is assumed (STS) for the calls."""

    region: str
    inference_profile: str | None = None
    role_arn: str | None = None


@dataclass(frozen=True)
class Target:
    """One provider serving one model: where to send the call and under which name."""

    provider_id: str
    provider_type: ProviderType
    base_url: str
    api_key: str = field(repr=False)  # decrypted provider key: never logged, never returned
    upstream_model: str
    # The model's cap on output tokens; Anthropic requires `max_tokens`, so it is the
    # default when the caller gave none. None falls back to DEFAULT_MAX_OUTPUT_TOKENS.
    max_output_tokens: int | None = None
    bedrock: BedrockSettings | None = None  # only for provider_type "bedrock"


DEFAULT_MAX_OUTPUT_TOKENS = 4096


@dataclass(frozen=True)
class Usage:
    """Token counts as reported by the upstream (never re-counted from text)."""

    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def as_openai(self) -> dict[str, int]:
        return openai_usage(self.input_tokens, self.output_tokens)


def openai_usage(input_tokens: int, output_tokens: int) -> dict[str, int]:
    """The `usage` object of an OpenAI answer."""
    return {"prompt_tokens": input_tokens, "completion_tokens": output_tokens,
            "total_tokens": input_tokens + output_tokens}


@dataclass(frozen=True)
class ChatResult:
    body: dict[str, Any]  # an OpenAI chat.completion, `model` = the public name
    usage: Usage | None  # None: the upstream reported none (or nonsense); the proxy estimates


@dataclass(frozen=True)
class EmbeddingsResult:
    body: dict[str, Any]  # an OpenAI embeddings list, `model` = the public name
    usage: Usage | None  # None: the upstream reported none; the proxy charges its input estimate


class ProbeResult(NamedTuple):
    """The admin connection test: unpacks as `(ok, latency_ms, detail)`."""

    ok: bool
    latency_ms: int
    detail: str


@dataclass(frozen=True)
class HttpCall:
    """One HTTP request an adapter wants made; the client does the transport."""

    method: str
    url: str
    headers: dict[str, str] = field(repr=False)
    json: dict[str, Any] | None = None
    content: bytes | None = None  # a body already serialised (a SigV4 signature covers its bytes)
