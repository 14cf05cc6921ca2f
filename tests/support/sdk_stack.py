"""The local stack's front server in this process over moto, serving hand-made keys and a
catalog whose models sit on the fake OpenAI-compatible and Anthropic upstreams, reached
through the real UpstreamClient: what the real client SDKs are pointed at in tests/e2e."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from chalicelib.bootstrap import Container
from chalicelib.catalog.routing import ModelRoute, ProviderTargetInfo
from chalicelib.kernel.money import from_micros
from chalicelib.ledger import store as ledger
from chalicelib.proxy.service import ProxyService
from chalicelib.upstreams.client import UpstreamClient

from tests.fakes.upstream_servers import FakeUpstream
from tests.support.proxy_env import build_proxy_env

MODEL_CAP = 1000  # every model's max_output_tokens here


@dataclass(frozen=True)
class SdkStack:
    origin: str  # http://127.0.0.1:<port>; the OpenAI SDK's base_url is origin + "/v1"
    user_id: str  # the user of tests.support.proxy_env.ALICE

    def charges(self) -> list[Decimal]:
        """The user's charges, newest first."""
        return [from_micros(-e.amount) for e in ledger.list_entries(self.user_id) if e.type == "charge"]


def _provider(fake: FakeUpstream, pid: str) -> ProviderTargetInfo:
    return ProviderTargetInfo(provider_id=pid, name=pid, type=fake.kind, base_url=fake.base_url, api_key=fake.api_key)


@contextmanager
def sdk_stack(container: Container, openai_upstream: FakeUpstream,
              anthropic_upstream: FakeUpstream) -> Iterator[SdkStack]:
    """Models `real` and `team/real` (OpenAI-compatible), `claude` (Anthropic) at $1/M in,
    $2/M out; `secret-model` is another group's. Keys: ALICE (1 USD), `sk-kl-poor` (nothing)."""
    from app import app
    from proxy_app import app as proxy_app

    from infra.localstack.front import FrontServer

    env = build_proxy_env(container)
    oa, an = _provider(openai_upstream, "oa"), _provider(anthropic_upstream, "an")
    env.catalog.routes.update({
        "real": ModelRoute("m1", "real", Decimal(1), Decimal(2), MODEL_CAP, ("chat",), ((oa, "gpt-fake-mini"),)),
        "team/real": ModelRoute("m4", "team/real", Decimal(1), Decimal(2), MODEL_CAP, ("chat",),
                                ((oa, "gpt-fake-mini"),)),
        "claude": ModelRoute("m2", "claude", Decimal(1), Decimal(2), MODEL_CAP, ("chat",),
                             ((an, "claude-fake-sonnet"),)),
    })
    env.catalog.groups["default"] = ["real", "team/real", "claude"]
    env.add_key("sk-kl-poor", user_id="u2", quota_id="q2")
    client = UpstreamClient(connect_timeout=1.0, read_timeout=2.0, max_retries=0, sleep=lambda s: None,
                            allow_private=True)
    container.proxy = ProxyService(env.keys, env.catalog, client, container.metering, container.clock)
    server = FrontServer(app, proxy_app, 0)
    server.start()
    try:
        yield SdkStack(server.url, env.key.user_id)
    finally:
        server.stop()
        client.close()
