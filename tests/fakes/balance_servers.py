"""A fake provider account on 127.0.0.1 that reports its remaining credit the way each provider
documents it (DeepSeek, OpenRouter, Moonshot, SiliconFlow; see upstreams/balances.py), only to
the right Bearer key. `amount` is what is left; every request is logged with its headers."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def documented_answer(kind: str, amount: Decimal) -> dict[str, Any]:
    """The provider's balance JSON, shaped as its public documentation shows."""
    if kind == "deepseek":
        return {"is_available": amount > 0, "balance_infos": [
            {"currency": "CNY", "total_balance": "0.00", "granted_balance": "0.00", "topped_up_balance": "0.00"},
            {"currency": "USD", "total_balance": f"{amount:.2f}", "granted_balance": "0.00",
             "topped_up_balance": f"{amount:.2f}"}]}
    if kind == "openrouter":
        return {"data": {"total_credits": float(amount + 10), "total_usage": 10.0}}
    if kind == "moonshot":
        return {"code": 0, "data": {"available_balance": float(amount), "voucher_balance": 0.0,
                                    "cash_balance": float(amount)}, "scode": "0x0", "status": True}
    if kind == "siliconflow":
        return {"code": 20000, "message": "OK", "status": True, "data": {
            "id": "userid", "name": "username", "balance": "0.00", "status": "normal",
            "chargeBalance": str(amount), "totalBalance": str(amount)}}
    raise ValueError(kind)


PATHS = {"deepseek": "/user/balance", "openrouter": "/api/v1/credits", "moonshot": "/v1/users/me/balance",
         "siliconflow": "/v1/user/info"}


class FakeBalanceAccount:
    def __init__(self, kind: str, api_key: str = "sk-own-balance-key-0123456789abcdef") -> None:
        self.kind = kind
        self.api_key = api_key
        self.amount = Decimal("12.50")
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> FakeBalanceAccount:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server hook
                fake.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                if self.headers.get("authorization") != f"Bearer {fake.api_key}":
                    self._send(401, {"error": {"message": "invalid api key"}})
                elif self.path == PATHS[fake.kind]:
                    self._send(200, documented_answer(fake.kind, fake.amount))
                elif self.path == "/v1/models":
                    self._send(200, {"object": "list", "data": [{"id": "own-model", "object": "model"}]})
                else:
                    self._send(404, {"error": {"message": "not found"}})

            def _send(self, status: int, body: Any) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1" if self._server else ""
