"""`make run`'s stack over real HTTP: health, OpenAPI, portal, persistence, clean stop."""

from __future__ import annotations

import json
import signal
import socket
import stat
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
import requests

pytestmark = pytest.mark.e2e
PROBE_TABLE = "e2e-probe"


def _dynamodb(stack):
    return boto3.client("dynamodb", endpoint_url=stack.dynamodb_url, region_name="us-east-1",
                        aws_access_key_id="local", aws_secret_access_key="local")


def _write_probe(stack, item):
    ddb = _dynamodb(stack)
    if PROBE_TABLE not in ddb.list_tables()["TableNames"]:
        ddb.create_table(TableName=PROBE_TABLE, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
    ddb.put_item(TableName=PROBE_TABLE, Item=item)


def _journaled(stack, pk):
    """Whether the running stack's journal holds a write of item `pk` of the probe table."""
    lines = (stack.data_dir / "journal.jsonl").read_text().splitlines()[1:]
    return any(entry[0] == PROBE_TABLE and entry[2]["pk"] == {"S": pk} for line in lines for entry in json.loads(line))


def test_health_answers_within_30_seconds_of_start(local_stack):
    assert local_stack.startup_seconds < 30
    r = requests.get(f"{local_stack.api_url}/api/health", timeout=5)
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_the_openapi_document_is_served(local_stack):
    r = requests.get(f"{local_stack.api_url}/api/openapi.json", timeout=5)
    assert r.status_code == 200
    assert "/api/health" in r.json()["paths"]


def test_everything_listens_on_loopback_only(local_stack):
    for url in (local_stack.api_url, local_stack.portal_url, local_stack.dynamodb_url):
        assert url.startswith("http://127.0.0.1:")


def test_the_api_answers_concurrent_requests(local_stack):
    def get(_):
        return requests.get(f"{local_stack.api_url}/api/health", timeout=10).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert list(pool.map(get, range(48))) == [200] * 48


def test_a_body_of_several_megabytes_gets_a_clear_answer_and_the_server_stays_up(local_stack):
    r = requests.post(f"{local_stack.api_url}/api/health", data=b"{" + b" " * (3 * 1024 * 1024) + b"}",
                      headers={"Content-Type": "application/json"}, timeout=30)
    assert 400 <= r.status_code < 500
    assert requests.get(f"{local_stack.api_url}/api/health", timeout=5).status_code == 200


def test_the_portal_gets_its_api_base_from_config_js_under_a_content_security_policy(local_stack):
    r = requests.get(f"{local_stack.portal_url}/config.js", timeout=5)
    assert r.status_code == 200
    assert r.text.startswith("window.KEYLEDGER_CONFIG = ")
    config = json.loads(r.text.split("=", 1)[1].strip().rstrip(";"))
    assert config == {"apiBase": local_stack.api_url}
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and f"connect-src 'self' {local_stack.api_url}" in csp
    page = requests.get(f"{local_stack.portal_url}/", timeout=5)
    assert page.status_code == 200 and "Content-Security-Policy" in page.headers


def test_the_api_allows_the_portal_origin_only(local_stack):
    ok = requests.options(f"{local_stack.api_url}/api/health", headers={"Origin": local_stack.portal_url}, timeout=5)
    assert ok.headers.get("Access-Control-Allow-Origin") == local_stack.portal_url
    other = requests.options(f"{local_stack.api_url}/api/health", headers={"Origin": "http://evil.test"}, timeout=5)
    assert "Access-Control-Allow-Origin" not in other.headers


def test_each_write_is_in_the_journal_before_its_reply_and_survives_a_restart(local_stack):
    item = {"pk": {"S": "probe"}, "n": {"N": "42"}, "b": {"B": b"\x00\xff"}, "m": {"M": {"x": {"NULL": True}}}}
    _write_probe(local_stack, item)
    assert _journaled(local_stack, "probe")  # no waiting: the reply came after the append

    _write_probe(local_stack, {"pk": {"S": "last-moment"}})
    local_stack.restart()
    assert not _journaled(local_stack, "probe")  # folded into the snapshot at stop

    ddb = _dynamodb(local_stack)
    assert ddb.get_item(TableName=PROBE_TABLE, Key={"pk": {"S": "probe"}})["Item"] == item
    assert "Item" in ddb.get_item(TableName=PROBE_TABLE, Key={"pk": {"S": "last-moment"}})
    assert requests.get(f"{local_stack.api_url}/api/health", timeout=5).status_code == 200


def test_sigint_stops_the_stack_with_exit_code_0(local_stack):
    local_stack.restart()  # asserts the SIGINT exit code itself
    assert local_stack.exit_codes and set(local_stack.exit_codes) == {0}


def test_sigterm_also_stops_the_stack_cleanly_and_saves_the_data(make_local_stack):
    stack = make_local_stack()
    stack.start()
    _write_probe(stack, {"pk": {"S": "before-sigterm"}})
    assert stack.stop(signal.SIGTERM) == 0
    assert "stopped cleanly" in stack.log(tail=None)
    items = json.loads((stack.data_dir / "snapshot.json").read_text())["tables"][PROBE_TABLE]["items"]
    assert {"pk": {"S": "before-sigterm"}} in items


def test_the_data_folder_holds_valid_files_and_no_temp_files(local_stack):
    _write_probe(local_stack, {"pk": {"S": "folder-check"}})  # the probe table exists: a snapshot was written
    names = sorted(p.name for p in local_stack.data_dir.iterdir())
    assert not [n for n in names if n.endswith(".tmp") or n.startswith(".")], names
    assert {"secrets.json", "snapshot.json", "journal.jsonl", "stack.json", "stack.lock"} <= set(names)
    doc = json.loads((local_stack.data_dir / "snapshot.json").read_text())
    assert doc["format"] == "keyledger-local-snapshot" and doc["generation"] >= 1
    assert json.loads((local_stack.data_dir / "journal.jsonl").read_text().splitlines()[0])["generation"] == \
        doc["generation"]
    for name in ("secrets.json", "snapshot.json", "journal.jsonl", "admin-credentials.json"):
        path = local_stack.data_dir / name
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
    assert stat.S_IMODE(local_stack.data_dir.stat().st_mode) == 0o700


def test_admin_credentials_when_present_are_private_and_complete(local_stack):
    creds = local_stack.admin_credentials()
    if creds is None:
        assert "no superadmin created" in local_stack.log(tail=None)  # said clearly, not silently skipped
        return
    assert {"username", "password", "totp_secret"} <= set(creds)
    path = local_stack.data_dir / "admin-credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_each_request_is_logged_once_without_its_query_string(local_stack):
    def lines():
        return [line for line in local_stack.log(tail=None).splitlines() if " api GET /api/health 200 " in line]

    before = len(lines())
    requests.get(f"{local_stack.api_url}/api/health?token=should-not-be-logged", timeout=5)
    deadline = time.monotonic() + 5
    while len(lines()) == before and time.monotonic() < deadline:  # logged just after the answer
        time.sleep(0.05)
    assert len(lines()) == before + 1
    assert lines()[-1].endswith("ms")
    assert "should-not-be-logged" not in local_stack.log(tail=None)


def test_a_corrupt_snapshot_is_kept_aside_and_the_stack_starts_empty(make_local_stack):
    stack = make_local_stack()
    stack.data_dir.mkdir()
    (stack.data_dir / "snapshot.json").write_text('{"format": "keyledger-local-snapshot", "tab')
    stack.start()
    try:
        assert "could not be read" in stack.log(tail=None)
        (kept,) = stack.data_dir.glob("snapshot.json.corrupt-*")
        assert kept.read_text().endswith('"tab')
        assert PROBE_TABLE not in _dynamodb(stack).list_tables()["TableNames"]
    finally:
        assert stack.stop() == 0


def test_a_busy_api_port_is_reported_clearly(make_local_stack):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        stack = make_local_stack(PORT=str(port))
        with pytest.raises(AssertionError, match="exited with 1"):
            stack.start()
    assert f"API: port {port} on 127.0.0.1 is already in use" in stack.log(tail=None)
    assert f"PORT={port + 10} make run" in stack.log(tail=None)


def test_a_second_stack_on_the_same_data_folder_is_refused_and_leaves_the_first_alone(local_stack, make_local_stack):
    info_before = (local_stack.data_dir / "stack.json").read_text()
    second = make_local_stack(LOCAL_DATA_DIR=str(local_stack.data_dir))
    with pytest.raises(AssertionError, match="exited with 1"):
        second.start()
    assert "another local stack is running on the data folder" in second.log(tail=None)
    assert (local_stack.data_dir / "stack.json").read_text() == info_before
    assert requests.get(f"{local_stack.api_url}/api/health", timeout=5).status_code == 200
