"""Users' own providers (bring your own key): self-service, routing and the connection test.

A user registers an upstream with their own key; the key is stored encrypted and shown only
as a hint. On `/v1`, a model written `<own provider name>/<upstream model>` resolves here
(`route`) to that provider with the user's key, priced at the own-key fee
(`BYOK_FEE_PER_1M_TOKENS`) so the proxy's reserve/settle rules apply unchanged. Only the
owner's partition is ever read, so another user's provider is not found (404). Every change
is audited (type `keys`), never with the key. Balances: `own_balances.py`.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from ..audit.types import AuditRecorder
from ..kernel.clock import Clock
from ..kernel.context import RequestMeta
from ..kernel.crypto import Cipher
from ..kernel.errors import AppError, BadRequest, UpstreamError
from ..kernel.ids import new_id
from ..upstreams.balances import BALANCE_KINDS, detect_kind
from ..upstreams.types import DEFAULT_MAX_OUTPUT_TOKENS
from .endpoints import validate_base_url
from .own_store import OwnProviderStore
from .probe import ProviderClient
from .routing import ModelRoute, ProviderTargetInfo
from .service import mask_secret, scrub
from .types import ConnectionTest, OwnProvider, OwnProviderSpec

OWN_MARK = " (own)"  # how requests through an own provider name it in history, statistics and CSV
# Provider types a user may bring a key for. Never one that authenticates with the deployment's
# own credentials (a Bedrock provider signs with the gateway's AWS role): that would lend them out.
OWN_PROVIDER_TYPES = ("openai", "anthropic")


def own_label(p: OwnProvider) -> str:
    """The provider as usage records name it: its name, marked as the user's own."""
    return p.name + OWN_MARK


def target_of(p: OwnProvider, api_key: str) -> ProviderTargetInfo:
    return ProviderTargetInfo(provider_id=own_label(p), name=p.name, type=p.type, base_url=p.base_url,
                              api_key=api_key)


