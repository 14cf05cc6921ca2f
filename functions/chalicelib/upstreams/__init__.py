"""Upstream provider adapters behind one client: OpenAI-compatible and Anthropic Messages.

Public interface (what the proxy and the admin API import):
`UpstreamClient`, `Target`, `Usage`, `ChatResult`, `StreamResult`, `EmbeddingsResult`,
`ProbeResult`, the errors `ProviderError` (502), `ProviderTimeout` (504),
`ProviderRejected` (400), `UnsupportedByProvider` (400), and `sse.render_stream`.
"""

from __future__ import annotations

from .client import UpstreamClient
from .errors import ProviderError, ProviderRejected, ProviderTimeout, UnsupportedByProvider, UpstreamFailure
from .sse import render_chunk, render_stream
from .types import ChatResult, EmbeddingsResult, ProbeResult, StreamResult, Target, Usage

__all__ = [
    "ChatResult",
    "EmbeddingsResult",
    "ProbeResult",
    "ProviderError",
    "ProviderRejected",
    "ProviderTimeout",
    "StreamResult",
    "Target",
    "UnsupportedByProvider",
    "UpstreamClient",
    "UpstreamFailure",
    "Usage",
    "render_chunk",
    "render_stream",
]
