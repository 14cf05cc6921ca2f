"""Reading a provider's remaining credit: which providers say it, where, and in what JSON.

Each kind is one documented endpoint, called with the provider key as a Bearer token:
- `deepseek`: `GET /user/balance` -> `{"is_available", "balance_infos": [{"currency",
  "total_balance", ...}]}` (amounts are strings; USD is preferred when several currencies);
- `openrouter`: `GET /api/v1/credits` -> `{"data": {"total_credits", "total_usage"}}` (USD;
  what is left is credits minus usage);
- `moonshot`: `GET /v1/users/me/balance` -> `{"data": {"available_balance", ...}}` (USD on
  api.moonshot.ai, CNY on api.moonshot.cn);
- `siliconflow`: `GET /v1/user/info` -> `{"data": {"totalBalance", ...}}` (CNY on
  api.siliconflow.cn, USD on api.siliconflow.com).
The paths are taken from the base URL's origin, so `https://api.deepseek.com/v1` and
`https://api.deepseek.com` read the same endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from .types import HttpCall

BALANCE_KINDS = ("deepseek", "openrouter", "moonshot", "siliconflow")
_PATHS = {"deepseek": "/user/balance", "openrouter": "/api/v1/credits", "moonshot": "/v1/users/me/balance",
          "siliconflow": "/v1/user/info"}
_HOSTS = {"api.deepseek.com": "deepseek", "openrouter.ai": "openrouter", "api.moonshot.ai": "moonshot",
          "api.moonshot.cn": "moonshot", "api.siliconflow.cn": "siliconflow", "api.siliconflow.com": "siliconflow"}


@dataclass(frozen=True)
class ReportedBalance:
    amount: Decimal
    currency: str


def detect_kind(base_url: str) -> str | None:
    """The balance kind a base URL's host is known to speak, else None."""
    return _HOSTS.get((urlsplit(base_url).hostname or "").lower())


def balance_call(kind: str, base_url: str, api_key: str) -> HttpCall:
    parts = urlsplit(base_url)
    return HttpCall("GET", f"{parts.scheme}://{parts.netloc}{_PATHS[kind]}",
                    {"Authorization": f"Bearer {api_key}", "Accept": "application/json"})


def parse_balance(kind: str, base_url: str, data: Any) -> ReportedBalance:
    """The remaining credit in the provider's documented answer; ValueError/KeyError/TypeError
    when the answer is not in that shape."""
    if kind == "deepseek":
        infos = [i for i in data["balance_infos"] if isinstance(i, dict)]
        if not infos:
            raise ValueError("no balance in the answer")
        chosen = next((i for i in infos if i.get("currency") == "USD"), infos[0])
        return ReportedBalance(_amount(chosen["total_balance"]), str(chosen["currency"]))
    if kind == "openrouter":
        credits = data["data"]
        return ReportedBalance(_amount(credits["total_credits"]) - _amount(credits["total_usage"]), "USD")
    host_currency = "CNY" if (urlsplit(base_url).hostname or "").endswith(".cn") else "USD"
    if kind == "moonshot":
        return ReportedBalance(_amount(data["data"]["available_balance"]), host_currency)
    if kind == "siliconflow":
        return ReportedBalance(_amount(data["data"]["totalBalance"]), host_currency)
    raise ValueError(f"unknown balance kind {kind!r}")


def _amount(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TypeError("an amount must be a number or a decimal string")
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError("not a decimal amount") from exc
    if not amount.is_finite():
        raise ValueError("not a finite amount")
    return amount.quantize(Decimal("0.000001"))
