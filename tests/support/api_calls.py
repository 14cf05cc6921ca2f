"""One signed-in JSON call through `chalice.test.Client`, for the tests/api modules."""

from __future__ import annotations

import json
from typing import Any

JSON = {"Content-Type": "application/json"}


def call(client: Any, method: str, path: str, account: Any, body: Any = None) -> tuple[int, Any]:
    """`method path` as `account` (its bearer token), with `body` as JSON; (status, parsed answer)."""
    r = client.http.request(method, path, body=json.dumps(body) if body is not None else b"",
                            headers={**account.headers, **JSON})
    return r.status_code, (json.loads(r.body) if r.body else None)
