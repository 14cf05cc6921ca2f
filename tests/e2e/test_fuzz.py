"""The HTTP contract under schemathesis, as a user and as a superadmin, against the local stack.

Bounded: FUZZ_SECONDS per role (default 40: the short run inside `make test`; `make fuzz` runs
longer). A failure prints schemathesis' report: each finding with a curl line to reproduce it.
"""

from __future__ import annotations

import os
import re

import pytest

from tests.e2e.conftest import LocalStack
from tests.e2e.fuzzing import run_schemathesis
from tests.e2e.sessions import admin_session, new_user_session, promoted_admin_session

pytestmark = pytest.mark.e2e
SECONDS = int(os.environ.get("FUZZ_SECONDS", "40"))
# The short run inside `make test` skips the slow coverage phase and caps examples per operation,
# so every operation is reached within the time bound even on a busy 2-core machine.
SHORT_RUN = ("--phases", "examples,fuzzing", "--max-examples", "5") if SECONDS <= 60 else ()
# The short run uses a fixed seed, so a red `make test` means the code changed, not that this
# run drew a new input: exploring is `make fuzz`'s job (a new seed each run; FUZZ_SEED replays).
SHORT_RUN_SEED = 20261121
SEED = int(os.environ["FUZZ_SEED"]) if os.environ.get("FUZZ_SEED") else (SHORT_RUN_SEED if SHORT_RUN else None)


@pytest.fixture(scope="module")
def fuzz_stack(tmp_path_factory):
    """A stack of its own: the fuzzer trips the per-address throttle and lockouts, which must not
    spill into the session stack other tests use."""
    stack = LocalStack(tmp_path_factory.mktemp("fuzz-stack"))
    stack.start()
    yield stack
    assert stack.stop() == 0, stack.log()


def _assert_clean(result) -> None:
    report = result.stdout[-20000:] + result.stderr[-3000:]
    assert result.returncode == 0, f"schemathesis found problems:\n{report}"
    tested = re.search(r"Tested:\s+(\d+)", result.stdout)
    assert tested and int(tested.group(1)) >= 15, f"schemathesis tested too few operations:\n{report}"


@pytest.fixture(scope="module")
def fuzz_sessions(fuzz_stack):
    """Both sessions before any fuzzing: a run trips the sign-in throttle for a minute.
    The admin is a promoted second one: a run may lock or rotate the account it uses."""
    user = new_user_session(fuzz_stack.api_url, prefix="fuzzuser")
    admin = admin_session(fuzz_stack.api_url, fuzz_stack.admin_credentials())
    return {"user": user, "superadmin": promoted_admin_session(fuzz_stack.api_url, admin)}


@pytest.mark.parametrize("role", ["user", "superadmin"])
def test_the_contract_holds_under_fuzzing(fuzz_stack, fuzz_sessions, role, tmp_path):
    token = fuzz_sessions[role].access_token
    _assert_clean(run_schemathesis(fuzz_stack.api_url, token, tmp_path, max_time=SECONDS, seed=SEED,
                                    extra=SHORT_RUN))
