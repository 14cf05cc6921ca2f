"""Remove anything secret-shaped from text an upstream wrote, before it is stored or shown.

Upstream error text (and an internal service's, if a URL ever pointed at one) can echo keys
and tokens; the admin's connection test, the provider health record and the audit log would
keep them. What is replaced with `***`: our own key for that provider (by the caller), and
- API keys: `sk-...`, `sk_live_...`, `key-...`, `api_...` with a digit in them;
- AWS access key ids (`AKIA...`, `ASIA...`) and `name=value` / `name: value` pairs whose name
  says key, secret, token, password or signature;
- `Bearer <token>` and `Basic <credentials>`;
- long hex (32+) or base64/base64url (32+) runs: session tokens, signatures, JWT parts.
"""

from __future__ import annotations

import re

_PATTERNS = (
    re.compile(r"\b(?:bearer|basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE),
    re.compile(r"""(?ix)\b([a-z0-9_-]*(?:key|secret|token|passw(?:or)?d|pwd|signature|credential)[a-z0-9_-]*)
                   (\s*["']?\s*[:=]\s*["']?)[^\s"',;&}]+"""),
    re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{12,}\b"),
    re.compile(r"\b(?:sk|key|api|pk|rk)[-_](?=[A-Za-z0-9_\-.*]*\d)[A-Za-z0-9_\-.*]{6,}", re.IGNORECASE),
    re.compile(r"\b[0-9a-fA-F]{32,}\b"),
    re.compile(r"[A-Za-z0-9+/_-]{32,}={0,2}"),
)


def redact_secrets(text: str) -> str:
    """`text` with every secret-shaped run replaced by `***` (names of `name=value` pairs kept)."""
    for pattern in _PATTERNS:
        if pattern.groups == 2:
            text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
        else:
            text = pattern.sub("***", text)
    return text
