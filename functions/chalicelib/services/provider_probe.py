"""Talking to a provider for the admin's connection test and model sync.

`ProviderClient` is the interface the catalog needs; the upstreams area's `UpstreamClient`
satisfies it. `HttpProviderProbe` is a small stand-in over `requests` until that client is
wired in the container: it lists models (`GET {base_url}/models` for OpenAI-compatible
upstreams, `GET {base_url}/v1/models` for Anthropic) with short timeouts and turns every
failure (HTTP status, timeout, DNS, garbage JSON) into a readable `detail`.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

import requests

from .domain import ProviderTargetInfo


class ProviderClient(Protocol):
    def probe(self, target: ProviderTargetInfo) -> tuple[bool, int, str]:
        """(ok, latency_ms, detail) of one cheap authenticated call; never raises."""
        ...

    def list_models(self, target: ProviderTargetInfo) -> list[str]:
        """The upstream's model ids; raises an `UpstreamError` with a readable message."""
        ...


class ProbeFailed(Exception):
    """A readable reason the upstream call failed (the message is safe to show)."""


class HttpProviderProbe:
    def __init__(self, connect_timeout: float, read_timeout: float, session: requests.Session | None = None) -> None:
        self._timeout = (connect_timeout, read_timeout)
        self._session = session or requests.Session()

    def probe(self, target: ProviderTargetInfo) -> tuple[bool, int, str]:
        started = time.monotonic()
        try:
            names = self._fetch(target)
        except ProbeFailed as exc:
            return False, _ms(started), str(exc)
        return True, _ms(started), f"OK: the upstream lists {len(names)} models"

    def list_models(self, target: ProviderTargetInfo) -> list[str]:
        from ..core.errors import UpstreamError

        try:
            return self._fetch(target)
        except ProbeFailed as exc:
            raise UpstreamError(str(exc), code="upstream_error") from exc

    def _fetch(self, target: ProviderTargetInfo) -> list[str]:
        base = target.base_url.rstrip("/")
        if target.type == "anthropic":
            url = base + ("/models" if base.endswith("/v1") else "/v1/models")
            headers = {"x-api-key": target.api_key, "anthropic-version": "2023-06-01"}
        else:
            url = base + "/models"
            headers = {"Authorization": f"Bearer {target.api_key}"} if target.api_key else {}
        try:
            resp = self._session.get(url, headers=headers, timeout=self._timeout, allow_redirects=False)
        except requests.Timeout as exc:
            raise ProbeFailed(f"the upstream did not answer within {self._timeout[1]:g}s") from exc
        except requests.ConnectionError as exc:
            raise ProbeFailed(f"could not connect to the upstream ({_reason(exc)})") from exc
        except requests.RequestException as exc:
            raise ProbeFailed(f"the request to the upstream failed ({type(exc).__name__})") from exc
        if resp.status_code in (401, 403):
            raise ProbeFailed(f"the upstream refused the API key (HTTP {resp.status_code})")
        if resp.status_code != 200:
            raise ProbeFailed(f"the upstream answered HTTP {resp.status_code}")
        try:
            data: Any = resp.json()
        except ValueError as exc:
            raise ProbeFailed("the upstream answered with something that is not JSON") from exc
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise ProbeFailed("the upstream's JSON has no model list (expected {\"data\": [...]})")
        return [str(i["id"]) for i in items if isinstance(i, dict) and isinstance(i.get("id"), str) and i["id"]]


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _reason(exc: Exception) -> str:
    text = str(exc).lower()
    if "name or service not known" in text or "nodename nor servname" in text or "failed to resolve" in text:
        return "the host name does not resolve"
    if "refused" in text:
        return "connection refused"
    return type(exc).__name__
