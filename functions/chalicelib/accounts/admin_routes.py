"""Superadmin user management: list, create, update (API.md: Admin)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Literal

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field

from ..kernel.money import Money
from ..web.http import Request, api_route
from .schemas import Email, In, NewPassword, NewUsername, ResetTokenOut

if TYPE_CHECKING:
    from .admin import AdminUserService
    from .recovery import RecoveryService


Role = Literal["user", "superadmin"]


class UsersQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(default=None, max_length=64)
    status: Literal["pending_totp", "active", "disabled"] | None = None
    role: Role | None = None
    cursor: str | None = Field(default=None, max_length=2048)
    limit: Annotated[int, Field(ge=1, le=100)] = 50


class CreateUserIn(In):
    username: NewUsername
    email: Email | None = None
    password: NewPassword
    role: Role = "user"


class UpdateUserIn(In):
    role: Role | None = None
    status: Literal["active", "disabled"] | None = None
    email: Email | None = None


class AdminUserOut(BaseModel):
    user_id: str
    username: str
    email: str | None
    role: str
    status: str
    created_at: str
    updated_at: str


class UserBalanceOut(BaseModel):
    available: Money
    held: Money


class ListedUserOut(AdminUserOut):
    balance: UserBalanceOut | None
    spend: Money  # spent over the last 30 days


class UsersOut(BaseModel):
    items: list[ListedUserOut]
    next_cursor: str | None


class CreatedUserOut(AdminUserOut):
    """No TOTP secret or recovery codes: the user enrols at first login."""

    model_config = ConfigDict(extra="allow")  # the activation hook adds fields (api_key, ...)


def blueprint(admin_users: Callable[[], AdminUserService], recovery: Callable[[], RecoveryService]) -> Blueprint:
    """Superadmin user management."""
    bp = Blueprint(__name__)

    @api_route(bp, "/api/admin/users", query=UsersQuery, response=UsersOut, auth="admin", tags=("admin",))
    def list_users(req: Request) -> UsersOut:
        """Users newest first with balance and 30-day spend; filter by text, status and role; page with `cursor`."""
        q = req.query
        page = admin_users().list_users(q=q.q, status=q.status, role=q.role, limit=q.limit, cursor=q.cursor)
        return UsersOut.model_validate(page, from_attributes=True)

    @api_route(bp, "/api/admin/users", "POST", body=CreateUserIn, response=CreatedUserOut, status=201, auth="admin",
               tags=("admin",), responses={409: "Username or email taken"})
    def create_user(req: Request) -> CreatedUserOut:
        """Create a user who enrols their own TOTP at first login (403 totp_enrollment_required with a
        new secret, then POST /api/register/verify); the admin never receives a second factor."""
        b = req.body
        created = asdict(admin_users().create_user(req.user, username=b.username, email=b.email,
                                                   password=b.password, role=b.role, meta=req.meta))
        return CreatedUserOut.model_validate({**created.pop("provisioned"), **created})

    @api_route(bp, "/api/admin/users/{user_id}", "PUT", body=UpdateUserIn, response=AdminUserOut, auth="admin",
               tags=("admin",), responses={404: "No such user", 409: "Conflict"})
    def update_user(req: Request, user_id: str) -> AdminUserOut:
        """Change a user's role, status or email; disabling stops their tokens and keys at once."""
        b = req.body
        updated = admin_users().update_user(req.user, user_id, role=b.role, status=b.status, email=b.email,
                                            meta=req.meta)
        return AdminUserOut.model_validate(updated, from_attributes=True)

    @api_route(bp, "/api/admin/users/{user_id}/unlock", "POST", status=204, auth="admin", tags=("admin",),
               responses={404: "No such user"})
    def unlock_user(req: Request, user_id: str) -> None:
        """End the account's sign-in lock at once."""
        admin_users().unlock(req.user, user_id, req.meta)

    @api_route(bp, "/api/admin/users/{user_id}/reset-totp", "POST", status=204, auth="admin", tags=("admin",),
               responses={404: "No such user", 409: "The account is disabled"})
    def reset_totp(req: Request, user_id: str) -> None:
        """Forget the user's TOTP and recovery codes; they enrol a new one at next login."""
        admin_users().reset_totp(req.user, user_id, req.meta)

    @api_route(bp, "/api/admin/users/{user_id}/password-reset-token", "POST", response=ResetTokenOut, status=201,
               auth="admin", tags=("admin",), responses={404: "No such user"})
    def password_reset_token(req: Request, user_id: str) -> ResetTokenOut:
        """A one-time token for the user's POST /api/password/reset (shown once, expires)."""
        token = recovery().issue_reset_token(req.user, user_id, req.meta)
        return ResetTokenOut.model_validate(token, from_attributes=True)

    return bp
