"""Request and response models of the account routes (the HTTP contract, API.md)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from .rules import check_password_policy, normalize_email, normalize_username

# The patterns repeat the services' rules in the schema so clients (and fuzzers) can see them;
# ASCII only, so no Unicode letter can lower-case into an ASCII name (U+212A KELVIN SIGN -> "k").
# Signing in is case-insensitive (a name is stored lower-case); a new name must BE lower-case
# (API.md: 3-32 of a-z0-9_.-): "Alice" is a 400 at registration, not silently "alice".
Username = Annotated[str, Field(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$"),
                     AfterValidator(normalize_username)]
NewUsername = Annotated[str, Field(min_length=3, max_length=32, pattern=r"^[a-z0-9_.-]+$"),
                        AfterValidator(normalize_username)]
Email = Annotated[str, Field(min_length=3, max_length=254,
                             pattern=r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+$"),
                  AfterValidator(normalize_email)]
NewPassword = Annotated[str, Field(min_length=10, max_length=256), AfterValidator(check_password_policy)]
Password = Annotated[str, Field(min_length=1, max_length=256)]
TotpCode = Annotated[str, Field(pattern=r"^[0-9]{6}$")]
RecoveryCode = Annotated[str, Field(min_length=6, max_length=32, pattern=r"^[A-Za-z0-9-]+$")]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class RegisterIn(In):
    username: NewUsername
    email: Email
    password: NewPassword


class VerifyIn(In):
    username: Username
    password: Password
    code: TotpCode


class LoginIn(In):
    username: Username
    password: Password
    totp_code: TotpCode | None = None
    recovery_code: RecoveryCode | None = None


class RefreshIn(In):
    refresh_token: str = Field(min_length=1, max_length=4096)


class CodeIn(In):
    code: TotpCode


class PasswordCodeIn(In):
    password: Password
    code: TotpCode


class PasswordChangeIn(In):
    current_password: Password
    new_password: NewPassword
    code: TotpCode


class PasswordResetIn(In):
    username: Username
    reset_token: str = Field(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")
    new_password: NewPassword
    code: TotpCode


class ResetTokenOut(BaseModel):
    reset_token: str
    expires_at: str


class TotpEnrollment(BaseModel):
    secret: str
    provisioning_uri: str
    qr_svg: str


class RegisterOut(BaseModel):
    user_id: str
    username: str
    status: str
    totp: TotpEnrollment


class VerifyOut(BaseModel):
    model_config = ConfigDict(extra="allow")  # the activation hook adds fields (api_key, ...)

    user_id: str
    status: str
    recovery_codes: list[str]


class TokenOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


class Membership(BaseModel):
    model_config = ConfigDict(extra="allow")

    plan: str | None = None
    expires_at: str | None = None
    auto_renew: bool = False


class MeOut(BaseModel):
    user_id: str
    username: str
    email: str | None
    role: str
    status: str
    membership: Membership
    created_at: str


class StatusOut(BaseModel):
    status: str


class RecoveryCodesOut(BaseModel):
    recovery_codes: list[str]
