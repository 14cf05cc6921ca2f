"""Upstream provider adapters behind one client: OpenAI-compatible and Anthropic Messages.

Public interface (what the proxy and the admin API import):
`UpstreamClient`, `Target`, `Usage`, `ChatResult`, `EmbeddingsResult`,
`ProbeResult`, the errors `ProviderError` (502), `ProviderTimeout` (504),
`ProviderRejected` (400), `UnsupportedByProvider` (400), and `sse.render_stream`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import UpstreamClient
    from .errors import ProviderError, ProviderRejected, ProviderTimeout, UnsupportedByProvider, UpstreamFailure
    from .sse import render_chunk, render_stream
    from .types import ChatResult, EmbeddingsResult, ProbeResult, Target, Usage

# Where each public name lives. Resolved on first use (PEP 562), so importing one small module
# of this package (e.g. `upstreams.types` for the provider type) does not import the HTTP client.
_HOME = {
    "UpstreamClient": "client",
    "ProviderError": "errors", "ProviderRejected": "errors", "ProviderTimeout": "errors",
    "UnsupportedByProvider": "errors", "UpstreamFailure": "errors",
    "render_chunk": "sse", "render_stream": "sse",
    "ChatResult": "types", "EmbeddingsResult": "types", "ProbeResult": "types",
    "Target": "types", "Usage": "types",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)


__all__ = [
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
