"""Money is Decimal, six places, serialised as a string ("12.500000"), never float."""

from __future__ import annotations

import re
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal
from typing import Annotated

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

PLACES = Decimal("0.000001")
ZERO = Decimal("0")
MILLION = Decimal(1_000_000)


def q(amount: Decimal) -> Decimal:
    """Round to six places (banker's rounding), the precision of every stored amount."""
    return amount.quantize(PLACES, rounding=ROUND_HALF_EVEN)


def q_up(amount: Decimal) -> Decimal:
    """Round up to six places: for holds, which must never be smaller than the cost."""
    return amount.quantize(PLACES, rounding=ROUND_CEILING)


def fmt(amount: Decimal) -> str:
    return format(q(amount), "f")


def to_micros(amount: Decimal) -> int:
    """USD as integer micro-dollars, the unit DynamoDB counters hold (rounds half-even to the
    micro-dollar; amounts are six-place Decimals already, so this is exact for them)."""
    return int((amount * MILLION).to_integral_value())


def from_micros(micros: int | float) -> Decimal:
    """Integer micro-dollars back to a six-place USD Decimal."""
    return q(Decimal(int(micros)) / MILLION)


def token_cost(tokens: int, price_per_million: Decimal) -> Decimal:
    return Decimal(tokens) * price_per_million / MILLION


def _parse(value: object) -> object:
    # Floats are refused: "0.1" as a float is not 0.1. JSON numbers reach us as Decimal
    # (bodies are parsed with parse_float=Decimal), strings and ints are exact.
    if isinstance(value, float):
        raise ValueError("send amounts as decimal strings, e.g. \"12.50\"")
    return value


_SCHEMA = {"type": "string", "pattern": r"^-?\d+(\.\d{1,6})?$", "examples": ["12.500000"]}

Money = Annotated[
    Decimal,
    BeforeValidator(_parse),
    Field(allow_inf_nan=False, max_digits=18, decimal_places=6),
    PlainSerializer(fmt, return_type=str, when_used="json"),
    WithJsonSchema(_SCHEMA),
]
"""A signed amount in USD."""


_DECIMAL_STRING = re.compile(r"\d+(\.\d{1,6})?", re.ASCII)


def _sent_as_text(value: object) -> object:
    # A JSON number reaches us as int or Decimal, indistinguishable from a Python amount: the
    # types below are for what clients send, so only the documented decimal string is taken.
    # Decimal() itself is lenient ("1e3", "1_000", "+5", " 5", "Infinity"): the pattern is not.
    if isinstance(value, str) and _DECIMAL_STRING.fullmatch(value):
        return value
    raise PydanticCustomError("decimal_string",
                              'Send amounts as decimal strings of digits with up to 6 decimals, e.g. "12.50"')


_UNSIGNED = WithJsonSchema({**_SCHEMA, "pattern": r"^\d+(\.\d{1,6})?$"})
PositiveMoney = Annotated[Money, Field(gt=0), BeforeValidator(_sent_as_text), _UNSIGNED]
"""An amount a client sends (a request body): a decimal string greater than zero."""
NonNegativeMoney = Annotated[Money, Field(ge=0), BeforeValidator(_sent_as_text), _UNSIGNED]
"""An amount a client sends (a request body): a decimal string, zero or more."""
