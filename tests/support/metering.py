"""Hand-made keys, routes and a tiny upstream for metering and proxy tests."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from chalicelib.catalog.routing import ModelRoute, ProviderTargetInfo
from chalicelib.keys.types import KeyInfo
from chalicelib.ledger.store import get_balance, list_entries
from chalicelib.metering.quota_store import KeyStateItem, key_pk
from chalicelib.store.base import all_models


def ensure_keys_table() -> None:
    """The keys area's model creates the `keys` table; create it here if that model is absent."""
    if any(m.table == "keys" and m.creates_table for m in all_models()):
        return
    conn = KeyStateItem._get_connection().connection.client
    names = conn.list_tables()["TableNames"]
    if KeyStateItem.Meta.table_name not in names:
        conn.create_table(
            TableName=KeyStateItem.Meta.table_name, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk")],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        )


def make_key(user_id: str = "u1", *, quota_id: str = "q1", limit_cost: str | None = None,
             limit_tokens: int | None = None, rpm: int | None = None, period: str = "month",
             group: str = "default", ip_allow: tuple[str, ...] = (), expires_at: datetime | None = None,
             store: bool = True, plaintext: str | None = None) -> KeyInfo:
    """A KeyInfo, and (store=True) the key item's `status` the reservation checks."""
    plaintext = plaintext or f"sk-kl-test-{user_id}-{quota_id}"
    key_hash = hashlib.sha256(plaintext.encode()).hexdigest()
    if store:
        ensure_keys_table()
        KeyStateItem(key_pk(key_hash), "KEY", status="active").save()
    return KeyInfo(
        key_id=f"k-{quota_id}", key_hash=key_hash, prefix=plaintext[:12], user_id=user_id, quota_id=quota_id,
        group=group, status="active", expires_at=expires_at, ip_allow=ip_allow, period=period,
        limit_cost=Decimal(limit_cost) if limit_cost is not None else None, limit_tokens=limit_tokens, rpm=rpm,
    )


def revoke(key: KeyInfo) -> None:
    KeyStateItem(key_pk(key.key_hash), "KEY", status="disabled").save()


def make_route(name: str = "gpt-test", *, input_price: str = "1", output_price: str = "2",
               max_output_tokens: int = 1000, providers: tuple[str, ...] = ("p1",),
               capabilities: tuple[str, ...] = ("chat",)) -> ModelRoute:
    targets = tuple(
        (ProviderTargetInfo(provider_id=p, name=p, type="openai", base_url=f"http://127.0.0.1:9/{p}",
                            api_key="sk-upstream"), f"up-{name}")
        for p in providers
    )
    return ModelRoute(model_id=f"m-{name}", name=name, input_price=Decimal(input_price),
                      output_price=Decimal(output_price), max_output_tokens=max_output_tokens,
                      capabilities=capabilities, targets=targets)


def with_status(key: KeyInfo, status: str) -> KeyInfo:
    return replace(key, status=status)


def ledger_sum(user_id: str) -> int:
    return sum(e.amount for e in list_entries(user_id))


def assert_ledger_consistent(user_id: str) -> None:
    """The sum of the entries equals available + held, and nothing is negative."""
    bal = get_balance(user_id)
    assert bal.available >= 0, bal
    assert bal.held >= 0, bal
    assert ledger_sum(user_id) == bal.available + bal.held, (ledger_sum(user_id), bal)


def usage_of(input_tokens: int, output_tokens: int) -> Any:
    from types import SimpleNamespace

    return SimpleNamespace(input_tokens=input_tokens, output_tokens=output_tokens)
