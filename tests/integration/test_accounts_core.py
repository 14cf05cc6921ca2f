from __future__ import annotations

import pytest
from chalicelib.kernel.errors import InvalidCredentials, Unauthorized


def test_a_registered_verified_user_can_sign_in_and_authenticate(accounts, container):
    account = accounts.user("alice")
    caller = container.authenticate(account.access_token)
    assert caller.user_id == account.user_id
    assert caller.username == "alice"
    assert caller.role == "user"
    assert len(account.recovery_codes) == 10


def test_a_superadmin_has_the_admin_role(accounts, container):
    admin = accounts.admin()
    assert container.authenticate(admin.access_token).is_admin


def test_second_use_of_a_totp_code_is_refused(accounts, container, clock):
    import pyotp

    account = accounts.user()
    clock.advance(seconds=30)
    code = pyotp.TOTP(account.totp_secret).at(clock.now())
    container.accounts.login(account.username, account.password, code, None, accounts.meta)
    with pytest.raises(InvalidCredentials):
        container.accounts.login(account.username, account.password, code, None, accounts.meta)


def test_logout_stops_the_access_token_at_once(accounts, container):
    account = accounts.user()
    caller = container.authenticate(account.access_token)
    container.accounts.logout(caller.user_id, caller.session_id, None)
    with pytest.raises(Unauthorized):
        container.authenticate(account.access_token)
