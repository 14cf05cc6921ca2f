"""What other domains need to leave an audit item, without depending on the audit service."""

from __future__ import annotations

from typing import Any, Protocol

from ..kernel.context import RequestMeta


class AuditRecorder(Protocol):
    def record(self, *, user_id: str, type: str, action: str, meta: RequestMeta | None = None,
               detail: dict[str, Any] | None = None, actor_id: str | None = None) -> Any: ...