class OwnProviders:
    def __init__(self, store: OwnProviderStore, cipher: Cipher, clock: Clock, audit: AuditRecorder,
                 client: ProviderClient, *, fee_per_1m_tokens: Decimal, allow_private_urls: bool = False) -> None:
        self._store = store
        self._cipher = cipher
        self._clock = clock
        self._audit = audit
        self._client = client
        self._fee = fee_per_1m_tokens
        self._allow_private_urls = allow_private_urls

    # --- self-service ---

    def providers_of(self, user_id: str) -> list[OwnProvider]:
        """The user's own providers, oldest first."""
        return self._store.providers_of(user_id)

    def get(self, user_id: str, provider_id: str) -> OwnProvider:
        """One of the user's providers; 404 `provider_not_found` for anyone else's."""
        return self._store.get(user_id, provider_id)

    def create(self, user_id: str, spec: OwnProviderSpec, meta: RequestMeta | None) -> OwnProvider:
        """Register the user's own upstream; the key is stored encrypted and never returned."""
        if not spec.name or not spec.type or not spec.base_url or not spec.api_key:
            raise BadRequest("name, type, base_url and api_key are required.", code="validation_error")
        now = self._clock.now()
        url = self._url(spec.base_url)
        p = OwnProvider(provider_id=new_id(now), user_id=user_id, name=spec.name, type=self._type(spec.type),
                        base_url=url, api_key_enc=self._cipher.encrypt(spec.api_key),
                        api_key_hint=mask_secret(spec.api_key), created_at=now, updated_at=now,
                        balance_kind=self._kind(spec.balance_kind, url),
                        low_balance_threshold=spec.low_balance_threshold)
        self._store.create(p)
        self._record(user_id, "own_provider.create", meta, None, p)
        return p

    def update(self, user_id: str, provider_id: str, spec: OwnProviderSpec, meta: RequestMeta | None) -> OwnProvider:
        """Change any field; a new key replaces the old one (never shown)."""
        old = self._store.get(user_id, provider_id)
        url = self._url(spec.base_url) if spec.base_url is not None else old.base_url
        changes: dict[str, Any] = {"base_url": url, "updated_at": self._clock.now()}
        if spec.name is not None:
            changes["name"] = spec.name
        if spec.type is not None:
            changes["type"] = self._type(spec.type)
        if spec.api_key is not None:
            changes.update(api_key_enc=self._cipher.encrypt(spec.api_key), api_key_hint=mask_secret(spec.api_key))
        if spec.balance_kind is not None:
            changes["balance_kind"] = self._kind(spec.balance_kind, url)
        elif old.balance_kind == detect_kind(old.base_url):  # detected, not chosen: follow the new URL
            changes["balance_kind"] = detect_kind(url)
        if changes.get("balance_kind", old.balance_kind) != old.balance_kind or url != old.base_url:
            changes["balance"] = None  # read again from where it now comes
        if spec.low_balance_threshold is not None or spec.clear_threshold:
            changes.update(low_balance_threshold=spec.low_balance_threshold, low_balance_notified=False)
        new = replace(old, **changes)
        self._store.replace(old, new)
        self._record(user_id, "own_provider.update", meta, old, new, key_replaced=spec.api_key is not None)
        return new

    def delete(self, user_id: str, provider_id: str, meta: RequestMeta | None) -> None:
        """Remove the provider and its encrypted key; `<name>/...` stops resolving at once."""
        old = self._store.get(user_id, provider_id)
        self._store.delete(old)
        self._record(user_id, "own_provider.delete", meta, old, None)

    def test(self, user_id: str, provider_id: str, meta: RequestMeta | None) -> ConnectionTest:
        """One authenticated call to the upstream (its model list): `{ok, latency_ms, detail}`."""
        p = self._store.get(user_id, provider_id)
        api_key = self._cipher.decrypt(p.api_key_enc)
        try:
            ok, latency_ms, detail = self._client.probe(target_of(p, api_key))
        except Exception as exc:  # a client bug must still leave a readable result, not a 500
            ok, latency_ms, detail = False, 0, f"the connection test failed ({type(exc).__name__})"
        result = ConnectionTest(ok, latency_ms, scrub(str(detail), api_key))
        self._audit.record(user_id=user_id, type="keys", action="own_provider.test", meta=meta,
                           detail={"target": provider_id, "ok": result.ok, "latency_ms": result.latency_ms})
        return result

    def models(self, user_id: str, provider_id: str) -> list[str]:
        """The model ids the user's provider lists (each usable as `<name>/<id>`)."""
        p = self._store.get(user_id, provider_id)
        api_key = self._cipher.decrypt(p.api_key_enc)
        try:
            return sorted(dict.fromkeys(self._client.list_models(target_of(p, api_key))))
        except AppError as exc:
            raise UpstreamError(scrub(exc.message, api_key), code="upstream_error") from exc

    # --- the proxy's model resolution ---

    def route(self, user_id: str, model_name: str) -> ModelRoute | None:
        """`<own provider name>/<upstream model>` of this user as a route priced at the own-key
        fee, or None when the name before the first `/` is none of the user's providers."""
        prefix, slash, upstream_model = model_name.partition("/")
        if not slash or not prefix or not upstream_model:
            return None
        wanted = prefix.lower()
        p = next((p for p in self._store.providers_of(user_id) if p.name.lower() == wanted), None)
        if p is None:
            return None
        target = target_of(p, self._cipher.decrypt(p.api_key_enc))
        return ModelRoute(model_id=p.provider_id, name=model_name, input_price=self._fee, output_price=self._fee,
                          max_output_tokens=DEFAULT_MAX_OUTPUT_TOKENS, capabilities=(),
                          targets=((target, upstream_model),))

    # --- rules ---

    def _url(self, base_url: str) -> str:
        return validate_base_url(base_url, allow_private=self._allow_private_urls)

    @staticmethod
    def _type(type_: str) -> str:
        if type_ not in OWN_PROVIDER_TYPES:
            raise BadRequest(f"type must be one of {', '.join(OWN_PROVIDER_TYPES)}.", code="invalid_provider_type",
                             param="type")
        return type_

    @staticmethod
    def _kind(kind: str | None, base_url: str) -> str | None:
        if kind in (None, "auto"):
            return detect_kind(base_url)
        if kind == "none":
            return None
        if kind not in BALANCE_KINDS:
            raise BadRequest(f"balance_kind must be auto, none or one of {', '.join(BALANCE_KINDS)}.",
                             code="invalid_balance_kind", param="balance_kind")
        return kind

    def _record(self, user_id: str, action: str, meta: RequestMeta | None, before: OwnProvider | None,
                after: OwnProvider | None, **extra: Any) -> None:
        target = after or before
        self._audit.record(user_id=user_id, type="keys", action=action, meta=meta, detail={
            "target": target.provider_id if target else None, "before": _audit_view(before),
            "after": _audit_view(after), **extra})


def _audit_view(p: OwnProvider | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"name": p.name, "type": p.type, "base_url": p.base_url, "api_key_hint": p.api_key_hint,
            "balance_kind": p.balance_kind,
            "low_balance_threshold": None if p.low_balance_threshold is None else str(p.low_balance_threshold)}
