from __future__ import annotations

import pytest
from chalicelib.kernel.errors import BadRequest, UpstreamError, UpstreamTimeout
from chalicelib.upstreams import ProviderError, ProviderRejected, Target, UpstreamClient
from chalicelib.upstreams.failures import retry_after_seconds, scrub, status_error

TARGET = Target("p1", "openai", "https://x/v1", "sk-live-0123456789abcdef", "m")


@pytest.mark.parametrize(("status", "cls", "retryable", "fallback"), [
    (500, ProviderError, True, True), (503, ProviderError, True, True), (529, ProviderError, True, True),
    (429, ProviderError, True, True), (401, ProviderError, False, True), (404, ProviderError, False, True),
    (400, ProviderRejected, False, False), (422, ProviderRejected, False, False),
])
def test_upstream_statuses_map_to_error_classes(status, cls, retryable, fallback):
    err = status_error(TARGET, status, "msg", None)
    assert type(err) is cls and err.upstream_status == status
    assert (err.retryable, err.fallback, err.provider_id) == (retryable, fallback, "p1")


def test_errors_are_core_errors_so_the_http_mapping_answers_them():
    assert issubclass(ProviderError, UpstreamError) and ProviderError("x").status == 502
    from chalicelib.upstreams import ProviderTimeout
    assert issubclass(ProviderTimeout, UpstreamTimeout) and ProviderTimeout("x").status == 504
    assert issubclass(ProviderRejected, BadRequest)


def test_a_401_never_carries_the_upstream_text_which_may_echo_the_key():
    err = status_error(TARGET, 401, "Incorrect API key provided: sk-live-****cdef", None)
    assert "sk-" not in err.message and "cdef" not in err.message


def test_upstream_messages_are_scrubbed_of_the_key_and_key_like_tokens():
    assert scrub("bad key sk-live-0123456789abcdef here", TARGET) == "bad key *** here"
    assert scrub("echo sk-other-98765432 and api_abcd1234", TARGET) == "echo *** and ***"


def test_retry_after_accepts_seconds_and_http_dates():
    assert retry_after_seconds("3", 0) == 3.0
    assert retry_after_seconds("Thu, 01 Jan 1970 00:00:10 GMT", 4.0) == 6.0
    assert retry_after_seconds("soon", 0) is None and retry_after_seconds(None, 0) is None


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap():
    client = UpstreamClient(backoff_base=0.5, backoff_cap=2.0, jitter=lambda: 0.0)
    assert [client._delay(n, None) for n in range(4)] == [0.25, 0.5, 1.0, 1.0]
    assert client._delay(0, 3.0) == 3.0  # Retry-After wins over a shorter backoff
    assert client._delay(0, 60.0) is None  # beyond retry_after_cap: do not wait, give up


def test_client_takes_timeouts_and_retries_from_settings(settings):
    client = UpstreamClient.from_settings(settings)
    assert client.timeouts == (settings.upstream_connect_timeout, settings.upstream_read_timeout)
    assert client.max_retries == settings.upstream_max_retries


def test_the_container_builds_one_upstream_client_from_settings(settings):
    from chalicelib.bootstrap import Container

    c = Container(settings)
    assert c.upstream_client is c.upstream_client
    assert c.upstream_client.max_retries == settings.upstream_max_retries
