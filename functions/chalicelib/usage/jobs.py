"""The usage table's stream processor: new request records are added to the rollups.

On AWS an event source mapping (template.yaml, `RollUpUsageStream`) invokes this function with
batches of the usage table's stream; it sums each batch per rollup item and counts each
request once, however often Lambda delivers it (`usage/rollups.py`). A failed batch is retried
by Lambda; nothing is lost while the stream keeps it (24 hours).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalice import Blueprint

if TYPE_CHECKING:
    from .rollups import UsageRollups


def blueprint(rollups: Callable[[], UsageRollups]) -> Blueprint:
    """The usage table's stream processor, over the rollups service."""
    bp = Blueprint(__name__)

    @bp.lambda_function(name="roll_up_usage")
    def roll_up_usage(event: dict[str, Any], context: Any) -> dict[str, int]:
        return {"rolled_up": rollups().process(event.get("Records") or [])}

    return bp
