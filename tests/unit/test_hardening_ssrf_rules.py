"""Issue 17: the SSRF guard's address rules and the scrubbing of upstream text (no network)."""

from __future__ import annotations

import pytest
from chalicelib.upstreams.address_policy import ForbiddenAddress, check_peer, forbidden_host
from chalicelib.upstreams.redact import redact_secrets

# Every target here must be refused when private addresses are not allowed.
SSRF_TARGETS = [
    "http://127.0.0.1:8000/v1", "http://2130706433/v1", "http://0x7f.1/v1", "http://127.1/v1",
    "http://0177.0.0.1/v1", "http://[::1]:8080/v1", "http://[::ffff:127.0.0.1]/v1", "http://localhost:9000",
    "http://169.254.169.254/latest/meta-data", "http://[fe80::1]/v1", "http://[fd00:ec2::254]/v1",
    "http://10.0.0.5/v1", "http://172.16.3.4/v1", "http://192.168.1.1/v1", "http://100.64.0.1/v1",
    "http://0.0.0.0:80/v1", "http://2852039166/latest",  # 169.254.169.254 as one number
]


@pytest.mark.parametrize("url", SSRF_TARGETS)
def test_a_non_public_literal_address_is_refused(url):
    assert forbidden_host(url, allow_private=False) is not None


@pytest.mark.parametrize("url", ["https://api.openai.com/v1", "https://8.8.8.8/v1", "https://[2606:4700::1111]/v1",
                                 "https://1e100.net/v1", "https://deadbeef.example/v1"])
def test_public_addresses_and_host_names_pass_the_literal_check(url):
    assert forbidden_host(url, allow_private=False) is None


def test_the_local_setting_allows_loopback_and_private_but_never_link_local_metadata():
    assert forbidden_host("http://127.0.0.1:8000/v1", allow_private=True) is None
    assert forbidden_host("http://10.0.0.5/v1", allow_private=True) is None
    assert forbidden_host("http://169.254.169.254/latest", allow_private=True) is not None
    with pytest.raises(ForbiddenAddress):
        check_peer("metadata", "169.254.169.254", allow_private=True)


def test_a_connection_to_a_resolved_private_address_is_refused():
    with pytest.raises(ForbiddenAddress):
        check_peer("rebound.example", "127.0.0.1", allow_private=False)
    check_peer("api.example", "93.184.216.34", allow_private=False)


@pytest.mark.parametrize("text", [
    "invalid key sk-proj-abc123def456ghi789",
    "aws_key=AKIAIOSFODNN7EXAMPLE rejected",
    "config: aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc",
    "session 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 expired",
    "token dGhpcyBpcyBhIHNlY3JldCB0b2tlbiB2YWx1ZSAxMjM0NTY3OA== refused",
    '{"password": "hunter2hunter2"}',
])
def test_secret_shaped_text_is_scrubbed(text):
    scrubbed = redact_secrets(text)
    assert "***" in scrubbed
    for secret in ("abc123def456", "AKIAIOSFODNN7", "wJalrXUtnFEMI", "eyJhbGci", "9f86d0818", "dGhpcyBp",
                   "hunter2"):
        assert secret not in scrubbed


def test_ordinary_error_text_is_kept():
    text = "The model `gpt-4o` does not exist or you do not have access to it."
    assert redact_secrets(text) == text
