"""The signed-in user's own account: profile, TOTP rotation, recovery codes, password change."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING

from chalice import Blueprint

from ..web.http import Request, api_route
from .schemas import CodeIn, MeOut, PasswordChangeIn, PasswordCodeIn, RecoveryCodesOut, StatusOut, TotpEnrollment

if TYPE_CHECKING:
    from .recovery import RecoveryService
    from .security import AccountSecurityService
    from .service import AccountService


def blueprint(accounts: Callable[[], AccountService], security: Callable[[], AccountSecurityService],
              recovery: Callable[[], RecoveryService]) -> Blueprint:
    """The caller's own account: profile, TOTP rotation, recovery codes, password change."""
    bp = Blueprint(__name__)

    @api_route(bp, "/api/me", response=MeOut, tags=("account",))
    def me(req: Request) -> MeOut:
        """The caller's profile and membership."""
        return MeOut.model_validate(asdict(accounts().profile(req.user.user_id)))  # the membership's extras too

    @api_route(bp, "/api/totp/secret", response=TotpEnrollment, tags=("account",))
    def totp_secret(req: Request) -> TotpEnrollment:
        """Start a TOTP rotation: a new pending secret, confirmed by POST /api/totp/enable."""
        enrollment = security().start_totp_rotation(req.user, req.meta)
        return TotpEnrollment.model_validate(enrollment, from_attributes=True)

    @api_route(bp, "/api/totp/enable", "POST", body=CodeIn, response=StatusOut, tags=("account",),
               responses={409: "No rotation started"})
    def totp_enable(req: Request) -> StatusOut:
        """Confirm the pending secret with a code from it; the old secret stops working."""
        enabled = security().enable_totp(req.user, req.body.code, req.meta)
        return StatusOut.model_validate(enabled, from_attributes=True)

    @api_route(bp, "/api/totp/disable", "POST", body=PasswordCodeIn, response=StatusOut, tags=("account",),
               responses={409: "TOTP is required by this deployment", 423: "Locked after repeated failures"})
    def totp_disable(req: Request) -> StatusOut:
        """Turn TOTP off (refused while the deployment requires TOTP)."""
        b = req.body
        disabled = security().disable_totp(req.user, b.password, b.code, req.meta)
        return StatusOut.model_validate(disabled, from_attributes=True)

    @api_route(bp, "/api/recovery-codes", "POST", body=PasswordCodeIn, response=RecoveryCodesOut, tags=("account",),
               responses={423: "Locked after repeated failures"})
    def recovery_codes(req: Request) -> RecoveryCodesOut:
        """Replace every recovery code with 10 fresh ones (shown once)."""
        b = req.body
        codes = security().new_recovery_codes(req.user, b.password, b.code, req.meta)
        return RecoveryCodesOut.model_validate(codes, from_attributes=True)

    @api_route(bp, "/api/password/change", "POST", body=PasswordChangeIn, status=204, tags=("account",),
               responses={401: "Wrong password or code", 423: "Locked"})
    def password_change(req: Request) -> None:
        """Change the password (current password + TOTP code); every other session ends."""
        b = req.body
        recovery().change_password(req.user, b.current_password, b.new_password, b.code, req.meta)

    return bp
