"""Self-service: my quotas and their keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chalice import Blueprint

from ..catalog.schemas import IssuedKeyOut, QuotaList
from ..web.http import Request, api_route

if TYPE_CHECKING:
    from .service import KeysService


def blueprint(keys: Callable[[], KeysService]) -> Blueprint:
    """The caller's quotas and keys."""
    bp = Blueprint(__name__)

    @api_route(bp, "/api/quotas", "GET", response=QuotaList, tags=("keys",))
    def my_quotas(req: Request) -> QuotaList:
        """My quotas with this period's use and their key (prefix only)."""
        return QuotaList.model_validate({"items": keys().quotas_of(req.user.user_id)}, from_attributes=True)

    @api_route(bp, "/api/quotas/{quota_id}/reset-key", "POST", response=IssuedKeyOut, tags=("keys",))
    def reset_my_key(req: Request, quota_id: str) -> IssuedKeyOut:
        """A new key for my quota, shown once; the old key stops working at once."""
        issued = keys().reset_key(quota_id, owner_id=req.user.user_id, actor_id=req.user.user_id,
                                  meta=req.meta)
        return IssuedKeyOut.model_validate(issued, from_attributes=True)

    return bp
