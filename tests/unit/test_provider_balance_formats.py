"""Issue 21: which providers report their remaining credit, and how their documented answers read."""

from __future__ import annotations

from decimal import Decimal

import pytest
from chalicelib.upstreams.balances import ReportedBalance, balance_call, detect_kind, parse_balance

from tests.fakes.balance_servers import documented_answer


@pytest.mark.parametrize(("url", "kind"), [
    ("https://api.deepseek.com", "deepseek"), ("https://api.deepseek.com/v1", "deepseek"),
    ("https://openrouter.ai/api/v1", "openrouter"), ("https://api.moonshot.ai/v1", "moonshot"),
    ("https://api.moonshot.cn/v1", "moonshot"), ("https://api.siliconflow.cn/v1", "siliconflow"),
    ("https://API.SiliconFlow.com/v1", "siliconflow"), ("https://api.openai.com/v1", None),
    ("https://evil.example/api.deepseek.com", None),
])
def test_the_balance_kind_is_detected_by_the_base_urls_host(url, kind):
    assert detect_kind(url) == kind


@pytest.mark.parametrize(("kind", "url"), [
    ("deepseek", "https://api.deepseek.com/user/balance"), ("openrouter", "https://openrouter.ai/api/v1/credits"),
    ("moonshot", "https://api.moonshot.ai/v1/users/me/balance"),
    ("siliconflow", "https://api.siliconflow.cn/v1/user/info"),
])
def test_the_documented_endpoint_is_called_from_the_origin_with_the_key_as_bearer(kind, url):
    base = {"deepseek": "https://api.deepseek.com/v1", "openrouter": "https://openrouter.ai/api/v1",
            "moonshot": "https://api.moonshot.ai/v1", "siliconflow": "https://api.siliconflow.cn/v1"}[kind]
    call = balance_call(kind, base, "sk-abc")
    assert (call.method, call.url, call.headers["Authorization"]) == ("GET", url, "Bearer sk-abc")


@pytest.mark.parametrize(("kind", "base", "currency"), [
    ("deepseek", "https://api.deepseek.com", "USD"), ("openrouter", "https://openrouter.ai/api/v1", "USD"),
    ("moonshot", "https://api.moonshot.ai/v1", "USD"), ("moonshot", "https://api.moonshot.cn/v1", "CNY"),
    ("siliconflow", "https://api.siliconflow.cn/v1", "CNY"), ("siliconflow", "https://api.siliconflow.com/v1", "USD"),
])
def test_each_documented_answer_reads_as_the_remaining_amount(kind, base, currency):
    answer = documented_answer(kind, Decimal("42.17"))
    assert parse_balance(kind, base, answer) == ReportedBalance(Decimal("42.170000"), currency)


def test_deepseek_without_usd_reports_its_first_currency():
    answer = {"is_available": True, "balance_infos": [{"currency": "CNY", "total_balance": "110.00",
                                                       "granted_balance": "10.00", "topped_up_balance": "100.00"}]}
    assert parse_balance("deepseek", "https://api.deepseek.com", answer) == ReportedBalance(Decimal("110"), "CNY")


def test_openrouter_reports_credits_minus_usage():
    answer = {"data": {"total_credits": 100.5, "total_usage": 25.75}}
    assert parse_balance("openrouter", "https://openrouter.ai/api/v1", answer).amount == Decimal("74.75")


@pytest.mark.parametrize(("kind", "answer"), [
    ("deepseek", {"balance_infos": []}), ("deepseek", {"balance_infos": [{"currency": "USD"}]}),
    ("openrouter", {"data": {"total_credits": "lots"}}), ("moonshot", {"data": {"available_balance": True}}),
    ("siliconflow", {"data": {"totalBalance": "NaN"}}), ("siliconflow", []),
])
def test_an_answer_in_another_shape_is_refused(kind, answer):
    with pytest.raises((ValueError, KeyError, TypeError)):  # what the client reports as a malformed answer
        parse_balance(kind, "https://example.com", answer)
