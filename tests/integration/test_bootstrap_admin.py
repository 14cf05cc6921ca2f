from __future__ import annotations

import pyotp
import pytest
from chalicelib.kernel.errors import Conflict

from infra.bootstrap import bootstrap


def test_bootstrap_creates_one_superadmin_who_can_sign_in(container, clock):
    shown = bootstrap(container, "root", None, None)
    assert len(shown["password"]) >= 20
    clock.advance(seconds=30)
    pair = container.accounts.login("root", shown["password"], pyotp.TOTP(shown["totp_secret"]).at(clock.now()),
                                    None, None)
    assert container.authenticate(pair.access_token).is_admin
    with pytest.raises(Conflict):
        bootstrap(container, "root2", None, None)
    assert bootstrap(container, "root2", None, "another password", force=True)["username"] == "root2"
