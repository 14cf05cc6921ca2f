"""What the metering service hands out and takes in (plain dataclasses, Decimal money)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from ..kernel.money import q_up, to_micros, token_cost


class TokenUsage(Protocol):
    """The upstream's own counts (`upstreams.types.Usage` fits)."""

    @property
    def input_tokens(self) -> int: ...

    @property
    def output_tokens(self) -> int: ...


MAX_TOKENS = 10**9  # above any real request: an upstream's larger figure is clamped here


@dataclass(frozen=True)
class Tokens:
    input_tokens: int
    output_tokens: int


def bounded_usage(usage: TokenUsage) -> Tokens:
    """Token counts as a charge may use them: whole numbers in 0..MAX_TOKENS (an upstream's
    negative or absurd figure cannot fail a settle or leave a hold behind)."""
    return Tokens(_count(usage.input_tokens), _count(usage.output_tokens))


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return 0
    return min(value, MAX_TOKENS)


UNDER_REPORT_RATIO = 2  # reported output below half of the delivered estimate ...
UNDER_REPORT_SLACK = 32  # ... and short of it by more than this many tokens: not believed


def charged_output(reported: int, delivered: int | None) -> int:
    """The output tokens a charge uses: the upstream's figure, unless the delivered text shows it
    under-reported (ARCHITECTURE.md, Money 2 and 3; docs/internals.md argues the threshold).

    The delivered estimate is ceil(UTF-8 bytes / 4). Honest tokenizers average about 4-5 bytes
    a token on English, 3-4 on code and 1.5-3 on Chinese or Japanese text, so the estimate is
    at most ~1.3x an honest count and usually below it; it passes 2x only for text averaging
    more than 8 bytes a token (long runs of one repeated character). The slack keeps rounding
    on short answers out. An upstream under the threshold is charged the estimate, which the
    settle still caps at the hold; between the two, the upstream's figure stands."""
    if delivered is None or delivered <= reported:
        return reported
    if reported * UNDER_REPORT_RATIO < delivered and delivered - reported > UNDER_REPORT_SLACK:
        return delivered
    return reported


def cost_of(input_tokens: int, output_tokens: int, input_price: Decimal, output_price: Decimal) -> Decimal:
    """Tokens x price per million, rounded up to the micro-dollar (holds and charges alike)."""
    return q_up(token_cost(input_tokens, input_price) + token_cost(output_tokens, output_price))


@dataclass(frozen=True)
class Hold:
    """A reservation made by `reserve`; `settle` or `release` ends it."""

    request_id: str
    user_id: str
    key_id: str
    key_hash: str
    quota_id: str
    period_key: str
    model: str
    amount: Decimal  # the worst-case cost, held
    tokens: int  # tokens reserved on the quota period
    input_price: Decimal
    output_price: Decimal
    ip: str
    created_at: datetime
    expires_at: datetime
    rpm: int | None = None
    rpm_minute: int | None = None

    @property
    def amount_micros(self) -> int:
        return to_micros(self.amount)


@dataclass(frozen=True)
class RecordFields:
    """What the request record says besides tokens and cost."""

    provider: str = ""
    latency_ms: int = 0
    status: int = 200
    endpoint: str = "chat"
    stream: bool = False
    stream_broken: bool = False
    error: str | None = None
    # Output tokens counted on the delivered text (proxy/charging.py), when the caller counted
    # them: an upstream that reports far fewer is charged this instead (`charged_output`).
    delivered_output_tokens: int | None = None


@dataclass(frozen=True)
class Settlement:
    request_id: str
    cost: Decimal  # what the usage cost
    charged: Decimal  # what was debited: the cost, at most the hold
    overage: Decimal  # cost - charged: the upstream used more than the hold allowed (recorded, never charged)
    already_settled: bool = False


@dataclass(frozen=True)
class QuotaUsage:
    period_key: str
    used_cost: Decimal  # settled
    held_cost: Decimal  # in flight
    used_tokens: int
    held_tokens: int
    requests: int
