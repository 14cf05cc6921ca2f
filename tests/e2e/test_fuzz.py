"""The HTTP contract under schemathesis, as a user and as a superadmin, against the local stack.

Bounded: FUZZ_SECONDS per role (default 20: the short run inside `make test`; `make fuzz` runs
longer). A failure prints schemathesis' report: each finding with a curl line to reproduce it.
"""

from __future__ import annotations

import os
import re

import pytest

from tests.e2e.fuzzing import run_schemathesis
from tests.e2e.sessions import admin_session, new_user_session, promoted_admin_session

pytestmark = pytest.mark.e2e
SECONDS = int(os.environ.get("FUZZ_SECONDS", "20"))
SEED = int(os.environ["FUZZ_SEED"]) if os.environ.get("FUZZ_SEED") else None


def _assert_clean(result) -> None:
    report = result.stdout[-20000:] + result.stderr[-3000:]
    assert result.returncode == 0, f"schemathesis found problems:\n{report}"
    tested = re.search(r"Tested:\s+(\d+)", result.stdout)
    assert tested and int(tested.group(1)) >= 15, f"schemathesis tested too few operations:\n{report}"


def test_the_contract_holds_under_fuzzing_as_a_user(local_stack, tmp_path):
    user = new_user_session(local_stack.api_url, prefix="fuzzuser")
    _assert_clean(run_schemathesis(local_stack.api_url, user.access_token, tmp_path, max_time=SECONDS, seed=SEED))


def test_the_contract_holds_under_fuzzing_as_a_superadmin(local_stack, tmp_path):
    # a promoted second admin: the run may lock or rotate the account it uses
    admin = admin_session(local_stack.api_url, local_stack.admin_credentials())
    fuzz_admin = promoted_admin_session(local_stack.api_url, admin)
    _assert_clean(run_schemathesis(local_stack.api_url, fuzz_admin.access_token, tmp_path, max_time=SECONDS,
                                   seed=SEED))
