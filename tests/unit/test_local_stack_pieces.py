"""The local stack's small pieces: options, dev secrets, write counting, first-run bootstrap."""

from __future__ import annotations

import json
import stat
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet

from infra.localstack import bootstrap
from infra.localstack.devsecrets import export_secrets, load_or_create_secrets
from infra.localstack.options import OptionError, read_options
from infra.localstack.servers import InFlight
from infra.moto_locks import plan_for


def test_options_default_to_port_8000_and_the_local_folder():
    opts = read_options({})
    assert opts.port == 8000 and opts.moto_port == 0 and opts.portal_port is None
    assert opts.data_dir.name == ".local"


@pytest.mark.parametrize("env", [{"PORT": "http"}, {"MOTO_PORT": "70000"}, {"JOURNAL_SYNC_SECONDS": "-1"}])
def test_a_bad_option_names_the_variable(env):
    with pytest.raises(OptionError, match=next(iter(env))):
        read_options(env)


def test_dev_secrets_are_created_private_once_and_reused(tmp_path):
    first = load_or_create_secrets(tmp_path)
    assert len(first["SECRET_KEY"]) >= 32
    Fernet(first["ENCRYPTION_KEY"].encode())
    assert stat.S_IMODE((tmp_path / "secrets.json").stat().st_mode) == 0o600
    assert load_or_create_secrets(tmp_path) == first


def test_a_broken_secrets_file_is_kept_aside_and_replaced(tmp_path):
    (tmp_path / "secrets.json").write_text('{"SECRET_KEY": "short", "ENCRYPTION_KEY": "nope"}')
    fresh = load_or_create_secrets(tmp_path)
    Fernet(fresh["ENCRYPTION_KEY"].encode())
    assert any(p.name.startswith("secrets.json.invalid-") for p in tmp_path.iterdir())


def test_secrets_already_in_the_environment_win(tmp_path):
    env = {"SECRET_KEY": "from-env-" + "x" * 40}
    export_secrets(load_or_create_secrets(tmp_path), env)
    assert env["SECRET_KEY"].startswith("from-env-")
    assert env["ENCRYPTION_KEY"]


def test_lock_plans_share_the_emulator_for_items_and_lock_everything_for_the_rest():
    backend = SimpleNamespace(tables={"t": SimpleNamespace(hash_key_attr="pk", range_key_attr="sk")})
    key = {"pk": {"S": "u1"}, "sk": {"S": "BAL"}}
    txn = plan_for(backend, "TransactWriteItems", {"TransactItems": [
        {"Update": {"TableName": "t", "Key": key}},
        {"ConditionCheck": {"TableName": "t", "Key": {"pk": {"S": "u2"}, "sk": {"S": "K"}}}}]})
    assert not txn.exclusive and txn.tables == {"t": False}
    assert [(k.key["pk"]["S"], k.writes) for k in txn.keys] == [("u1", True), ("u2", False)]
    assert plan_for(backend, "Query", {"TableName": "t"}).tables == {"t": True}
    for operation, params in (("CreateTable", {"TableName": "t"}), ("ExecuteStatement", {}),
                              ("PutItem", {"TableName": "t", "Item": {"pk": {"S": "no range key"}}}),
                              ("GetItem", {"TableName": "unknown", "Key": key})):
        assert plan_for(backend, operation, params).exclusive, operation


def test_random_passwords_differ_and_mix_character_classes():
    a, b = bootstrap.random_password(), bootstrap.random_password()
    assert a != b and len(a) == 24
    assert any(c.isdigit() for c in a) and any(c.isupper() for c in a) and any(c.islower() for c in a)


class FakeAccounts:
    def __init__(self):
        self.calls = []

    def create_superadmin(self, username, password, email=None):
        self.calls.append((username, password, email))
        return "01USER", "JBSWY3DPEHPK3PXP"


def _container(**services):
    return SimpleNamespace(settings=SimpleNamespace(stage="local", default_group="default"), **services)


def test_first_run_creates_the_superadmin_once_and_keeps_its_credentials_private(tmp_path, capsys):
    accounts = FakeAccounts()
    path = bootstrap.bootstrap_superadmin(_container(accounts=accounts), tmp_path)
    saved = json.loads(path.read_text())
    ((username, password, email),) = accounts.calls
    assert saved == {"username": username, "password": password, "totp_secret": "JBSWY3DPEHPK3PXP", "user_id": "01USER"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert password in capsys.readouterr().out
    assert bootstrap.bootstrap_superadmin(_container(accounts=accounts), tmp_path) == path
    assert len(accounts.calls) == 1


def test_without_an_accounts_service_the_stack_starts_without_a_superadmin(tmp_path):
    assert bootstrap.bootstrap_superadmin(_container(), tmp_path) is None
    assert list(tmp_path.iterdir()) == []


def test_the_demo_upstream_is_registered_only_when_the_catalog_can_take_it():
    assert bootstrap.register_demo_upstream(_container(), "http://127.0.0.1:1") is False
    seen = {}
    catalog = SimpleNamespace(ensure_local_demo=lambda **kw: seen.update(kw))
    assert bootstrap.register_demo_upstream(_container(catalog=catalog), "http://127.0.0.1:1") is True
    assert seen["base_url"] == "http://127.0.0.1:1" and seen["group"] == "default"
    assert len(seen["models"]) == 2


def test_a_stopping_server_waits_for_requests_in_flight_and_refuses_new_ones():
    import threading

    in_flight = InFlight()
    assert in_flight.enter()
    done = []
    waiter = threading.Thread(target=lambda: done.append(in_flight.close_and_wait(timeout=5)))
    waiter.start()
    waiter.join(timeout=0.2)
    assert waiter.is_alive()  # still waiting for the request in flight
    assert not in_flight.enter()  # no new request once closing
    in_flight.leave()
    waiter.join(timeout=5)
    assert done == [True]
