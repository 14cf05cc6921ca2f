"""The local stack feeds the usage stream to the app's `roll_up_usage` the way Lambda calls it."""

from __future__ import annotations

from typing import Any

from chalice import Chalice

from infra.localstack.usage_stream import lambda_entry


def test_the_local_stream_poller_calls_a_lambda_function_with_event_and_context() -> None:
    app = Chalice("probe")
    seen: list[tuple[dict[str, Any], Any]] = []

    @app.lambda_function(name="roll_up_usage")
    def roll_up_usage(event: dict[str, Any], context: Any) -> dict[str, int]:
        seen.append((event, context))
        return {"rolled_up": len(event["Records"])}

    assert lambda_entry(app, "roll_up_usage")({"Records": [{"eventID": "1"}]}, None) == {"rolled_up": 1}
    assert seen == [({"Records": [{"eventID": "1"}]}, None)]
