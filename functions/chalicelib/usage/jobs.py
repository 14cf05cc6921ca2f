"""The usage table's stream processor: new request records are added to the rollups.

On AWS an event source mapping (template.yaml, `RollUpUsageStream`) invokes this function with
batches of the usage table's stream; it sums each batch per rollup item and counts each
request once, however often Lambda delivers it (`usage/rollups.py`). A failed batch is retried
by Lambda; nothing is lost while the stream keeps it (24 hours).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from ..kernel.locator import service

if TYPE_CHECKING:
    from .rollups import UsageRollups

bp = Blueprint(__name__)


def _rollups() -> UsageRollups:
    return service("UsageRollups")


@bp.lambda_function(name="roll_up_usage")
def roll_up_usage(event: dict[str, Any], context: Any) -> dict[str, int]:
    return {"rolled_up": _rollups().process(event.get("Records") or [])}
