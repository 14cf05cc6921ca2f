"""Upstream failures as `core.errors` classes, so the one HTTP mapping answers them.

Each carries what the proxy needs to decide what comes next, without parsing messages:
- `upstream_status`: the provider's HTTP status (None for network failures);
- `retryable`: the same provider may well answer if asked again (network, 429, 5xx);
- `fallback`: another provider serving the same model is worth trying, and this
  failure counts against the provider's health (False when the caller's request is
  at fault: it would fail anywhere).
Messages are short and safe: never the provider key, never the provider's raw body.
"""

from __future__ import annotations

from typing import Any

from ..kernel.errors import BadRequest, UpstreamError, UpstreamTimeout


class _UpstreamFacts:
    upstream_status: int | None
    retryable: bool
    fallback: bool
    provider_id: str
    retry_after: float | None

    def _set_facts(
        self,
        *,
        upstream_status: int | None,
        retryable: bool,
        fallback: bool,
        provider_id: str,
        retry_after: float | None = None,
    ) -> None:
        self.upstream_status = upstream_status
        self.retryable = retryable
        self.fallback = fallback
        self.provider_id = provider_id
        self.retry_after = retry_after


class ProviderError(UpstreamError, _UpstreamFacts):
    """502: the provider failed (5xx, 429 after retries, bad key, malformed answer, network)."""

    def __init__(
        self,
        message: str,
        *,
        upstream_status: int | None = None,
        retryable: bool = False,
        fallback: bool = True,
        provider_id: str = "",
        retry_after: float | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(message, **kw)
        self._set_facts(
            upstream_status=upstream_status,
            retryable=retryable,
            fallback=fallback,
            provider_id=provider_id,
            retry_after=retry_after,
        )


class ProviderThrottled(ProviderError):
    """429: the provider throttled us and kept doing so through the retries (Bedrock's
    ThrottlingException: the account's tokens-per-minute quota for the model)."""

    status, code, openai_type = 429, "upstream_throttled", "rate_limit_error"


class ProviderAccessDenied(ProviderError):
    """403: the provider refuses this deployment the model (Bedrock: the model is not enabled
    in the account and region, or the role lacks bedrock:InvokeModel on it). An admin's fix."""

    status, code, openai_type = 403, "upstream_access_denied", "permission_error"


class ProviderTimeout(UpstreamTimeout, _UpstreamFacts):
    """504: the provider did not connect or answer within the configured timeouts.

    A connect timeout is retried and another provider tried. A read timeout (`retryable`
    False) is neither: the request went out, the provider may be generating, and a second
    call would pay for a second generation. It still counts against the provider's health."""

    def __init__(self, message: str, *, provider_id: str = "", retryable: bool = True, **kw: Any) -> None:
        super().__init__(message, **kw)
        self._set_facts(upstream_status=None, retryable=retryable, fallback=retryable, provider_id=provider_id)


class ProviderRejected(BadRequest, _UpstreamFacts):
    """400: the provider refused the caller's request as invalid (its 400/413/422).

    The caller's request is at fault, so it is neither retried nor tried elsewhere,
    and it does not count against the provider's health.
    """

    code = "upstream_rejected"

    def __init__(self, message: str, *, upstream_status: int | None = None, provider_id: str = "", **kw: Any) -> None:
        super().__init__(message, **kw)
        self._set_facts(upstream_status=upstream_status, retryable=False, fallback=False, provider_id=provider_id)


class UnsupportedByProvider(BadRequest, _UpstreamFacts):
    """400: the provider type cannot do this at all (e.g. embeddings on Anthropic)."""

    code = "unsupported_by_provider"

    def __init__(self, message: str, *, provider_id: str = "", **kw: Any) -> None:
        super().__init__(message, **kw)
        self._set_facts(upstream_status=None, retryable=False, fallback=False, provider_id=provider_id)


UpstreamFailure = ProviderError | ProviderTimeout | ProviderRejected | UnsupportedByProvider
