"""Talking to a provider for the admin's connection test and model sync.

`ProviderClient` is the interface the catalog needs. `UpstreamProviderClient` adapts the
upstreams area's `UpstreamClient` (which takes an `upstreams.types.Target`) to it, so the
admin test and the proxy share one transport, one set of timeouts and one error mapping.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from .routing import ProviderTargetInfo

if TYPE_CHECKING:
    from ..upstreams.balances import ReportedBalance
    from ..upstreams.client import UpstreamClient
    from ..upstreams.types import Target


class ProviderClient(Protocol):
    def probe(self, target: ProviderTargetInfo) -> tuple[bool, int, str]:
        """(ok, latency_ms, detail) of one cheap authenticated call; never raises."""
        ...

    def list_models(self, target: ProviderTargetInfo) -> list[str]:
        """The upstream's model ids; raises an `AppError` with a readable message."""
        ...


class UpstreamProviderClient:
    def __init__(self, upstream: UpstreamClient) -> None:
        self._upstream = upstream

    @staticmethod
    def _target(t: ProviderTargetInfo) -> Target:
        from ..upstreams.types import Target

        # No model is called: the model list and the probe only need where and how.
        return Target(provider_id=t.provider_id, provider_type=t.type,  # type: ignore[arg-type]
                      base_url=t.base_url, api_key=t.api_key, upstream_model="", bedrock=t.bedrock)

    def probe(self, target: ProviderTargetInfo) -> tuple[bool, int, str]:
        ok, latency_ms, detail = self._upstream.probe(self._target(target))
        return ok, latency_ms, detail

    def list_models(self, target: ProviderTargetInfo) -> list[str]:
        return self._upstream.list_models(self._target(target))

    def balance(self, target: ProviderTargetInfo, kind: str) -> ReportedBalance:
        """The provider's remaining credit (`upstreams.balances`); raises an `AppError`."""
        return self._upstream.balance(self._target(target), kind)
