"""Admin: quotas (user x model group) and their keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chalice import Blueprint

from ..catalog.schemas import (
    IssuedKeyList,
    IssuedKeyOut,
    QuotaCreated,
    QuotaIn,
    QuotaList,
    QuotaOut,
    QuotaQuery,
    QuotaUpdate,
)
from ..web.http import Request, api_route

if TYPE_CHECKING:
    from .service import KeysService

TAGS = ("admin",)
_LIMIT_FIELDS = ("period", "limit_cost", "limit_tokens", "rpm", "warn_at", "auto_renew", "allow_own_providers")


def blueprint(keys: Callable[[], KeysService]) -> Blueprint:
    """Admin: quotas (user x model group) and their keys."""
    bp = Blueprint(__name__)

    @api_route(bp, "/api/admin/quotas", "GET", auth="admin", query=QuotaQuery, response=QuotaList, tags=TAGS)
    def list_quotas(req: Request) -> QuotaList:
        """Quotas of one user (`user_id`), or every quota paged by `cursor`."""
        q = req.query
        items, cursor = keys().list_quotas(user_id=q.user_id, limit=q.limit, cursor=q.cursor)
        return QuotaList.model_validate({"items": items, "next_cursor": cursor}, from_attributes=True)

    @api_route(bp, "/api/admin/quotas", "POST", auth="admin", body=QuotaIn, response=QuotaCreated, status=201,
               tags=TAGS)
    def create_quota(req: Request) -> QuotaCreated:
        """Give a user a quota on a group; limit fields left out come from the group's
        default_quota and are named in `defaults_applied`. The answer carries its key, shown this once."""
        b = req.body
        given = b.model_dump(exclude_unset=True)
        view, issued = keys().create_quota(
            user_id=b.user_id, group=b.group, limits={k: given[k] for k in _LIMIT_FIELDS if k in given},
            expires_at=b.expires_at, ip_allow=b.ip_allow, actor_id=req.user.user_id, meta=req.meta)
        defaults = [k for k in _LIMIT_FIELDS if k not in given]
        return QuotaCreated.model_validate({**vars(view), "api_key": issued, "defaults_applied": defaults},
                                           from_attributes=True)

    @api_route(bp, "/api/admin/quotas/{id}", "PUT", auth="admin", body=QuotaUpdate, response=QuotaOut, tags=TAGS)
    def update_quota(req: Request, id: str) -> QuotaOut:
        """Change a quota's limits or its key's expiry and IP allow-list."""
        view = keys().update_quota(id, req.body.model_dump(exclude_unset=True), actor_id=req.user.user_id,
                                   meta=req.meta)
        return QuotaOut.model_validate(view, from_attributes=True)

    @api_route(bp, "/api/admin/quotas/{id}", "DELETE", auth="admin", status=204, tags=TAGS)
    def delete_quota(req: Request, id: str) -> None:
        """Remove a quota; its key stops working at once."""
        keys().delete_quota(id, actor_id=req.user.user_id, meta=req.meta)

    @api_route(bp, "/api/admin/quotas/{id}/reset_api_key", "POST", auth="admin", response=IssuedKeyOut, tags=TAGS)
    def reset_quota_key(req: Request, id: str) -> IssuedKeyOut:
        """A new key for the quota, shown once; the old one stops working at once."""
        issued = keys().reset_key(id, actor_id=req.user.user_id, meta=req.meta)
        return IssuedKeyOut.model_validate(issued, from_attributes=True)

    @api_route(bp, "/api/admin/users/{user_id}/reset-all-keys", "POST", auth="admin", response=IssuedKeyList, tags=TAGS)
    def reset_all_keys(req: Request, user_id: str) -> IssuedKeyList:
        """Replace every key of a user; the new keys are shown once."""
        issued = keys().reset_all_keys(user_id, actor_id=req.user.user_id, meta=req.meta)
        return IssuedKeyList.model_validate({"items": issued}, from_attributes=True)

    return bp
