"""What happens in other domains when an account turns active or is disabled.

Active: the new user gets its default quota and key (keys) and its sign-up credit (metering's
credit, one ledger entry). Disabled: every key of the user stops working at once; enabled
again: those keys work again."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..kernel.context import RequestMeta
from ..keys.service import KeysService
from ..ledger.types import Crediting


class Activation:
    def __init__(self, keys: KeysService, credits: Crediting, signup_credit: Decimal) -> None:
        self._keys = keys
        self._credits = credits
        self._signup_credit = signup_credit

    def activated(self, user_id: str, meta: RequestMeta | None) -> dict[str, Any]:
        """Returns extra fields for the verify response (the new key, shown once)."""
        extras: dict[str, Any] = {}
        issued = self._keys.provision_default(user_id, meta)
        if issued is not None:
            extras["api_key"] = issued.as_dict()  # {key_id, key, prefix, quota_id}; shown once
        if self._signup_credit > 0:
            # Called once per account, when it turns active (the accounts area's status change).
            self._credits.credit(user_id, self._signup_credit, "signup_credit", "signup", request=meta)
        return extras

    def disabled(self, user_id: str, meta: RequestMeta | None) -> None:
        self._keys.disable_user_keys(user_id, meta)

    def enabled(self, user_id: str, meta: RequestMeta | None) -> None:
        """A disabled user is active again: the keys disabled with them work again."""
        self._keys.restore_user_keys(user_id, meta)
