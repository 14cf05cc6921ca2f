"""The `users` table: user profiles, username/email guards and refresh sessions.

Layout (docs/internals.md): user `USER#<id>`/`PROFILE` (gsi1 `USERS`/`<id>`), guards
`USERNAME#<lower>`/`GUARD` and `EMAIL#<lower>`/`GUARD`, sessions `USER#<id>`/`SESSION#<sid>`
(TTL). Login counters live in the same table (see `login_counters.py`). Services see the
dataclasses below, never items.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from ..kernel.errors import AlreadyExists, NotFound
from ..store.base import Gsi1, TableItem, TableModel


class UserItem(TableItem):
    table = "users"
    gsi1: Gsi1[UserItem] = Gsi1()

    user_id = UnicodeAttribute()
    username = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    password_hash = UnicodeAttribute()
    role = UnicodeAttribute(default="user")
    status = UnicodeAttribute()
    token_version = NumberAttribute(default=0)
    totp_secret_enc = UnicodeAttribute(null=True)
    totp_pending_enc = UnicodeAttribute(null=True)
    totp_last_step = NumberAttribute(default=0)
    recovery_hashes = UnicodeSetAttribute(null=True)
    pending_expires_at = NumberAttribute(null=True)  # a self-registration not verified by then is released
    enrol_at_login = BooleanAttribute(null=True)  # admin-created or TOTP reset: a new secret comes at login
    reset_token_hash = UnicodeAttribute(null=True)
    reset_token_expires = NumberAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class GuardItem(TableModel):
    table = "users"
    user_id = UnicodeAttribute()


class SessionItem(TableModel):
    table = "users"
    ttl = NumberAttribute(null=True)
    session_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    refresh_jti = UnicodeAttribute()
    status = UnicodeAttribute(default="active")
    ip = UnicodeAttribute(default="")
    user_agent = UnicodeAttribute(default="")
    created_at = UnicodeAttribute()


@dataclass
class User:
    user_id: str
    username: str
    email: str | None
    password_hash: str = field(repr=False)
    role: str
    status: str
    token_version: int
    totp_secret_enc: str | None = field(repr=False)
    totp_pending_enc: str | None = field(repr=False)
    totp_last_step: int
    recovery_hashes: set[str] = field(repr=False)
    created_at: str
    updated_at: str
    pending_expires_at: int | None = None
    enrol_at_login: bool = False


@dataclass(frozen=True)
class Session:
    session_id: str
    user_id: str
    refresh_jti: str
    status: str
    created_at: str


def user_key(user_id: str) -> tuple[str, str]:
    return f"USER#{user_id}", "PROFILE"


def _user(item: UserItem) -> User:
    return User(
        user_id=item.user_id, username=item.username, email=item.email, password_hash=item.password_hash,
        role=item.role, status=item.status, token_version=int(item.token_version or 0),
        totp_secret_enc=item.totp_secret_enc, totp_pending_enc=item.totp_pending_enc,
        totp_last_step=int(item.totp_last_step or 0), recovery_hashes=set(item.recovery_hashes or ()),
        created_at=item.created_at, updated_at=item.updated_at,
        pending_expires_at=int(item.pending_expires_at) if item.pending_expires_at is not None else None,
        enrol_at_login=bool(item.enrol_at_login),
    )


def _session(item: SessionItem) -> Session:
    return Session(session_id=item.session_id, user_id=item.user_id, refresh_jti=item.refresh_jti,
                   status=item.status, created_at=item.created_at)


def _conditional_failed(exc: Exception) -> bool:
    """True only when one of our conditions failed. A transaction cancelled for another reason
    (TransactionConflict, throttling) is not "already exists": it propagates as a server fault."""
    code = getattr(exc, "cause_response_code", None)
    if code == "ConditionalCheckFailedException":
        return True
    if code == "TransactionCanceledException":
        reasons = getattr(exc, "cancellation_reasons", None) or []
        return any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons)
    return False


class UsersStore:
    """Every read and write of the users table."""

    # --- users and guards ---

    def create_user(self, user: User) -> None:
        """Write the user with its username (and email) guard in one transaction: a taken
        name or email refuses the whole write, even when two sign-ups race."""
        pk, sk = user_key(user.user_id)
        item = UserItem(pk, sk, gsi1pk="USERS", gsi1sk=user.user_id, **_user_fields(user))
        with_guard = [GuardItem(f"USERNAME#{user.username.lower()}", "GUARD", user_id=user.user_id)]
        if user.email:
            with_guard.append(GuardItem(f"EMAIL#{user.email.lower()}", "GUARD", user_id=user.user_id))
        try:
            with TransactWrite(connection=UserItem._get_connection().connection) as tx:
                tx.save(item, condition=UserItem.pk.does_not_exist())
                for guard in with_guard:
                    tx.save(guard, condition=GuardItem.pk.does_not_exist())
        except TransactWriteError as exc:
            if _conditional_failed(exc):
                raise AlreadyExists("That username or email is already registered.",
                                    code="already_exists") from exc
            raise

    def get_user(self, user_id: str) -> User | None:
        try:
            return _user(UserItem.get(*user_key(user_id), consistent_read=True))
        except DoesNotExist:
            return None

    def user_id_for_username(self, username: str) -> str | None:
        try:
            return GuardItem.get(f"USERNAME#{username.lower()}", "GUARD").user_id
        except DoesNotExist:
            return None

    def user_id_for_email(self, email: str) -> str | None:
        try:
            return GuardItem.get(f"EMAIL#{email.lower()}", "GUARD").user_id
        except DoesNotExist:
            return None

    def release_expired_pending(self, user: User, now: int) -> bool:
        """Delete a self-registration that was not verified in time, with its username and email
        guards, in one transaction; False if it was verified (or released) meanwhile."""
        guards = [f"USERNAME#{user.username.lower()}"] + ([f"EMAIL#{user.email.lower()}"] if user.email else [])
        try:
            with TransactWrite(connection=UserItem._get_connection().connection) as tx:
                tx.delete(UserItem(*user_key(user.user_id)),
                          condition=(UserItem.status == "pending_totp") & (UserItem.pending_expires_at <= now))
                for guard in guards:
                    tx.delete(GuardItem(guard, "GUARD"), condition=GuardItem.user_id == user.user_id)
        except TransactWriteError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def get_user_and_session(self, user_id: str, session_id: str) -> tuple[User | None, Session | None]:
        """The user and one of its sessions in a single BatchGetItem (every authenticated call)."""
        client = UserItem._get_connection().connection.client
        table = UserItem.Meta.table_name
        keys = [{"pk": {"S": f"USER#{user_id}"}, "sk": {"S": "PROFILE"}},
                {"pk": {"S": f"USER#{user_id}"}, "sk": {"S": f"SESSION#{session_id}"}}]
        request = {table: {"Keys": keys, "ConsistentRead": True}}
        found: list[dict[str, Any]] = []
        # Unprocessed keys are rare (throttling): ask again a bounded number of times; whatever is
        # still missing counts as "not found", which refuses the token, never lets it pass.
        for _ in range(3):
            answer = client.batch_get_item(RequestItems=request)
            found += answer.get("Responses", {}).get(table, [])
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                break
        user: User | None = None
        session: Session | None = None
        for raw in found:
            if raw["sk"]["S"] == "PROFILE":
                user = _user(UserItem.from_raw_data(raw))
            else:
                session = _session(SessionItem.from_raw_data(raw))
        return user, session

    def _update(self, user_id: str, actions: list[Action], condition: Any = None) -> User | None:
        """Apply `actions` if the user exists and `condition` holds; None when it does not."""
        item = UserItem(*user_key(user_id))
        cond = UserItem.pk.exists() if condition is None else (UserItem.pk.exists() & condition)
        try:
            item.update(actions=actions, condition=cond)
        except UpdateError as exc:
            if _conditional_failed(exc):
                return None
            raise
        return _user(item)

    def consume_totp_step(self, user_id: str, step: int, now_iso: str) -> bool:
        """Record `step` as used; False if this or a later step was already accepted."""
        return self._update(user_id, [UserItem.totp_last_step.set(step), UserItem.updated_at.set(now_iso)],
                            UserItem.totp_last_step < step) is not None

    def consume_recovery_hash(self, user_id: str, code_hash: str, now_iso: str) -> bool:
        """Remove one recovery-code hash; False if it is not (or no longer) there."""
        return self._update(user_id, [UserItem.recovery_hashes.delete({code_hash}),
                                      UserItem.updated_at.set(now_iso)],
                            UserItem.recovery_hashes.contains(code_hash)) is not None

    def activate(self, user_id: str, step: int, recovery_hashes: set[str], now_iso: str) -> bool:
        """pending_totp -> active, using TOTP step `step`; False if not pending or step used."""
        return self._update(
            user_id,
            [UserItem.status.set("active"), UserItem.totp_last_step.set(step),
             UserItem.recovery_hashes.set(recovery_hashes), UserItem.pending_expires_at.remove(),
             UserItem.enrol_at_login.remove(), UserItem.updated_at.set(now_iso)],
            (UserItem.status == "pending_totp") & (UserItem.totp_last_step < step)) is not None

    def set_pending_totp(self, user_id: str, secret_enc: str, now_iso: str) -> None:
        self._update(user_id, [UserItem.totp_pending_enc.set(secret_enc), UserItem.updated_at.set(now_iso)])

    def confirm_pending_totp(self, user_id: str, pending_enc: str, step: int, now_iso: str) -> bool:
        """Make the pending secret the active one; False if it changed meanwhile."""
        return self._update(
            user_id,
            [UserItem.totp_secret_enc.set(pending_enc), UserItem.totp_pending_enc.remove(),
             UserItem.totp_last_step.set(step), UserItem.updated_at.set(now_iso)],
            UserItem.totp_pending_enc == pending_enc) is not None

    def clear_totp(self, user_id: str, now_iso: str) -> None:
        self._update(user_id, [UserItem.totp_secret_enc.remove(), UserItem.totp_pending_enc.remove(),
                               UserItem.recovery_hashes.remove(), UserItem.updated_at.set(now_iso)])

    def start_enrolment(self, user_id: str, secret_enc: str, now_iso: str) -> bool:
        """An account that enrols at login gets a new (pending) secret; False if it is not waiting."""
        return self._update(user_id, [UserItem.totp_secret_enc.set(secret_enc), UserItem.totp_last_step.set(0),
                                      UserItem.updated_at.set(now_iso)],
                            (UserItem.status == "pending_totp") & (UserItem.enrol_at_login == True)  # noqa: E712
                            ) is not None

    def reset_totp(self, user_id: str, now_iso: str) -> User:
        """Forget the second factor: the account enrols again at next login; every session ends."""
        user = self._update(user_id, [UserItem.status.set("pending_totp"), UserItem.enrol_at_login.set(True),
                                      UserItem.totp_secret_enc.remove(), UserItem.totp_pending_enc.remove(),
                                      UserItem.recovery_hashes.remove(), UserItem.totp_last_step.set(0),
                                      UserItem.token_version.add(1), UserItem.updated_at.set(now_iso)],
                            UserItem.status != "disabled")
        if user is None:
            raise NotFound("No such user (or it is disabled).", code="user_not_found")
        return user

    def set_password(self, user_id: str, password_hash: str, now_iso: str) -> None:
        self._update(user_id, [UserItem.password_hash.set(password_hash), UserItem.updated_at.set(now_iso)])

    def set_reset_token(self, user_id: str, token_hash: str, expires: int, now_iso: str) -> None:
        """Store a password-reset token's hash (replacing any earlier one)."""
        if self._update(user_id, [UserItem.reset_token_hash.set(token_hash), UserItem.reset_token_expires.set(expires),
                                  UserItem.updated_at.set(now_iso)]) is None:
            raise NotFound("No such user.", code="user_not_found")

    def reset_password(self, user_id: str, token_hash: str, now: int, password_hash: str, now_iso: str) -> bool:
        """Use a reset token once: new password, token gone, every session ended; False if the
        token is not this one any more or has expired."""
        return self._update(user_id, [UserItem.password_hash.set(password_hash), UserItem.reset_token_hash.remove(),
                                      UserItem.reset_token_expires.remove(), UserItem.token_version.add(1),
                                      UserItem.updated_at.set(now_iso)],
                            (UserItem.reset_token_hash == token_hash) & (UserItem.reset_token_expires > now)
                            ) is not None

    def replace_recovery_hashes(self, user_id: str, hashes: set[str], now_iso: str) -> None:
        self._update(user_id, [UserItem.recovery_hashes.set(hashes), UserItem.updated_at.set(now_iso)])

    def admin_update(self, user_id: str, now_iso: str, *, role: str | None = None, status: str | None = None,
                     bump_token_version: bool = False) -> User:
        """Change role and/or status; bumping the token version ends every session at once."""
        actions: list[Action] = [UserItem.updated_at.set(now_iso)]
        if role is not None:
            actions.append(UserItem.role.set(role))
        if status is not None:
            actions.append(UserItem.status.set(status))
        if bump_token_version:
            actions.append(UserItem.token_version.add(1))
        user = self._update(user_id, actions)
        if user is None:
            raise NotFound("No such user.", code="user_not_found")
        return user

    def change_email(self, user: User, new_email: str | None, now_iso: str) -> None:
        """Move the email guard and update the user in one transaction."""
        pk, sk = user_key(user.user_id)
        conn = UserItem._get_connection().connection
        try:
            with TransactWrite(connection=conn) as tx:
                if new_email:
                    tx.save(GuardItem(f"EMAIL#{new_email.lower()}", "GUARD", user_id=user.user_id),
                            condition=GuardItem.pk.does_not_exist())
                if user.email:
                    tx.delete(GuardItem(f"EMAIL#{user.email.lower()}", "GUARD"))
                actions: list[Action] = [UserItem.updated_at.set(now_iso)]
                actions.append(UserItem.email.set(new_email) if new_email else UserItem.email.remove())
                tx.update(UserItem(pk, sk), actions=actions, condition=UserItem.email == user.email
                          if user.email else UserItem.email.does_not_exist())
        except TransactWriteError as exc:
            if _conditional_failed(exc):
                raise AlreadyExists("That email is already registered.", code="already_exists") from exc
            raise

    def list_users(self, limit: int, start: dict[str, Any] | None,
                   status: str | None = None, role: str | None = None,
                   text: str | None = None) -> tuple[list[User], dict[str, Any] | None]:
        """Users newest first from gsi1, filtered in DynamoDB; returns (page, next start key)."""
        cond = None
        for piece in (UserItem.status == status if status else None, UserItem.role == role if role else None,
                      (UserItem.username.contains(text) | UserItem.email.contains(text)) if text else None):
            if piece is not None:
                cond = piece if cond is None else cond & piece
        it = UserItem.gsi1.query("USERS", filter_condition=cond, scan_index_forward=False, limit=limit,
                                 last_evaluated_key=start, page_size=max(limit, 25))
        users = [_user(i) for i in it]
        return users, it.last_evaluated_key

    def count_users(self) -> int:
        """How many user items gsi1 `USERS` holds (a COUNT Query, paged by DynamoDB)."""
        return int(UserItem.gsi1.count("USERS"))

    def count_items(self) -> int:
        """How many items the table holds (tests: a refused request writes nothing)."""
        client = UserItem._get_connection().connection.client
        return int(client.scan(TableName=UserItem.Meta.table_name, Select="COUNT")["Count"])

    def all_items(self) -> list[dict[str, Any]]:
        """Every raw item (tests look for plaintext secrets)."""
        client = UserItem._get_connection().connection.client
        return list(client.scan(TableName=UserItem.Meta.table_name)["Items"])

    # --- sessions ---

    def put_session(self, user_id: str, session_id: str, refresh_jti: str, ip: str, user_agent: str,
                    created_at: str, expires_epoch: int) -> None:
        SessionItem(f"USER#{user_id}", f"SESSION#{session_id}", session_id=session_id, user_id=user_id,
                    refresh_jti=refresh_jti, ip=ip, user_agent=user_agent, created_at=created_at,
                    ttl=expires_epoch).save(condition=SessionItem.pk.does_not_exist())

    def rotate_session(self, user_id: str, session_id: str, old_jti: str, new_jti: str,
                       expires_epoch: int) -> bool:
        """Swap the current refresh jti; False when it was not `old_jti` any more (reuse/race)."""
        item = SessionItem(f"USER#{user_id}", f"SESSION#{session_id}")
        try:
            item.update(actions=[SessionItem.refresh_jti.set(new_jti), SessionItem.ttl.set(expires_epoch)],
                        condition=(SessionItem.refresh_jti == old_jti) & (SessionItem.status == "active"))
        except UpdateError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def revoke_other_sessions(self, user_id: str, keep_session_id: str) -> int:
        """Revoke every active session of the user but `keep_session_id`; returns how many."""
        ended = 0
        for item in SessionItem.query(f"USER#{user_id}", SessionItem.sk.startswith("SESSION#"),
                                      filter_condition=SessionItem.status == "active"):
            if item.session_id != keep_session_id:
                self.revoke_session(user_id, item.session_id)
                ended += 1
        return ended

    def revoke_session(self, user_id: str, session_id: str) -> None:
        item = SessionItem(f"USER#{user_id}", f"SESSION#{session_id}")
        try:
            item.update(actions=[SessionItem.status.set("revoked")], condition=SessionItem.pk.exists())
        except UpdateError as exc:
            if not _conditional_failed(exc):
                raise


def _user_fields(user: User) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "user_id": user.user_id, "username": user.username, "email": user.email,
        "password_hash": user.password_hash, "role": user.role, "status": user.status,
        "token_version": user.token_version, "totp_secret_enc": user.totp_secret_enc,
        "totp_pending_enc": user.totp_pending_enc, "totp_last_step": user.totp_last_step,
        "created_at": user.created_at, "updated_at": user.updated_at,
    }
    if user.pending_expires_at is not None:
        fields["pending_expires_at"] = user.pending_expires_at
    if user.enrol_at_login:
        fields["enrol_at_login"] = True
    if user.recovery_hashes:
        fields["recovery_hashes"] = set(user.recovery_hashes)
    return fields

