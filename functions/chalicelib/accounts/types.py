"""What the accounts services answer (routes turn them into their schemas)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..ledger.types import Membership


@dataclass(frozen=True)
class AccountView:
    """A user's public fields (never hashes or secrets)."""

    user_id: str
    username: str
    email: str | None
    role: str
    status: str
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class Profile(AccountView):
    """`/api/me`: the public fields and the membership."""

    membership: Membership


@dataclass(frozen=True)
class ListedAccount(AccountView):
    """A row of the admin's user list."""

    balance: dict[str, Decimal] | None  # {available, held}; None for a user who never had money
    spend: Decimal  # over the last 30 days


@dataclass(frozen=True)
class AccountsPage:
    items: list[ListedAccount]
    next_cursor: str | None


@dataclass(frozen=True)
class CreatedAccount(AccountView):
    """An admin-created account, with what its activation provisioned (the first key, ...)."""

    provisioned: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TotpEnrollment:
    """What an authenticator app needs (the secret is shown once)."""

    secret: str
    provisioning_uri: str
    qr_svg: str


@dataclass(frozen=True)
class Registration:
    user_id: str
    username: str
    status: str
    totp: TotpEnrollment


@dataclass(frozen=True)
class Verified:
    """An activated account's recovery codes (shown once) and what its activation provisioned."""

    user_id: str
    status: str
    recovery_codes: list[str]
    provisioned: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RecoveryCodes:
    recovery_codes: list[str]


@dataclass(frozen=True)
class TotpStatus:
    status: str  # enabled | disabled


@dataclass(frozen=True)
class ResetToken:
    reset_token: str  # shown once; only its hash is kept
    expires_at: str
