"""Body field types that accept what the OpenAPI schema says, and nothing looser.

pydantic's lax mode reads the string "5" as the integer 5, true as 1, and "yes" or 1 as true.
A JSON body has real types: an integer field takes a JSON integer (5.0 is one, as JSON Schema
says), a boolean field takes true or false, and anything else answers 400 `validation_error`.
Query parameters arrive as text and keep pydantic's lax types.
"""

from __future__ import annotations

from pydantic import BeforeValidator, StrictBool
from pydantic_core import PydanticCustomError


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
