"""TOTP (RFC 6238) secrets, enrollment data and code checking; storage of the
accepted step is the caller's, so a code is accepted once (see AccountService)."""

from __future__ import annotations

import io
from datetime import datetime

import pyotp
import segno

from ..kernel.crypto import Cipher
from .types import TotpEnrollment

STEP_SECONDS = 30


class Totp:
    def __init__(self, cipher: Cipher, issuer: str = "KeyLedger") -> None:
        self._cipher = cipher
        self._issuer = issuer

    def new_secret(self) -> str:
        return pyotp.random_base32()

    def encrypt(self, secret: str) -> str:
        return self._cipher.encrypt(secret)

    def decrypt(self, secret_enc: str) -> str:
        return self._cipher.decrypt(secret_enc)

    def enrollment(self, secret: str, username: str) -> TotpEnrollment:
        """What an authenticator app needs: the secret, its provisioning URI and a QR code."""
        uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=self._issuer)
        buffer = io.BytesIO()
        segno.make(uri, error="m").save(buffer, kind="svg", scale=4, xmldecl=False)
        return TotpEnrollment(secret, uri, buffer.getvalue().decode())

    def matching_step(self, secret: str, code: str, at: datetime) -> int | None:
        """The time step (current +-1) whose code equals `code`, or None."""
        code = (code or "").strip()
        if len(code) != 6 or not code.isdigit():
            return None
        totp = pyotp.TOTP(secret)
        now_step = int(at.timestamp()) // STEP_SECONDS
        for step in (now_step, now_step - 1, now_step + 1):
            if pyotp.utils.strings_equal(totp.generate_otp(step), code):
                return step
        return None
