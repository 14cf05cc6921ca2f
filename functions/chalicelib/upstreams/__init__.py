"""Upstream provider adapters behind one client: OpenAI-compatible and Anthropic Messages.

Public interface (what the proxy and the admin API import):
`UpstreamClient`, `Target`, `Usage`, `ChatResult`, `EmbeddingsResult`,
`ProbeResult`, `HealthTracker` + `call_with_fallback`, the errors `ProviderError` (502), `ProviderTimeout` (504),
`ProviderRejected` (400), `UnsupportedByProvider` (400), and `sse.render_stream`.
"""

from __future__ import annotations

from .client import UpstreamClient
from .errors import ProviderError, ProviderRejected, ProviderTimeout, UnsupportedByProvider, UpstreamFailure
from .fallback import Attempt, FallbackOutcome, HealthTracker, ProviderHealth, call_with_fallback
from .sse import render_chunk, render_stream
from .types import ChatResult, EmbeddingsResult, ProbeResult, Target, Usage

__all__ = [
    "Attempt",
    "FallbackOutcome",
    "HealthTracker",
    "ProviderHealth",
    "call_with_fallback",
    "ChatResult",
    "EmbeddingsResult",
    "ProbeResult",
    "ProviderError",
    "ProviderRejected",
    "ProviderTimeout",
    "Target",
    "UnsupportedByProvider",
    "UpstreamClient",
    "UpstreamFailure",
    "Usage",
    "render_chunk",
    "render_stream",
]
