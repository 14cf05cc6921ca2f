"""The OpenAI-compatible proxy: authorise, limit, reserve, call upstream, settle.

Plain answers are served here, start to end; streams are admitted here (`admit_chat`) and
relayed chunk by chunk by `proxy.relay`, which settles through `settle_stream`.

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
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from ..catalog.routing import ModelRoute, ProviderTargetInfo
from ..kernel.clock import Clock
from ..kernel.context import RequestMeta
from ..kernel.errors import AppError, BadRequest, KeyNotCurrent, QuotaExceeded, UpstreamError
from ..kernel.money import fmt, from_micros
from ..kernel.periods import period_window
from ..keys.types import KeyInfo
from ..metering.service import MeteringService
from ..metering.types import Hold, RecordFields, Settlement, TokenUsage
from ..upstreams.types import Usage
from .anthropic_wire import NativeRequest
from .charging import Delivered, usage_to_charge, with_output_cap
from .routing import caller_scope
from .token_estimate import chat_prompt_tokens, embeddings_input_tokens, output_tokens_cap
from .types import Admitted, StreamOutcome

log = logging.getLogger("keyledger.proxy")
_ESTIMATED = "The upstream reported no usage; charged an estimate of what was delivered."
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
                  upstream_model, max_output_tokens, bedrock=provider.bedrock)


@dataclass(frozen=True)
class ProxyAnswer:
    """What the route returns: a JSON body and headers."""

    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    usage: Usage | None = None  # what the request was charged for (chat answers)


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

    def admit_chat(self, api_key: str, body: dict[str, Any], meta: RequestMeta, endpoint: str = "chat",
                   native: NativeRequest | None = None) -> Admitted:
        """Every check before the upstream (key, IP, membership, model, RPM, quota, balance),
        and the hold for the worst case; the forwarded body carries the output cap it was sized for.
        `endpoint` names the inbound API whose request was translated into `body`; `native` is
        the Messages request that Anthropic providers get instead (capped the same way)."""
        n = body["n"] if isinstance(body.get("n"), int) else 1
        prompt = chat_prompt_tokens(body) + (native.extra_prompt_tokens if native else 0)
        caps: dict[str, int] = {}

        def reserve(key: KeyInfo) -> tuple[ModelRoute, Hold]:
            route = self.catalog.route(str(body.get("model")), key.group)
            caps["out"] = output_tokens_cap(body, route.max_output_tokens)
            return route, self.metering.reserve(key, route, prompt, caps["out"] * max(1, n), meta.request_id,
                                                self.clock.now(), ip=meta.ip)

        key, route, hold = self._admit(api_key, meta, reserve)
        return Admitted(key, route, hold, with_output_cap(body, caps["out"]), prompt, endpoint,
                        native.capped(caps["out"]) if native else None)

    def chat(self, api_key: str, body: dict[str, Any], meta: RequestMeta, endpoint: str = "chat",
             native: NativeRequest | None = None) -> ProxyAnswer:
        """POST /v1/chat/completions answered in one piece, metered: the upstream's usage, or an
        estimate of the delivered answer when it reported none. Other inbound APIs translate
        their request into `body` and name themselves in `endpoint`; with `native`, Anthropic
        providers get that request and the answer is their own message."""
        return self.complete_chat(self.admit_chat(api_key, body, meta, endpoint, native))

    def complete_chat(self, admitted: Admitted) -> ProxyAnswer:
        """An admitted request answered in one piece by the first provider that serves it, and settled."""
        route, hold, endpoint, passed = admitted.route, admitted.hold, admitted.endpoint, admitted.native

        def call(target: Any) -> Any:
            if passed is not None and target.provider_type == "anthropic":
                return self.upstream.messages(target, passed.body, route.name, passed.beta)
            return self.upstream.chat(target, admitted.forwarded, route.name)

        called = self._call_or_release(hold, route, endpoint, call)
        delivered = Delivered.in_answer(called.result.body)
        usage, estimated = usage_to_charge(called.result.usage, admitted.prompt_tokens, delivered)
        fields = RecordFields(provider=called.provider_id, latency_ms=called.latency_ms, endpoint=endpoint,
                              error=_ESTIMATED if estimated else None, delivered_output_tokens=delivered.text_tokens)
        settled = self._settle(hold, called, fields, usage)
        return ProxyAnswer(called.result.body, self._headers(admitted.key, hold, settled), usage)

    def settle_stream(self, admitted: Admitted, outcome: StreamOutcome) -> tuple[Usage, Settlement]:
        """Charge a relayed stream for its usage (else what was delivered), at most the hold;
        a stream that broke before delivering anything is released, free."""
        usage, estimated = usage_to_charge(outcome.usage, admitted.prompt_tokens, outcome.delivered)
        if not outcome.delivered.tokens and outcome.usage is None and outcome.error:
            self._release(admitted.hold, RecordFields(provider=outcome.provider_id, latency_ms=outcome.latency_ms,
                                                       endpoint=admitted.endpoint, stream=True, stream_broken=True,
                                                       error=outcome.error),
                          "stream_broken")
            return Usage(), Settlement(admitted.hold.request_id, from_micros(0), from_micros(0), from_micros(0))
        error = outcome.error or (_ESTIMATED if estimated else None)
        fields = RecordFields(provider=outcome.provider_id, latency_ms=outcome.latency_ms, endpoint=admitted.endpoint,
                              stream=True, stream_broken=outcome.error is not None, error=error,
                              delivered_output_tokens=outcome.delivered.text_tokens)
        return usage, self._settle(admitted.hold, None, fields, usage)

    def targets(self, route: ModelRoute) -> list[Any]:
        """The route's providers as upstream targets, healthy ones first (all when none is)."""
        healthy = [t for t in route.targets if t[0].healthy]
        return [self._target(p, m, route.max_output_tokens) for p, m in (healthy or list(route.targets))]

    def release_failed(self, hold: Hold, error: BaseException, latency_ms: int, stream: bool,
                       endpoint: str = "chat") -> None:
        """An upstream call that never started: the hold goes back, the record says why."""
        status = error.status if isinstance(error, AppError) else 500
        message = error.message if isinstance(error, AppError) else "internal error"
        provider = getattr(error, "provider_id", "") or ""
        self._release(hold, RecordFields(provider=provider, latency_ms=latency_ms, status=status, stream=stream,
                                         endpoint=endpoint, error=message))

    def record_provider_result(self, provider_id: str, error: BaseException | None) -> None:
        """Provider health: a provider's own failure counts against it; the caller's never does."""
        if error is None:
            self.catalog.record_provider_result(provider_id, True, None)
        elif isinstance(error, UpstreamError):
            self.catalog.record_provider_result(provider_id, False, error.message)

    def rate_headers(self, key: KeyInfo, hold: Hold) -> dict[str, str]:
        """The RPM headers of an answer, when the key has an RPM limit (one read)."""
        if key.rpm is None or hold.rpm_minute is None:
            return {}
        used = self.metering.rpm_used(key.quota_id, hold.rpm_minute)
        return {"x-ratelimit-remaining-requests": str(max(key.rpm - used, 0)),
                "x-ratelimit-limit-requests": str(key.rpm)}

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
        called = self._call_or_release(hold, route, "embeddings",
                                       lambda t: self.upstream.embeddings(t, body, route.name))
        reported = called.result.usage
        usage = reported if reported is not None else Usage(embeddings_input_tokens(body), 0)
        settled = self._settle(hold, called, RecordFields(provider=called.provider_id, latency_ms=called.latency_ms,
                                                          endpoint="embeddings",
                                                          error=None if reported is not None else _ESTIMATED), usage)
        return ProxyAnswer(called.result.body, self._headers(key, hold, settled))

    def prompt_tokens(self, api_key: str, body: dict[str, Any], meta: RequestMeta) -> int:
        """POST /v1/messages/count_tokens, for a model the key may use; nothing is reserved or
        charged. The provider's own count when the model's first provider can count (Anthropic),
        else (or when that fails) the prompt estimate the hold is sized with."""
        key = self._key(api_key, meta, cached=True)
        with caller_scope(key):  # own providers resolve too (proxy/routing.py)
            route = self.catalog.route(str(body.get("model")), key.group)  # 403/404 as a real request would get
            first = self.targets(route)[:1]
        if first and first[0].provider_type == "anthropic":
            try:
                return int(self.upstream.count_tokens(first[0], body))
            except AppError as err:
                log.info("request %s: the provider did not count (%s); estimated", meta.request_id, err.code)
        return chat_prompt_tokens(body)

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
        revoked or changed since, the reservation refuses it and the key is read again, once.
        A quota refusal decided on the remembered limits (before any write) reads the key again
        too: a limit an admin just raised applies to this very request."""
        key = self._key(api_key, meta, cached=True)
        try:
            with caller_scope(key):  # models resolve for this key's user (proxy/routing.py)
                return (key, *reserve(key))
        except KeyNotCurrent:
            key = self._key(api_key, meta, cached=False)
            with caller_scope(key):
                return (key, *reserve(key))
        except QuotaExceeded:
            fresh = self._key(api_key, meta, cached=False)
            if fresh.rev == key.rev:
                raise
            with caller_scope(fresh):
                return (fresh, *reserve(fresh))

    # --- the upstream call ---

    def _call_or_release(self, hold: Hold, route: ModelRoute, endpoint: str,
                         call: Callable[[Any], T]) -> _Called:
        started = time.monotonic()
        try:
            return self._call_with_fallback(route, call, started)
        except BaseException as exc:
            # Whatever went wrong, the caller is charged nothing and the hold goes back.
            status = exc.status if isinstance(exc, AppError) else 500
            message = exc.message if isinstance(exc, AppError) else "internal error"
            provider = getattr(exc, "provider_id", "") or ""
            self._release(hold, RecordFields(provider=provider, latency_ms=_ms_since(started), status=status,
                                             endpoint=endpoint, error=message))
            raise

    def _release(self, hold: Hold, fields: RecordFields, outcome: str = "upstream_error") -> None:
        try:
            self.metering.release(hold, fields, outcome=outcome)
        except AppError:
            log.warning("request %s: hold not released now; the expiry job will", hold.request_id)

    def _call_with_fallback(self, route: ModelRoute, call: Callable[[Any], T], started: float) -> _Called:
        last: AppError | None = None
        for target in self.targets(route):  # all set aside: try them anyway rather than fail
            try:
                result = call(target)
            except AppError as err:
                # Another provider is worth trying only for the provider's faults, never the caller's,
                # and never after a read timeout (it may be generating: a second call pays twice).
                self.record_provider_result(target.provider_id, err)
                if not getattr(err, "fallback", isinstance(err, UpstreamError)):
                    raise
                last = err
                continue
            self.record_provider_result(target.provider_id, None)
            return _Called(result, target.provider_id, _ms_since(started))
        raise last or UpstreamError("No provider serves this model now.")

    # --- settle and answer ---

    def _settle(self, hold: Hold, called: _Called | None, fields: RecordFields,
                usage: TokenUsage | None = None) -> Settlement:
        chosen = usage if usage is not None else called.result.usage if called is not None else None
        settled = self.metering.settle(hold, chosen or Usage(), fields)
        if settled.already_settled:  # only if the expiry job ran first: the answer stands, unbilled
            log.warning("request %s settled after its hold expired; not charged", hold.request_id)
        return settled

    def _headers(self, key: KeyInfo, hold: Hold, settled: Settlement | None) -> dict[str, str]:
        return {"x-keyledger-cost": fmt(settled.charged if settled else from_micros(0)),
                **self.rate_headers(key, hold)}


def _owner(route: ModelRoute) -> str:
    return route.targets[0][0].name if route.targets else "keyledger"


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
