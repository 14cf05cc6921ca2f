"""The upstream client reads the environment's proxy settings once per provider origin."""

from __future__ import annotations

from chalicelib.upstreams.client import UpstreamClient


def test_proxies_come_from_the_environment_and_no_proxy_is_honoured(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    monkeypatch.setenv("NO_PROXY", "internal.test")
    client = UpstreamClient()
    assert client.proxies_for("https://api.example.com/v1/chat/completions")["https"] == "http://proxy.test:3128"
    assert client.proxies_for("https://internal.test/v1/chat/completions") == {}
    client.close()


def test_the_environment_is_read_once_per_origin_not_per_request(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    client = UpstreamClient()
    first = client.proxies_for("https://api.example.com/v1/chat/completions")
    monkeypatch.setenv("HTTPS_PROXY", "http://other.test:8080")
    assert client.proxies_for("https://api.example.com/v1/embeddings") == first
    assert client.session.trust_env is False  # requests itself does not rescan os.environ per call
    client.close()


def test_a_ca_bundle_from_the_environment_is_kept(monkeypatch, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not checked here")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    client = UpstreamClient()
    assert client.session.verify == str(bundle)
    client.close()
