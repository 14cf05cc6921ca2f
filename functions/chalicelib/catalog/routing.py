"""What the catalog hands the proxy and metering: `ModelRoute`s, a public model name with the
providers that serve it (plain dataclasses, not table items)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ..upstreams.types import BedrockSettings


@dataclass(frozen=True)
class ProviderTargetInfo:
    provider_id: str
    name: str
    type: str  # "openai" | "anthropic" | "bedrock"
    base_url: str
    api_key: str = field(repr=False)  # decrypted, never logged
    healthy: bool = True
    bedrock: BedrockSettings | None = None  # only for type "bedrock"
    responses_api: bool = False  # an "openai" provider that serves /responses itself (pass-through)


@dataclass(frozen=True)
class ModelRoute:
    """A public model name and the providers that can serve it, primary first."""

    model_id: str
    name: str
    input_price: Decimal  # USD per 1M tokens
    output_price: Decimal
    max_output_tokens: int
    capabilities: tuple[str, ...]
    targets: tuple[tuple[ProviderTargetInfo, str], ...]  # (provider, upstream_model)
