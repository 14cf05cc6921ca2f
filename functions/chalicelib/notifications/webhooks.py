"""Signed webhook POSTs (quota warnings): JSON body, `x-keyledger-signature: sha256=<hex>`
where hex is HMAC-SHA256 of the exact body bytes with WEBHOOK_SECRET. Bounded retries with
backoff on connection errors, 429 and 5xx; other 4xx answers are final."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("keyledger.webhooks")

# (url, body, headers, timeout) -> HTTP status; raises OSError-like errors on connection failure.
Post = Callable[[str, bytes, dict[str, str], float], int]


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def requests_post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    import requests

    return requests.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False).status_code


class WebhookSender:
    def __init__(self, url: str, secret: str, post: Post = requests_post,
                 sleep: Callable[[float], None] = time.sleep, attempts: int = 3, timeout: float = 5.0) -> None:
        self._url = url
        self._secret = secret
        self._post = post
        self._sleep = sleep
        self._attempts = attempts
        self._timeout = timeout

    @property
    def enabled(self) -> bool:
        return bool(self._url)

    def send(self, event: dict[str, Any]) -> bool:
        """POST `event` signed; True once a 2xx answer came back. Never raises."""
        if not self._url:
            return False
        if not self._secret:
            log.warning("WEBHOOK_URL is set but WEBHOOK_SECRET is not: webhook %s not sent", event.get("type"))
            return False
        body = json.dumps(event, separators=(",", ":"), sort_keys=True, default=str).encode()
        headers = {"Content-Type": "application/json", "x-keyledger-signature": sign(self._secret, body),
                   "x-keyledger-event": str(event.get("type", ""))}
        for attempt in range(self._attempts):
            try:
                status = self._post(self._url, body, headers, self._timeout)
            except Exception as exc:  # connection refused, timeout, DNS: retry
                log.warning("webhook %s attempt %d failed: %s", event.get("type"), attempt + 1, type(exc).__name__)
                status = 0
            if 200 <= status < 300:
                return True
            if 400 <= status < 500 and status != 429:
                log.warning("webhook %s refused with %d", event.get("type"), status)
                return False
            if attempt + 1 < self._attempts:
                self._sleep(0.5 * (2**attempt))
        return False
