"""A container wired with the real metering service and hand-made keys, catalog, upstream."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from chalicelib.bootstrap import Container
from chalicelib.kernel.context import RequestMeta
from chalicelib.kernel.ids import new_id
from chalicelib.keys.types import KeyInfo
from chalicelib.proxy.service import ProxyService

from tests.support.metering import make_key, make_route
from tests.support.proxy_fakes import FakeCatalog, FakeKeys, FakeUpstream

ALICE = "sk-kl-alice"


@dataclass
class ProxyEnv:
    container: Container
    keys: FakeKeys
    catalog: FakeCatalog
    upstream: FakeUpstream
    key: KeyInfo

    @property
    def proxy(self) -> ProxyService:
        return self.container.proxy

    def add_key(self, plaintext: str, **kw: Any) -> KeyInfo:
        info = make_key(plaintext=plaintext, **kw)
        self.keys.add(plaintext, info)
        return info


def build_proxy_env(container: Container, credit: str = "1", **key_kw: Any) -> ProxyEnv:
    keys = FakeKeys()
    catalog = FakeCatalog(
        [make_route("gpt-test", providers=("p1", "p2")), make_route("solo", providers=("p1",)),
         make_route("emb-test", input_price="0.1", output_price="0", capabilities=("embeddings",)),
         make_route("secret-model")],
        {"default": ["gpt-test", "solo", "emb-test"], "other": ["secret-model"]},
    )
    upstream = FakeUpstream()
    container.metering  # noqa: B018 - built before the proxy that uses it
    # Handed in through the container, as the composition root would build them.
    container.proxy = ProxyService(keys, catalog, upstream, container.metering, container.clock)  # type: ignore[misc]
    env = ProxyEnv(container, keys, catalog, upstream, make_key())
    env.key = env.add_key(ALICE, **key_kw)
    if Decimal(credit) > 0:
        container.metering.credit(env.key.user_id, Decimal(credit), "topup", "test")
    return env


def meta(ip: str = "10.0.0.1") -> RequestMeta:
    return RequestMeta(request_id=new_id(), ip=ip, user_agent="test")


def chat_body(model: str = "gpt-test", max_tokens: int = 100, **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": "hi"}], "max_tokens": max_tokens, **extra}
