"""An upstream that reports far fewer output tokens than the delivered text holds is charged the
delivered estimate (capped at the hold) and the request keeps its figure for the admins; an
honest upstream, whose count differs from the byte estimate by tokenizer variance, is charged
its own figure."""

from __future__ import annotations

from decimal import Decimal

import pytest
from chalicelib.kernel.ids import new_id
from chalicelib.metering.types import UNDER_REPORT_RATIO, UNDER_REPORT_SLACK, RecordFields, charged_output
from chalicelib.usage import store as usage

from tests.support.metering import assert_ledger_consistent, make_key, make_route, usage_of

# make_route(): $1/M in, $2/M out, a 1,000-token output cap: 100 prompt tokens hold $0.0021.


@pytest.mark.parametrize(("reported", "delivered", "charged"), [
    (100, 130, 100),  # English at ~5 bytes a token: the byte estimate runs above an honest count
    (100, 199, 100),  # under twice the report: tokenizer variance, believed
    (100, 80, 100),  # Chinese text, code: the estimate is below the count; never lowered
    (10, 40, 10),  # a short answer: within the slack
    (1, 500, 500),  # one token for 2,000 delivered bytes: not believed
    (0, 50, 50),
])
def test_the_report_stands_unless_far_below_the_delivered_text(reported, delivered, charged):
    assert charged_output(reported, delivered) == charged
    assert charged_output(reported, None) == reported  # nothing counted: nothing to check against


def test_the_threshold_is_twice_the_report_and_a_slack_of_tokens():
    assert (UNDER_REPORT_RATIO, UNDER_REPORT_SLACK) == (2, 32)
    assert charged_output(100, 201) == 201 and charged_output(100, 200) == 100


def _settle(container, clock, reported_out: int, delivered: int):
    metering = container.metering
    hold = metering.reserve(make_key(), make_route(), 100, None, new_id(clock.now()), clock.now())
    settled = metering.settle(hold, usage_of(100, reported_out),
                              RecordFields(provider="p1", delivered_output_tokens=delivered))
    return settled, usage.get_record("u1", hold.request_id)


def test_an_under_report_is_charged_the_delivered_estimate_and_recorded(container, clock):
    container.metering.credit("u1", Decimal("1"), "topup", "t")
    settled, record = _settle(container, clock, reported_out=3, delivered=400)
    assert settled.charged == Decimal("0.0009")  # 100 x $1/M + 400 x $2/M
    assert (record.output_tokens, record.reported_output_tokens, record.outcome) == (400, 3, "usage_under_reported")
    assert_ledger_consistent("u1")


def test_an_honest_report_is_charged_as_reported_and_records_nothing_more(container, clock):
    container.metering.credit("u1", Decimal("1"), "topup", "t")
    settled, record = _settle(container, clock, reported_out=300, delivered=380)
    assert settled.charged == Decimal("0.0007")  # 100 x $1/M + 300 x $2/M
    assert (record.output_tokens, record.reported_output_tokens, record.outcome) == (300, None, "ok")


def test_the_delivered_estimate_is_still_capped_at_the_hold(container, clock):
    container.metering.credit("u1", Decimal("1"), "topup", "t")
    settled, record = _settle(container, clock, reported_out=1, delivered=50_000)
    assert settled.charged == Decimal("0.0021") and settled.overage > 0  # the hold; the rest is overage
    assert record.reported_output_tokens == 1 and record.overage > 0
    assert container.metering.balance("u1").available == Decimal("1") - Decimal("0.0021")
    assert_ledger_consistent("u1")
