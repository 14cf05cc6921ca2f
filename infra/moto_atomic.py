"""Make moto's DynamoDB behave atomically under concurrent requests.

Real DynamoDB applies each conditional write and each transaction atomically. moto
evaluates a condition and then writes in plain Python, so two threads can both pass
the same condition. Our concurrency tests and the local stack would then show
overspends that DynamoDB itself never allows. Serialising moto's DynamoDB handler
with one lock restores the real semantics for the emulator; it changes nothing in
KeyLedger's own code.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.RLock()
_installed = False


def make_moto_dynamodb_atomic() -> None:
    global _installed
    if _installed:
        return
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with _lock:
            return original(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    _installed = True
