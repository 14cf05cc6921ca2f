"""The proxy with every real service on moto, one model served by a `bedrock` provider that
the fake Bedrock on 127.0.0.1 answers (BEDROCK_ENDPOINT_URL set to it, as the local stage does)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from chalicelib.bootstrap import Container
from chalicelib.catalog.types import QuotaLimits
from chalicelib.kernel.settings import Settings, load_settings
from chalicelib.upstreams.types import BedrockSettings

MODEL = "bedrock-haiku"
UPSTREAM_MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
ADMIN = "admin-test"


def bedrock_settings(fake: Any) -> Settings:
    return replace(load_settings(), bedrock_endpoint_url=fake.endpoint_url)


@dataclass
class BedrockProxy:
    container: Container
    provider_id: str
    user_id: str
    quota_id: str
    key: str


def build_bedrock_proxy(container: Container, *, credit: str = "1", profile: str | None = "us",
                        role_arn: str | None = None) -> BedrockProxy:
    """A user with `credit` and a quota on a group serving MODEL (input $1, output $2 per 1M) from Bedrock."""
    admin = container.catalog_admin
    provider = admin.create_provider(name="aws-bedrock", type="bedrock", base_url=None, api_key="",
                                     bedrock=BedrockSettings("us-east-1", profile, role_arn), actor_id=ADMIN, meta=None)
    admin.create_model({"name": MODEL, "provider": provider.provider_id, "upstream_model": UPSTREAM_MODEL,
                        "input_price": Decimal("1"), "output_price": Decimal("2"),
                        "capabilities": ["chat", "tools", "vision"]}, actor_id=ADMIN, meta=None)
    admin.create_group(name="bedrock", models=[MODEL], default_quota=QuotaLimits(), actor_id=ADMIN, meta=None)
    user_id, _ = container.accounts.create_superadmin("bedrockuser", "a long enough test password")
    quota, issued = container.keys.create_quota(user_id=user_id, group="bedrock", limits={}, actor_id=ADMIN,
                                                meta=None)
    if Decimal(credit) > 0:
        container.metering.credit(user_id, Decimal(credit), "topup", "test")
    return BedrockProxy(container, provider.provider_id, user_id, quota.quota_id, issued.key)
