"""Portal tokens: short-lived access JWTs and rotating refresh JWTs, both tied to a session.

Both are HS256 with the algorithm pinned on decode and carry `sub`, `sid`, `jti`, `iat`,
`exp`, `typ` and `ver` (the user's token version). A session item holds the jti of its one
valid refresh token: refreshing swaps it conditionally, so presenting an older refresh token
(a stolen copy, or a race) revokes the whole session. Logout revokes the session, so its
access and refresh tokens stop at once; bumping the user's token version stops them all.
Expiry is checked against the injected clock, not the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt

from ..audit.service import AuditService
from ..kernel.clock import Clock, iso
from ..kernel.context import Caller, RequestMeta
from ..kernel.crypto import keyed_hash
from ..kernel.errors import Unauthorized
from ..kernel.ids import new_id
from ..kernel.settings import Settings
from .store import Session, User, UsersStore

ALGORITHM = "HS256"
_CLAIMS = ("sub", "sid", "jti", "iat", "exp", "typ", "ver")


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int

    def as_dict(self) -> dict[str, Any]:
        return {"access_token": self.access_token, "refresh_token": self.refresh_token,
                "token_type": "bearer", "expires_in": self.expires_in}


def _invalid(message: str = "The token is not valid or has expired.") -> Unauthorized:
    return Unauthorized(message, code="invalid_token")


class TokenService:
    def __init__(self, settings: Settings, clock: Clock, users: UsersStore, audit: AuditService) -> None:
        self._settings = settings
        self._clock = clock
        self._users = users
        self._audit = audit
        # A key of its own, derived from SECRET_KEY, so tokens cannot be confused with other MACs.
        self._key = keyed_hash(settings.secret_key, "keyledger-jwt-v1")

    def start_session(self, user: User, meta: RequestMeta | None) -> TokenPair:
        """Open a new session for `user` and return its first token pair."""
        session_id = new_id(self._clock.now())
        refresh_jti = new_id()
        self._users.put_session(user.user_id, session_id, refresh_jti, meta.ip if meta else "",
                                meta.user_agent if meta else "", iso(self._clock.now()), self._refresh_expiry())
        return self._pair(user, session_id, refresh_jti)

    def authenticate(self, token: str) -> Caller:
        """Verify an access token and that its session and user are still good (one BatchGetItem)."""
        claims = self._decode(token, "access")
        user, session = self._users.get_user_and_session(claims["sub"], claims["sid"])
        self._check_live(claims, user, session)
        assert user is not None  # _check_live refused otherwise
        return Caller(user_id=user.user_id, username=user.username, role=user.role,
                      session_id=claims["sid"], token_id=claims["jti"])

    def refresh(self, refresh_token: str, meta: RequestMeta | None) -> TokenPair:
        """Swap a refresh token for a new pair; an already-used one revokes its session."""
        claims = self._decode(refresh_token, "refresh")
        user, session = self._users.get_user_and_session(claims["sub"], claims["sid"])
        self._check_live(claims, user, session)
        assert user is not None and session is not None
        new_jti = new_id()
        if session.refresh_jti != claims["jti"] or not self._users.rotate_session(
                user.user_id, session.session_id, claims["jti"], new_jti, self._refresh_expiry()):
            self._users.revoke_session(user.user_id, session.session_id)
            self._audit.record(user_id=user.user_id, type="security", action="refresh_token_reused", meta=meta,
                               detail={"session_id": session.session_id})
            raise _invalid("This refresh token was already used; the session has been ended.")
        return self._pair(user, session.session_id, new_jti)

    def end_session(self, user_id: str, session_id: str) -> None:
        """Revoke one session: its access and refresh tokens stop working at once."""
        self._users.revoke_session(user_id, session_id)

    def _pair(self, user: User, session_id: str, refresh_jti: str) -> TokenPair:
        ttl = self._settings.access_token_ttl
        access = self._encode(user, session_id, new_id(), "access", ttl)
        refresh = self._encode(user, session_id, refresh_jti, "refresh", self._settings.refresh_token_ttl)
        return TokenPair(access_token=access, refresh_token=refresh, expires_in=ttl)

    def _encode(self, user: User, session_id: str, jti: str, typ: str, ttl: int) -> str:
        now = int(self._clock.now().timestamp())
        claims = {"sub": user.user_id, "sid": session_id, "jti": jti, "iat": now, "exp": now + ttl,
                  "typ": typ, "ver": user.token_version}
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def _decode(self, token: str, typ: str) -> dict[str, Any]:
        try:
            # exp/iat are checked below against the injected clock; the algorithm is pinned.
            claims = jwt.decode(token, self._key, algorithms=[ALGORITHM],
                                options={"verify_exp": False, "verify_iat": False, "require": list(_CLAIMS)})
        except jwt.PyJWTError as exc:
            raise _invalid() from exc
        if claims.get("typ") != typ or not all(isinstance(claims.get(c), str) for c in ("sub", "sid", "jti")):
            raise _invalid()
        now = self._clock.now().timestamp()
        exp, iat = claims.get("exp"), claims.get("iat")
        if not isinstance(exp, int) or not isinstance(iat, int) or exp <= now or iat > now + 60:
            raise _invalid()
        return claims

    def _check_live(self, claims: dict[str, Any], user: User | None, session: Session | None) -> None:
        if user is None or session is None or session.status != "active" or session.user_id != user.user_id:
            raise _invalid()
        if user.status != "active" or claims.get("ver") != user.token_version:
            raise _invalid()

    def _refresh_expiry(self) -> int:
        return int((self._clock.now() + timedelta(seconds=self._settings.refresh_token_ttl)).timestamp())
