"""Sign-up, activation, sign-in, token refresh and sign-out (API.md: Registration and login)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chalice import Blueprint

from ..web.http import Request, api_route
from .schemas import LoginIn, PasswordResetIn, RefreshIn, RegisterIn, RegisterOut, TokenOut, VerifyIn, VerifyOut

if TYPE_CHECKING:
    from .recovery import RecoveryService
    from .service import AccountService


def blueprint(accounts: Callable[[], AccountService], recovery: Callable[[], RecoveryService]) -> Blueprint:
    """Sign-up, activation, sign-in, token refresh, sign-out and password reset."""
    bp = Blueprint(__name__)

    @api_route(bp, "/api/register", "POST", body=RegisterIn, response=RegisterOut, status=201, auth="none",
               tags=("auth",), responses={409: "Username or email taken", 429: "Too many attempts from this address"})
    def register(req: Request) -> RegisterOut:
        """Create a pending account and return its TOTP enrollment (secret shown once)."""
        b = req.body
        registration = accounts().register(b.username, b.email, b.password, req.meta)
        return RegisterOut.model_validate(registration, from_attributes=True)

    @api_route(bp, "/api/register/verify", "POST", body=VerifyIn, response=VerifyOut, auth="none", tags=("auth",),
               responses={401: "Wrong username, password or code", 409: "Already verified", 423: "Locked",
                          429: "Too many attempts from this address"})
    def verify(req: Request) -> VerifyOut:
        """Activate the account with a first TOTP code; returns 10 recovery codes (shown once)."""
        b = req.body
        verified = accounts().verify_registration(b.username, b.password, b.code, req.meta)
        return VerifyOut.model_validate({**verified.provisioned, "user_id": verified.user_id,
                                         "status": verified.status, "recovery_codes": verified.recovery_codes})

    @api_route(bp, "/api/login", "POST", body=LoginIn, response=TokenOut, auth="none", tags=("auth",),
               responses={401: "Wrong username, password or code", 403: "TOTP enrollment required or account disabled",
                          423: "Locked", 429: "Throttled"})
    def login(req: Request) -> TokenOut:
        """Sign in with password and a TOTP code (or a recovery code)."""
        b = req.body
        pair = accounts().login(b.username, b.password, b.totp_code, b.recovery_code, req.meta)
        return TokenOut.model_validate(pair.as_dict())

    @api_route(bp, "/api/token/refresh", "POST", body=RefreshIn, response=TokenOut, auth="none", tags=("auth",),
               responses={401: "Invalid, expired or reused refresh token"})
    def refresh(req: Request) -> TokenOut:
        """Swap a refresh token for a new pair; the old one stops working."""
        return TokenOut.model_validate(accounts().refresh(req.body.refresh_token, req.meta).as_dict())

    @api_route(bp, "/api/logout", "POST", status=204, tags=("auth",))
    def logout(req: Request) -> None:
        """End this session: its access and refresh tokens stop working at once."""
        accounts().logout(req.user.user_id, req.user.session_id, req.meta)

    @api_route(bp, "/api/password/reset", "POST", body=PasswordResetIn, status=204, auth="none", tags=("auth",),
               responses={401: "Wrong username, token or code, or the token expired",
                          429: "Too many attempts from this address"})
    def password_reset(req: Request) -> None:
        """Set a new password with a one-time token an admin issued (works once, expires)."""
        b = req.body
        recovery().reset_password(b.username, b.reset_token, b.new_password, b.code, req.meta)

    return bp
