"""The OpenAI-compatible proxy: authorise, limit, reserve, call upstream, settle.

Per non-streamed request the DynamoDB calls are: the key's GetItem (keys area; skipped
while the warm container remembers the key, see key_cache), the reservation transaction,
the settle transaction, plus one read of the RPM window for the
`x-ratelimit-remaining-requests` header when the key has an RPM limit. The catalog is
served from the catalog area's in-memory snapshot.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

from ..catalog.routing import ModelRoute, ProviderTargetInfo
from ..kernel.clock import Clock
from ..kernel.context import RequestMeta
from ..kernel.errors import AppError, BadRequest, KeyNotCurrent, UpstreamError
from ..kernel.money import fmt, from_micros
from ..kernel.periods import period_window
from ..keys.types import KeyInfo
from ..metering.service import MeteringService
from ..metering.types import Hold, RecordFields, Settlement, TokenUsage
from . import stream as proxy_stream
from .token_estimate import chat_prompt_tokens, embeddings_input_tokens, output_tokens_cap

log = logging.getLogger("keyledger.proxy")
T = TypeVar("T")


class KeysLookup(Protocol):
    def lookup(self, plaintext: str, ip: str | None = None, cached: bool = False) -> KeyInfo: ...


class Catalog(Protocol):
    def route(self, model_name: str, group_id: str) -> ModelRoute: ...
    def models_for_group(self, group_id: str) -> list[ModelRoute]: ...
    def record_provider_result(self, provider_id: str, ok: bool, error: str | None = None) -> None: ...


def default_target(provider: ProviderTargetInfo, upstream_model: str, max_output_tokens: int) -> Any:
    from ..upstreams.types import Target

    return Target(provider.provider_id, provider.type, provider.base_url, provider.api_key,  # type: ignore[arg-type]
                  upstream_model, max_output_tokens)


@dataclass(frozen=True)
class ProxyAnswer:
    """What the route returns: a JSON body or an event-stream text, and headers."""

    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    stream: bool = False


@dataclass
class _Called:
    result: Any
    provider_id: str
    latency_ms: int


class ProxyService:
    def __init__(self, keys: KeysLookup, catalog: Catalog, upstream: Any, metering: MeteringService, clock: Clock,
                 make_target: Callable[[ProviderTargetInfo, str, int], Any] = default_target,
                 membership: Any = None) -> None:
        self.keys = keys
        self.membership = membership  # MembershipService: a no-op unless MEMBERSHIP_REQUIRED
        self.catalog = catalog
        self.upstream = upstream
        self.metering = metering
        self.clock = clock
        self._target = make_target

    # --- the routes' entry points ---

    def chat(self, api_key: str, body: dict[str, Any], meta: RequestMeta) -> ProxyAnswer:
        """POST /v1/chat/completions: plain or streamed, metered exactly."""
        n = body["n"] if isinstance(body.get("n"), int) else 1

        def reserve(key: KeyInfo) -> tuple[ModelRoute, Hold]:
            route = self.catalog.route(str(body.get("model")), key.group)
            out_cap = output_tokens_cap(body, route.max_output_tokens) * max(1, n)
            return route, self.metering.reserve(key, route, chat_prompt_tokens(body), out_cap, meta.request_id,
                                                self.clock.now(), ip=meta.ip)

        key, route, hold = self._admit(api_key, meta, reserve)
        stream = bool(body.get("stream"))
        if stream:
            called = self._call_or_release(hold, route, True, "chat",
                                           lambda t: self.upstream.chat_stream(t, body, route.name))
            return self._finish_stream(key, hold, route, called)
        called = self._call_or_release(hold, route, False, "chat", lambda t: self.upstream.chat(t, body, route.name))
        settled = self._settle(hold, called, RecordFields(provider=called.provider_id, latency_ms=called.latency_ms))
        return ProxyAnswer(called.result.body, self._headers(key, hold, settled))

    def embeddings(self, api_key: str, body: dict[str, Any], meta: RequestMeta) -> ProxyAnswer:
        """POST /v1/embeddings."""

        def reserve(key: KeyInfo) -> tuple[ModelRoute, Hold]:
            route = self.catalog.route(str(body.get("model")), key.group)
            if route.capabilities and "embeddings" not in route.capabilities:
                raise BadRequest(f"The model {route.name!r} does not make embeddings.",
                                 code="model_not_embeddings", param="model")
            return route, self.metering.reserve(key, route, embeddings_input_tokens(body), 0, meta.request_id,
                                                self.clock.now(), ip=meta.ip)

        key, route, hold = self._admit(api_key, meta, reserve)
        called = self._call_or_release(hold, route, False, "embeddings",
                                       lambda t: self.upstream.embeddings(t, body, route.name))
        settled = self._settle(hold, called, RecordFields(provider=called.provider_id, latency_ms=called.latency_ms,
                                                          endpoint="embeddings"))
        return ProxyAnswer(called.result.body, self._headers(key, hold, settled))

    def models(self, api_key: str, meta: RequestMeta) -> dict[str, Any]:
        """GET /v1/models: only the models of the key's group."""
        key = self.keys.lookup(api_key, ip=meta.ip)
        data = [{"id": r.name, "object": "model", "created": 0, "owned_by": _owner(r)}
                for r in self.catalog.models_for_group(key.group)]
        return {"object": "list", "data": data}

    def usage(self, api_key: str, meta: RequestMeta) -> dict[str, Any]:
        """GET /v1/usage: the key's own period, use and limits."""
        key = self.keys.lookup(api_key, ip=meta.ip)
        window = period_window(key.period, self.clock.now())
        used = self.metering.quota_usage(key.quota_id, window.key)
        remaining: dict[str, Any] = {
            "cost": None if key.limit_cost is None else max(key.limit_cost - used.used_cost - used.held_cost, 0),
            "tokens": None if key.limit_tokens is None else max(key.limit_tokens - used.used_tokens - used.held_tokens,
                                                                0),
        }
        return {"object": "usage", "key_id": key.key_id, "quota_id": key.quota_id, "period": key.period,
                "period_key": window.key, "period_start": window.start, "period_end": window.end,
                "used_cost": used.used_cost, "held_cost": used.held_cost, "limit_cost": key.limit_cost,
                "used_tokens": used.used_tokens, "held_tokens": used.held_tokens, "limit_tokens": key.limit_tokens,
                "requests": used.requests, "remaining": remaining, "rpm": key.rpm}

    def _key(self, api_key: str, meta: RequestMeta, cached: bool) -> KeyInfo:
        """The caller's key (valid, not expired, IP allowed) and, when the deployment
        requires one, an active membership (403 membership_required)."""
        key = self.keys.lookup(api_key, ip=meta.ip, cached=cached)
        if self.membership is not None:
            self.membership.require_membership(key.user_id, self.clock.now())
        return key

    def _admit(self, api_key: str, meta: RequestMeta,
               reserve: Callable[[KeyInfo], tuple[ModelRoute, Hold]]) -> tuple[KeyInfo, ModelRoute, Hold]:
        """Check the key and reserve. The key may come from the container's memory; if it was
        revoked or changed since, the reservation refuses it and the key is read again, once."""
        key = self._key(api_key, meta, cached=True)
        try:
            return (key, *reserve(key))
        except KeyNotCurrent:
            key = self._key(api_key, meta, cached=False)
            return (key, *reserve(key))

    # --- the upstream call ---

    def _call_or_release(self, hold: Hold, route: ModelRoute, stream: bool, endpoint: str,
                         call: Callable[[Any], T]) -> _Called:
        started = time.monotonic()
        try:
            return self._call_with_fallback(route, call, started)
        except BaseException as exc:
            # Whatever went wrong, the caller is charged nothing and the hold goes back.
            status = exc.status if isinstance(exc, AppError) else 500
            message = exc.message if isinstance(exc, AppError) else "internal error"
            provider = getattr(exc, "provider_id", "") or ""
            fields = RecordFields(provider=provider, latency_ms=_ms_since(started), status=status,
                                  endpoint=endpoint, stream=stream, error=message)
            try:
                self.metering.release(hold, fields)
            except AppError:
                log.warning("request %s: hold not released now; the expiry job will", hold.request_id)
            raise

    def _call_with_fallback(self, route: ModelRoute, call: Callable[[Any], T], started: float) -> _Called:
        healthy = [t for t in route.targets if t[0].healthy]
        targets = healthy or list(route.targets)  # all set aside: try them anyway rather than fail
        last: AppError | None = None
        for provider, upstream_model in targets:
            target = self._target(provider, upstream_model, route.max_output_tokens)
            try:
                result = call(target)
            except AppError as err:
                # Another provider is worth trying only for the provider's faults, never the caller's.
                fallback = bool(getattr(err, "fallback", isinstance(err, UpstreamError)))
                if not fallback:
                    raise
                self.catalog.record_provider_result(provider.provider_id, False, err.message)
                last = err
                continue
            self.catalog.record_provider_result(provider.provider_id, True, None)
            return _Called(result, provider.provider_id, _ms_since(started))
        raise last or UpstreamError("No provider serves this model now.")

    # --- settle and answer ---

    def _settle(self, hold: Hold, called: _Called, fields: RecordFields, usage: TokenUsage | None = None) -> Settlement:
        settled = self.metering.settle(hold, usage or called.result.usage, fields)
        if settled.already_settled:  # only if the expiry job ran first: the answer stands, unbilled
            log.warning("request %s settled after its hold expired; not charged", hold.request_id)
        return settled

    def _finish_stream(self, key: KeyInfo, hold: Hold, route: ModelRoute, called: _Called) -> ProxyAnswer:
        result = called.result
        broken = not result.complete
        fields = RecordFields(provider=called.provider_id, latency_ms=called.latency_ms, stream=True,
                              stream_broken=broken, error=result.error if broken else None,
                              status=200)
        usage = result.usage
        if usage is None and broken:
            # Broken with nothing reported: nothing is charged, and the record says so.
            self.metering.release(hold, replace(fields, error=result.error or "stream broken"), outcome="stream_broken")
            settled = None
        else:
            if usage is None:  # complete but unreported: we never re-count text, so it is free
                usage = _Zero()
                fields = replace(fields, error="The upstream reported no usage.")
            settled = self._settle(hold, called, fields, usage)
        text = proxy_stream.render(result.chunks, usage, model=route.name, created=int(self.clock.now().timestamp()),
                                   error=(result.error or "The upstream stream broke.") if broken else None)
        headers = self._headers(key, hold, settled) if settled else {}
        return ProxyAnswer(text, headers, stream=True)

    def _headers(self, key: KeyInfo, hold: Hold, settled: Settlement | None) -> dict[str, str]:
        headers = {"x-keyledger-cost": fmt(settled.charged if settled else from_micros(0))}
        if key.rpm is not None and hold.rpm_minute is not None:
            used = self.metering.rpm_used(key.quota_id, hold.rpm_minute)
            headers["x-ratelimit-remaining-requests"] = str(max(key.rpm - used, 0))
            headers["x-ratelimit-limit-requests"] = str(key.rpm)
        return headers


class _Zero:
    input_tokens = 0
    output_tokens = 0


def _owner(route: ModelRoute) -> str:
    return route.targets[0][0].name if route.targets else "keyledger"


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
