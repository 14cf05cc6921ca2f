"""Who is calling and from where: built by the HTTP layer, passed to services."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RequestMeta:
    request_id: str
    ip: str
    user_agent: str


@dataclass(frozen=True)
class Caller:
    """An authenticated portal user (from a verified access token)."""

    user_id: str
    username: str
    role: str
    session_id: str
    token_id: str

    @property
    def is_admin(self) -> bool:
        return self.role == "superadmin"
