"""Pure pieces of the accounts area: TOTP window, cursors, passwords, input rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from chalicelib.accounts.passwords import Passwords
from chalicelib.accounts.rules import normalize_email, normalize_username
from chalicelib.accounts.totp import Totp
from chalicelib.kernel.crypto import Cipher, new_fernet_key
from chalicelib.kernel.cursors import Cursors
from chalicelib.kernel.errors import BadRequest

AT = datetime(2026, 11, 21, 10, 0, 0, tzinfo=UTC)


@pytest.fixture
def totp() -> Totp:
    return Totp(Cipher((new_fernet_key(),)))


def test_totp_accepts_one_step_either_side_and_no_more(totp):
    secret = totp.new_secret()
    step = int(AT.timestamp()) // 30
    for offset, expected in ((-2, None), (-1, step - 1), (0, step), (1, step + 1), (2, None)):
        code = pyotp.TOTP(secret).at(AT + timedelta(seconds=30 * offset))
        assert totp.matching_step(secret, code, AT) == expected


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", " 12345", None])
def test_totp_refuses_malformed_codes(totp, code):
    assert totp.matching_step(totp.new_secret(), code, AT) is None


def test_totp_secret_round_trips_through_encryption(totp):
    secret = totp.new_secret()
    sealed = totp.encrypt(secret)
    assert secret not in sealed and totp.decrypt(sealed) == secret


def test_cursors_round_trip_and_refuse_tampering_or_another_scope():
    cursors = Cursors("k" * 40)
    token = cursors.encode({"pk": {"S": "USER#1"}, "sk": {"S": "LOG#X"}}, "logs:1")
    assert cursors.decode(token, "logs:1") == {"pk": {"S": "USER#1"}, "sk": {"S": "LOG#X"}}
    payload, _, sig = token.partition(".")
    for bad in ("", "x", "x.y", f"{payload}.{'0' * len(sig)}", f"{payload[:-2]}AA.{sig}", token + "x"):
        if bad:
            with pytest.raises(BadRequest):
                cursors.decode(bad, "logs:1")
    with pytest.raises(BadRequest):
        cursors.decode(token, "logs:2")
    assert cursors.decode(None, "logs:1") is None and cursors.encode(None, "logs:1") is None


def test_passwords_verify_only_the_right_one_and_survive_damaged_hashes():
    passwords = Passwords(1, 64, 1)
    stored = passwords.hash("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert passwords.verify(stored, "correct horse battery")
    assert not passwords.verify(stored, "correct horse batterY")
    assert not passwords.verify("not-a-hash", "correct horse battery")
    passwords.dummy_verify("anything")  # must not raise


@pytest.mark.parametrize("name", ["abc", "a.b-c_d", "x" * 32, "ABC"])
def test_valid_usernames_are_lower_cased(name):
    assert normalize_username(name) == name.lower()


@pytest.mark.parametrize("name", ["ab", "x" * 33, "a b", "ali\u0000ce", "ali\u202ece", "\u0430lice", "alice\n",
                                  "K\u212aelvin", "ﬃx"])
def test_odd_usernames_are_refused(name):
    with pytest.raises(ValueError):
        normalize_username(name)


@pytest.mark.parametrize("email,ok", [("A@Example.TEST", "a@example.test"), ("a+tag@sub.example.org", None),
                                      ("a@b", False), ("no-at.example", False), ("a@@b.c", False),
                                      ("a@b.c\u0000", False), ("a b@c.d", False)])
def test_emails_are_checked_and_lower_cased(email, ok):
    if ok is False:
        with pytest.raises(ValueError):
            normalize_email(email)
    else:
        assert normalize_email(email) == (ok or email.lower())
