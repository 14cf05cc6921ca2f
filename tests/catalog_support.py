"""Test support for the catalog and keys area: what the audit table holds, and what a table
stores as text."""

from __future__ import annotations

import json
from typing import Any


def audit_log() -> list[dict[str, Any]]:
    """Every audit item, oldest first, with `detail` decoded."""
    from chalicelib.audit.store import LogItem

    items = sorted((i for i in LogItem.scan() if i.sk.startswith("LOG#")), key=lambda i: i.log_id)
    return [{"user_id": i.user_id, "type": i.type, "action": i.action, "actor_id": i.actor_id,
             "detail": json.loads(i.detail or "{}")} for i in items]


def audit_actions(user_id: str | None = None) -> list[str]:
    return [r["action"] for r in audit_log() if user_id is None or r["user_id"] == user_id]


def raw_table_text(settings: Any, table: str) -> str:
    """Everything stored in one table, as text: for searching for secrets."""
    from chalicelib.store.base import all_models

    model = next(m for m in all_models() if m.table == table)
    client = model._get_connection().connection.client  # the very client (and moto account) the app uses
    return json.dumps(client.scan(TableName=model.Meta.table_name)["Items"])
