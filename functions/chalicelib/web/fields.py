"""Body field types that accept what the OpenAPI schema says, and nothing looser.

pydantic's lax mode reads the string "5" as the integer 5, true as 1, and "yes" or 1 as true.
A JSON body has real types: an integer field takes a JSON integer (5.0 is one, as JSON Schema
says), a boolean field takes true or false, and anything else answers 400 `validation_error`.
A time is an ISO 8601 string, never a number read as a Unix time. Query parameters arrive as
text and keep pydantic's lax types, except dates (`Day`), which refuse what is not a date.
Amounts a client sends are `PositiveMoney` / `NonNegativeMoney` (core/money.py): decimal
strings only, as API.md says.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool
from pydantic_core import PydanticCustomError

from ..kernel.clock import parse_iso


def _json_integer(value: object) -> object:
    if isinstance(value, (bool, str)):
        raise PydanticCustomError("int_type", "Input should be a JSON integer, not {kind}",
                                  {"kind": "a boolean" if isinstance(value, bool) else "a string"})
    return value


NoCoercion = BeforeValidator(_json_integer)
"""Put last in an integer field's Annotated, after its Field limits:
`Annotated[int, Field(ge=0), NoCoercion]` (placed before them, pydantic would write the
limits into the OpenAPI schema as unknown keys instead of minimum/maximum)."""

JsonBool = StrictBool


def _json_time(value: object) -> object:
    if isinstance(value, (str, datetime)):
        return value
    raise PydanticCustomError("datetime_type", "Input should be an ISO 8601 time such as 2026-11-21T12:00:00Z")


def _as_utc(value: datetime) -> datetime:
    return parse_iso(value.isoformat())


When = Annotated[datetime, BeforeValidator(_json_time), AfterValidator(_as_utc)]
"""An ISO 8601 time in a body, in UTC (a time without an offset is taken as UTC)."""


def _day(value: Any) -> Any:
    """`2026-11-21` or a full ISO time (its UTC day is taken); nothing else. Without this,
    pydantic would read a number such as `-2.4e-104` as a Unix time (1970-01-01)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("expected a date such as 2026-11-21")
    try:
        return date.fromisoformat(value) if len(value) == 10 else parse_iso(value).date()
    except ValueError as exc:
        raise ValueError("expected a date such as 2026-11-21 or an ISO 8601 time") from exc


Day = Annotated[date, BeforeValidator(_day)]


Cursor = Annotated[str, Field(max_length=4096)]  # an opaque page cursor (kernel.cursors)
Limit = Annotated[int, Field(ge=1, le=100)]  # a page size


class In(BaseModel):
    """Base of an input model: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")
