from __future__ import annotations

import pytest
from chalicelib.upstreams import (
    HealthTracker,
    ProviderError,
    ProviderRejected,
    ProviderTimeout,
    Target,
    call_with_fallback,
)


class Now:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def targets(*ids: str) -> list[Target]:
    return [Target(i, "openai", f"http://{i}", "k", "m") for i in ids]


def scripted(outcomes: dict[str, Exception | str]):
    calls: list[str] = []

    def call(target: Target) -> str:
        calls.append(target.provider_id)
        outcome = outcomes[target.provider_id]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return call, calls


def test_the_next_provider_answers_when_the_first_fails():
    health = HealthTracker()
    call, calls = scripted({"a": ProviderError("down", retryable=True), "b": "answer"})
    outcome = call_with_fallback(targets("a", "b"), call, health)
    assert (outcome.result, outcome.target.provider_id, calls) == ("answer", "b", ["a", "b"])
    assert [(x.provider_id, x.error is None) for x in outcome.attempts] == [("a", False), ("b", True)]
    assert health.get("a").consecutive_failures == 1 and health.get("a").last_error == "down"


def test_a_request_refused_as_invalid_is_not_tried_elsewhere_nor_held_against_the_provider():
    health = HealthTracker()
    call, calls = scripted({"a": ProviderRejected("bad max_tokens"), "b": "answer"})
    with pytest.raises(ProviderRejected) as caught:
        call_with_fallback(targets("a", "b"), call, health)
    assert calls == ["a"] and health.get("a").consecutive_failures == 0
    assert len(caught.value.attempts) == 1


def test_when_every_provider_fails_the_last_error_is_raised_with_all_attempts():
    call, calls = scripted({"a": ProviderError("down"), "b": ProviderTimeout("slow")})
    with pytest.raises(ProviderTimeout) as caught:
        call_with_fallback(targets("a", "b"), call, HealthTracker())
    assert [a.provider_id for a in caught.value.attempts] == ["a", "b"]


def test_a_provider_that_keeps_failing_is_skipped_for_the_cooldown_then_tried_again():
    now = Now()
    health = HealthTracker(threshold=2, cooldown_seconds=30, now=now)
    call, calls = scripted({"a": ProviderError("down"), "b": "answer"})
    for _ in range(2):
        call_with_fallback(targets("a", "b"), call, health)
    assert not health.is_available("a") and health.get("a").unhealthy_until == 1030.0
    calls.clear()
    call_with_fallback(targets("a", "b"), call, health)
    assert calls == ["b"]  # skipped while cooling down
    now.t = 1030.0
    calls.clear()
    call_with_fallback(targets("a", "b"), call, health)
    assert calls == ["a", "b"]


def test_a_success_clears_the_failure_count():
    health = HealthTracker(threshold=3)
    health.record_failure("a", "x")
    health.record_failure("a", "x")
    health.record_success("a")
    assert health.get("a").consecutive_failures == 0 and health.is_available("a")


def test_when_all_are_cooling_down_the_one_that_recovers_first_is_still_tried():
    now = Now()
    health = HealthTracker(threshold=1, cooldown_seconds=30, now=now)
    health.record_failure("a", "x")
    now.t += 10
    health.record_failure("b", "x")
    call, calls = scripted({"a": "answer", "b": "answer"})
    assert call_with_fallback(targets("a", "b"), call, health).target.provider_id == "a"
    assert calls == ["a"]
