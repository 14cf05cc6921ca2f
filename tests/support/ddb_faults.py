"""DynamoDB faults injected through botocore's event system on the table models' own clients.

Nothing in the code under test is patched: a `before-call.dynamodb.<Operation>` handler
answers in DynamoDB's place (the request is never sent, so nothing is written), and an
`after-call` handler can lose the answer of a write that did happen (a timeout after commit).

    faults = DynamoFaults().attach()
    faults.throttle("TransactWriteItems", calls={1})        # the first transaction of the test
    faults.conflict("TransactWriteItems", calls={2})        # the second one: TransactionConflict
    faults.lose_answer("TransactWriteItems", calls={2})     # committed, but the caller sees a timeout
    ...
    faults.detach()

`calls` counts the operation's calls since attach (1-based); `calls=None` means every call.

Answering at `before-call` also skips botocore's own retries (PynamoDB: 3, standard mode): an
injected throttle reaches the code as if every retry had been throttled too, the worst case.
(`before-send` cannot stand in for DynamoDB under moto: botocore emits it to every handler, so
moto would still apply the write.)
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError


@dataclass
class _Rule:
    operation: str
    kind: str  # "error" (before the call) or "lose" (after it)
    calls: set[int] | None
    code: str = ""
    status: int = 400
    reasons: list[dict[str, Any]] | None = None
    fired: int = 0


@dataclass
class DynamoFaults:
    seen: Counter[str] = field(default_factory=Counter)
    _rules: list[_Rule] = field(default_factory=list)
    _clients: list[Any] = field(default_factory=list)

    # --- wiring ---

    def attach(self) -> DynamoFaults:
        from chalicelib.store.base import table_clients

        self._clients = table_clients()
        for client in self._clients:
            client.meta.events.register_first("before-call.dynamodb", self._before)
            client.meta.events.register_first("after-call.dynamodb", self._after)
        return self

    def detach(self) -> None:
        for client in self._clients:
            client.meta.events.unregister("before-call.dynamodb", self._before)
            client.meta.events.unregister("after-call.dynamodb", self._after)
        self._clients.clear()

    # --- what to inject ---

    def throttle(self, operation: str, calls: Iterable[int] | None = (1,)) -> _Rule:
        """DynamoDB's throttling answer (on-demand tables answer ThrottlingException)."""
        return self._add(_Rule(operation, "error", _set(calls), "ThrottlingException"))

    def conflict(self, operation: str = "TransactWriteItems", calls: Iterable[int] | None = (1,)) -> _Rule:
        """TransactionCanceledException with TransactionConflict for every item of the transaction."""
        return self._add(_Rule(operation, "error", _set(calls), "TransactionCanceledException",
                               reasons=[{"Code": "TransactionConflict", "Message": "injected conflict"}]))

    def server_error(self, operation: str, calls: Iterable[int] | None = (1,)) -> _Rule:
        return self._add(_Rule(operation, "error", _set(calls), "InternalServerError", status=500))

    def lose_answer(self, operation: str, calls: Iterable[int] | None = (1,)) -> _Rule:
        """The write is applied, then the caller gets a read timeout instead of the answer."""
        return self._add(_Rule(operation, "lose", _set(calls)))

    @property
    def fired(self) -> int:
        return sum(r.fired for r in self._rules)

    # --- botocore handlers ---

    def _add(self, rule: _Rule) -> _Rule:
        self._rules.append(rule)
        return rule

    def _match(self, operation: str, kind: str, count: int) -> _Rule | None:
        for rule in self._rules:
            if rule.operation == operation and rule.kind == kind and (rule.calls is None or count in rule.calls):
                return rule
        return None

    def _before(self, model: Any, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        self.seen[model.name] += 1
        rule = self._match(model.name, "error", self.seen[model.name])
        if rule is None:
            return None
        rule.fired += 1
        parsed: dict[str, Any] = {
            "Error": {"Code": rule.code, "Message": f"injected {rule.code}"},
            "ResponseMetadata": {"HTTPStatusCode": rule.status, "HTTPHeaders": {}, "RetryAttempts": 0},
        }
        if rule.reasons is not None:
            items = len(_body(params).get("TransactItems", [])) or 1
            parsed["CancellationReasons"] = [dict(rule.reasons[0]) for _ in range(items)]
        return AWSResponse("https://dynamodb.invalid/", rule.status, {}, None), parsed

    def _after(self, model: Any, http_response: Any, **_: Any) -> None:
        rule = self._match(model.name, "lose", self.seen[model.name])
        if rule is not None and http_response.status_code < 300:
            rule.fired += 1
            raise ReadTimeoutError(endpoint_url="https://dynamodb.invalid/")


def _body(params: dict[str, Any]) -> dict[str, Any]:
    body = params.get("body") or b"{}"
    return json.loads(body) if isinstance(body, bytes | str) else dict(body)


def _set(calls: Iterable[int] | None) -> set[int] | None:
    return None if calls is None else set(calls)
