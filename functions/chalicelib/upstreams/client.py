"""The one client the proxy and the admin API call to reach upstream providers.

Built once per warm Lambda (see `Container.upstream_client`): its pooled
`requests.Session` keeps TCP/TLS connections to providers across invocations.
Transport, timeouts, retries and error mapping live here; the wire formats live in
the adapters (`adapters.py`).

Answers in one piece only; streams go through `streaming.StreamingClient` (async).

Retries: connection errors, connect timeouts, 408, 429 and 5xx are retried up to
`max_retries` times with exponential backoff and jitter. A read timeout is not (the
provider may be generating: a retry would pay for a second generation). A `Retry-After` up
to `retry_after_cap` seconds is honoured; a longer one ends the retries at once (the
proxy may fall back to another provider instead of waiting). `deadline`, if set,
bounds the whole call including waits, to stay inside API Gateway's 29 s.

The environment's proxy settings (HTTPS_PROXY, NO_PROXY...) and CA bundle are read once
per provider origin, not on every request: with `trust_env`, requests scans os.environ
and ~/.netrc on each call, about half a millisecond of CPU per proxied request.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from ..kernel.errors import AppError
from . import anthropic, anthropic_native, failures
from .adapters import ADAPTERS, Adapter, adapter_for
from .anthropic_native import NativeMessage
from .balances import ReportedBalance, balance_call, parse_balance
from .errors import UnsupportedByProvider
from .guarded_transport import guarded_adapter
from .types import ChatResult, EmbeddingsResult, HttpCall, ProbeResult, Target


class UpstreamClient:
    def __init__(
        self,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 25.0,
        max_retries: int = 2,
        probe_timeout: float = 5.0,
        backoff_base: float = 0.25,
        backoff_cap: float = 4.0,
        retry_after_cap: float = 5.0,
        deadline: float | None = None,
        pool_size: int = 20,
        allow_private: bool = False,
        session: requests.Session | None = None,
        adapters: Mapping[str, Adapter] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        now: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.timeouts = (connect_timeout, read_timeout)
        self.max_retries = max_retries
        self.probe_timeout = probe_timeout
        self.backoff_base, self.backoff_cap, self.retry_after_cap = backoff_base, backoff_cap, retry_after_cap
        self.deadline = deadline
        self.session = session or _pooled_session(pool_size, allow_private=allow_private)
        self._proxies: dict[str, dict[str, str]] = {}
        self.adapters = adapters or ADAPTERS  # bootstrap adds Bedrock's (it needs botocore clients)
        self._sleep, self._jitter, self._now, self._monotonic = sleep, jitter, now, monotonic

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> UpstreamClient:
        """Timeouts and retries from `Settings` (UPSTREAM_CONNECT_TIMEOUT, ..._READ_TIMEOUT, ..._MAX_RETRIES)."""
        options: dict[str, Any] = {
            "connect_timeout": settings.upstream_connect_timeout,
            "read_timeout": settings.upstream_read_timeout,
            "max_retries": settings.upstream_max_retries,
            # The whole call, retries and waits included, ends within the proxy function's time.
            "deadline": settings.proxy_max_seconds,
            "allow_private": settings.upstream_allow_private,
        }
        return cls(**{**options, **overrides})

    def close(self) -> None:
        self.session.close()

    # --- the calls ---

    def _adapter(self, target: Target) -> Adapter:
        return adapter_for(target, self.adapters)

    def chat(self, target: Target, body: dict[str, Any], public_model: str) -> ChatResult:
        """A non-streamed chat completion; `body` is the caller's OpenAI request.

        Raises ProviderError (502), ProviderTimeout (504), ProviderRejected (400).
        """
        adapter = self._adapter(target)
        call = self._prepare(target, lambda: adapter.chat_call(target, body, stream=False))
        resp = self._send(target, call, stream=False)
        data = self._json(target, resp)
        return self._parse(target, resp, lambda: adapter.chat_result(data, public_model, int(self._now())))

    def embeddings(self, target: Target, body: dict[str, Any], public_model: str) -> EmbeddingsResult:
        """Embeddings for the caller's OpenAI request (Anthropic: UnsupportedByProvider, 400)."""
        adapter = self._adapter(target)
        call = self._prepare(target, lambda: adapter.embeddings_call(target, body))
        resp = self._send(target, call, stream=False)
        data = self._json(target, resp)
        return self._parse(target, resp, lambda: adapter.embeddings_result(data, public_model))

    def messages(self, target: Target, body: dict[str, Any], public_model: str, beta: str | None) -> NativeMessage:
        """An Anthropic Messages request passed through to an Anthropic provider (not streamed)."""
        call = anthropic_native.messages_call(target, body, stream=False, beta=beta)
        resp = self._send(target, call, stream=False)
        data = self._json(target, resp)
        return self._parse(target, resp, lambda: anthropic_native.message_result(data, public_model))

    def count_tokens(self, target: Target, body: dict[str, Any]) -> int:
        """The provider's own count of the prompt tokens of the chat request `body`: Anthropic
        providers count; others raise UnsupportedByProvider (the caller estimates). Not retried."""
        if target.provider_type != "anthropic":
            raise UnsupportedByProvider("This provider does not count tokens.", provider_id=target.provider_id)
        call = self._prepare(target, lambda: anthropic.count_tokens_call(target, body))
        resp = self._send(target, call, stream=False, retries=0)
        data = self._json(target, resp)
        return self._parse(target, resp, lambda: anthropic.count_tokens_result(data))

    def list_models(self, target: Target) -> list[str]:
        """The model ids the provider offers (for sync-models)."""
        return self._list_models(target, self.timeouts, self.max_retries)

    def probe(self, target: Target) -> ProbeResult:
        """The admin connection test: one model-list call with a short timeout, no retries.

        Never raises: every failure becomes `ok=False` with a human `detail`.
        """
        start = self._monotonic()
        try:
            ids = self._list_models(target, (self.probe_timeout, self.probe_timeout), 0)
        except AppError as exc:
            return ProbeResult(False, self._ms_since(start), exc.message)
        except Exception as exc:  # noqa: BLE001 - the admin must get a detail, not a 500
            return ProbeResult(False, self._ms_since(start), f"Unexpected failure ({type(exc).__name__}).")
        return ProbeResult(True, self._ms_since(start), f"Connected: the provider lists {len(ids)} models.")

    def balance(self, target: Target, kind: str) -> ReportedBalance:
        """The provider's remaining credit from its balance endpoint (`balances.py`): a short
        timeout, no retries. Raises ProviderError/ProviderTimeout like any call."""
        call = balance_call(kind, target.base_url, target.api_key)
        timeouts = (self.probe_timeout, self.probe_timeout)
        resp = self._send(target, call, stream=False, timeouts=timeouts, retries=0)
        data = self._json(target, resp)
        return self._parse(target, resp, lambda: parse_balance(kind, target.base_url, data),
                           what="a balance in an unknown format")

    # --- transport ---

    def _list_models(self, target: Target, timeouts: tuple[float, float], retries: int) -> list[str]:
        adapter = self._adapter(target)
        if adapter.list_models is not None:
            return adapter.list_models(target)
        call = adapter.models_call(target)
        resp = self._send(target, call, stream=False, timeouts=timeouts, retries=retries)
        data = self._json(target, resp)
        return self._parse(target, resp, lambda: adapter.models_result(data), what="a model list in an unknown format")

    def _send(
        self,
        target: Target,
        call: HttpCall,
        *,
        stream: bool,
        timeouts: tuple[float, float] | None = None,
        retries: int | None = None,
    ) -> requests.Response:
        """Make the call, retrying what is worth retrying; returns a 2xx response."""
        timeouts = timeouts or self.timeouts
        retries = self.max_retries if retries is None else retries
        started = self._monotonic()
        for attempt in range(retries + 1):
            cause: BaseException | None = None
            try:
                resp = self.session.request(call.method, call.url, headers=call.headers, json=call.json,
                                            data=call.content, timeout=timeouts, stream=stream, allow_redirects=False,
                                            proxies=self.proxies_for(call.url))
            except requests.RequestException as exc:
                cause, error = exc, failures.transport_error(target, call.url, exc, timeouts)
            else:
                if 200 <= resp.status_code < 300:
                    return resp
                error = self._status_error(target, resp)
            delay = self._delay(attempt, error.retry_after)
            out_of_time = self._past_deadline(started, delay or 0.0)
            if not error.retryable or attempt >= retries or delay is None or out_of_time:
                raise error from cause
            self._sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def proxies_for(self, url: str) -> dict[str, str]:
        """The environment's proxies for this URL's origin (NO_PROXY honoured), read once."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        found = self._proxies.get(origin)
        if found is None:
            found = self._proxies[origin] = dict(requests.utils.get_environ_proxies(url))
        return found

    def _delay(self, attempt: int, retry_after: float | None) -> float | None:
        """Backoff with jitter, at least `Retry-After`; None if that is beyond the cap."""
        backoff = min(self.backoff_cap, self.backoff_base * 2**attempt) * (0.5 + self._jitter() / 2)
        if retry_after is None:
            return backoff
        return None if retry_after > self.retry_after_cap else max(backoff, retry_after)

    def _status_error(self, target: Target, resp: requests.Response) -> failures.Failure:
        try:
            message = self._adapter(target).error_message(resp.json())
        except (ValueError, requests.RequestException):
            message = None
        finally:
            resp.close()
        retry_after = failures.retry_after_seconds(resp.headers.get("Retry-After"), self._now())
        return self._adapter(target).status_error(target, resp.status_code, message, retry_after)

    def _json(self, target: Target, resp: requests.Response) -> Any:
        try:
            return resp.json()
        except (ValueError, requests.RequestException) as exc:
            raise failures.malformed(target, "malformed JSON", resp.status_code) from exc
        finally:
            resp.close()

    def _parse(self, target: Target, resp: requests.Response, build: Callable[[], Any],
               what: str = "an answer in an unknown format") -> Any:
        try:
            return build()
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise failures.malformed(target, what, resp.status_code) from exc

    @staticmethod
    def _prepare(target: Target, build: Callable[[], HttpCall]) -> HttpCall:
        try:
            return build()
        except AppError as exc:
            if hasattr(exc, "provider_id") and not exc.provider_id:
                exc.provider_id = target.provider_id
            raise

    def _past_deadline(self, started: float, ahead: float = 0.0) -> bool:
        return self.deadline is not None and self._monotonic() - started + ahead > self.deadline

    def _ms_since(self, start: float) -> int:
        return max(0, round((self._monotonic() - start) * 1000))


def _pooled_session(pool_size: int, *, allow_private: bool) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # proxies come from UpstreamClient.proxies_for; the CA bundle:
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    # Retries are ours (they know about Retry-After and streams); urllib3's are off. Every new
    # connection's peer address passes the SSRF guard (address_policy).
    adapter = guarded_adapter(pool_size, allow_private=allow_private)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
