"""What the accounts services answer (routes turn them into their schemas)."""

from __future__ import annotations

from dataclasses import dataclass

from ..ledger.types import Membership


@dataclass(frozen=True)
class Profile:
    """`/api/me`: the user's public fields (never hashes or secrets) and membership."""

    user_id: str
    username: str
    email: str | None
    role: str
    status: str
    created_at: str
    updated_at: str
    membership: Membership
