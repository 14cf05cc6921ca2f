"""JSON helpers: how our values (Decimal money, aware datetimes, pydantic models) become JSON."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from .clock import iso
from .money import fmt


def json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return fmt(value)
    if hasattr(value, "isoformat") and hasattr(value, "tzinfo"):
        return iso(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(value: Any) -> str:
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return json.dumps(value, default=json_default, separators=(",", ":"))


def plain(value: Any) -> Any:
    """JSON-safe copy (Decimals and datetimes as strings) for audit details."""
    return json.loads(json.dumps(value, default=json_default))
