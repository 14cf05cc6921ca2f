"""The proxy with every real service (keys, catalog, metering, upstream client) on moto,
pointed at a fake OpenAI-compatible upstream on 127.0.0.1."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from chalicelib.bootstrap import Container
from chalicelib.catalog.types import QuotaLimits

MODEL = "real-chat"


@dataclass
class RealProxy:
    container: Container
    user_id: str
    quota_id: str
    key: str

    def chat(self, container: Container | None = None, **body: Any) -> Any:
        from tests.support.proxy_env import chat_body, meta

        return (container or self.container).proxy.chat(self.key, chat_body(model=MODEL, **body), meta())


def build_real_proxy(container: Container, upstream: Any, credit: str = "1", **limits: Any) -> RealProxy:
    """A user with `credit` and one quota (`limits`) on a group serving MODEL from `upstream`."""
    admin = "admin-test"
    provider = container.catalog_admin.create_provider(name="fake", type="openai", base_url=upstream.base_url,
                                                       api_key=upstream.api_key, actor_id=admin, meta=None)
    container.catalog_admin.create_model({"name": MODEL, "provider": provider.provider_id,
                                          "upstream_model": "gpt-fake-mini", "input_price": Decimal("1"),
                                          "output_price": Decimal("2")}, actor_id=admin, meta=None)
    container.catalog_admin.create_group(name="real", models=[MODEL], default_quota=QuotaLimits(), actor_id=admin,
                                         meta=None)
    user_id, _ = container.accounts.create_superadmin("proxyuser", "a long enough test password")
    quota, issued = container.keys.create_quota(user_id=user_id, group="real", limits=limits, actor_id=admin,
                                                meta=None)
    if Decimal(credit) > 0:
        container.metering.credit(user_id, Decimal(credit), "topup", "test")
    return RealProxy(container, user_id, quota.quota_id, issued.key)
