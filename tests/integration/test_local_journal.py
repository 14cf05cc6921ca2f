"""The local stack's journal (infra/localstack/journal.py): every acknowledged write is in the file
before its reply, a reload after a crash gives every item back, compaction folds the journal into
the snapshot, and damaged or stale files are handled without losing what is readable."""

from __future__ import annotations

import json
import os

import pytest
from botocore.exceptions import ClientError

from infra.localstack.moto_state import emulator_backend
from infra.localstack.persistence import close_data_folder, open_data_folder
from infra.localstack.snapshot import read_snapshot
from infra.moto_atomic import set_write_observer
from tests.support.emulator import TABLE, client, create_probe_table, items


def _key(pk: str, sk: str = "A") -> dict:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _crash(journal) -> None:
    """What kill -9 leaves: the files as they are (no compaction), the emulator's memory gone."""
    set_write_observer(None)
    with journal._cond:
        journal._closing = True
        journal._cond.notify_all()
    journal._thread.join(timeout=10)
    os.close(journal._fd)
    emulator_backend().reset()


def _write_a_bit_of_everything(ddb) -> None:
    ddb.put_item(TableName=TABLE, Item={**_key("u1"), "n": {"N": "1"}, "b": {"B": b"\x00\xff"}})
    ddb.put_item(TableName=TABLE, Item={**_key("u1", "gone"), "n": {"N": "1"}})
    ddb.update_item(TableName=TABLE, Key=_key("u1"), UpdateExpression="ADD n :one",
                    ExpressionAttributeValues={":one": {"N": "1"}})
    ddb.transact_write_items(TransactItems=[
        {"Update": {"TableName": TABLE, "Key": _key("u1"), "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"Put": {"TableName": TABLE, "Item": {**_key("u2"), "m": {"M": {"x": {"L": [{"NULL": True}]}}}}}},
        {"Delete": {"TableName": TABLE, "Key": _key("u1", "gone")}},
    ])
    ddb.batch_write_item(RequestItems={TABLE: [{"PutRequest": {"Item": _key(f"b{i}")}} for i in range(5)]})


def test_a_reload_after_a_crash_gives_back_every_acknowledged_write(emulator_url, tmp_path):
    ddb = client(emulator_url)
    journal = open_data_folder(ddb, tmp_path, sync_seconds=0.05)
    create_probe_table(ddb)  # a table-level write: folded into a snapshot at once
    _write_a_bit_of_everything(ddb)
    before = items(ddb)
    _crash(journal)

    reopened = open_data_folder(ddb, tmp_path, sync_seconds=0.05)
    assert items(ddb) == before
    assert [i["n"]["N"] for i in before if i["pk"]["S"] == "u1"] == ["3"]
    close_data_folder(reopened)


def test_refused_writes_add_nothing_to_the_journal(emulator_url, tmp_path):
    ddb = client(emulator_url)
    journal = open_data_folder(ddb, tmp_path, sync_seconds=0.05)
    create_probe_table(ddb)
    ddb.put_item(TableName=TABLE, Item=_key("u1"))
    size = (tmp_path / "journal.jsonl").stat().st_size
    with pytest.raises(ClientError):
        ddb.put_item(TableName=TABLE, Item=_key("u1"), ConditionExpression="attribute_not_exists(pk)")
    with pytest.raises(ClientError):
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": TABLE, "Item": _key("u9")}},
            {"ConditionCheck": {"TableName": TABLE, "Key": _key("nobody"),
                                "ConditionExpression": "attribute_exists(pk)"}},
        ])
    assert (tmp_path / "journal.jsonl").stat().st_size == size
    assert journal.records == 1
    close_data_folder(journal)


def test_a_clean_stop_folds_the_journal_into_the_next_snapshot(emulator_url, tmp_path):
    ddb = client(emulator_url)
    journal = open_data_folder(ddb, tmp_path, sync_seconds=0)  # 0: each reply waits for its fsync
    create_probe_table(ddb)
    _write_a_bit_of_everything(ddb)
    before = items(ddb)
    generation = journal.generation
    close_data_folder(journal)

    tables, saved_generation = read_snapshot(tmp_path / "snapshot.json")
    assert saved_generation == generation + 1
    header, *records = (tmp_path / "journal.jsonl").read_text().splitlines()
    assert json.loads(header)["generation"] == saved_generation and records == []
    emulator_backend().reset()
    reopened = open_data_folder(ddb, tmp_path, sync_seconds=0.05)
    assert items(ddb) == before and reopened.generation == saved_generation  # nothing to replay, no rewrite
    close_data_folder(reopened)


def test_a_torn_last_line_is_dropped_and_a_journal_older_than_the_snapshot_is_ignored(emulator_url, tmp_path):
    ddb = client(emulator_url)
    journal = open_data_folder(ddb, tmp_path, sync_seconds=0.05)
    create_probe_table(ddb)
    ddb.put_item(TableName=TABLE, Item=_key("kept"))
    _crash(journal)
    with (tmp_path / "journal.jsonl").open("a") as fh:
        fh.write('[["kl-emulator-probe","put",{"pk":{"S":"torn"')  # the write the kill cut short
    reopened = open_data_folder(ddb, tmp_path, sync_seconds=0.05)
    assert [i["pk"]["S"] for i in items(ddb)] == ["kept"]
    _crash(reopened)

    stale = json.dumps({"format": "keyledger-local-journal", "generation": reopened.generation - 1})
    line = json.dumps([[TABLE, "put", _key("from-an-older-generation")]])
    (tmp_path / "journal.jsonl").write_text(f"{stale}\n{line}\n")
    close_data_folder(open_data_folder(ddb, tmp_path, sync_seconds=0.05))
    assert [i["pk"]["S"] for i in items(ddb)] == ["kept"]


def test_a_damaged_journal_is_kept_aside_and_the_snapshot_still_loads(emulator_url, tmp_path):
    ddb = client(emulator_url)
    journal = open_data_folder(ddb, tmp_path, sync_seconds=0.05)
    create_probe_table(ddb)
    _crash(journal)
    (tmp_path / "journal.jsonl").write_text("not a journal\n")
    close_data_folder(open_data_folder(ddb, tmp_path, sync_seconds=0.05))
    assert items(ddb) == []
    assert len(list(tmp_path.glob("journal.jsonl.corrupt-*"))) == 1


def test_a_data_folder_from_before_the_journal_loads_and_is_carried_on(emulator_url, tmp_path):
    old = {"format": "keyledger-local-snapshot", "version": 1, "tables": {TABLE: {
        "schema": {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                 {"AttributeName": "sk", "KeyType": "RANGE"}],
                   "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                            {"AttributeName": "sk", "AttributeType": "S"}]},
        "items": [{**_key("old"), "b": {"B": "AP8="}}]}}}
    (tmp_path / "snapshot.json").write_text(json.dumps(old))
    ddb = client(emulator_url)
    journal = open_data_folder(ddb, tmp_path, sync_seconds=0.05)
    assert items(ddb) == [{**_key("old"), "b": {"B": b"\x00\xff"}}]
    ddb.put_item(TableName=TABLE, Item=_key("new"))
    _crash(journal)
    close_data_folder(open_data_folder(ddb, tmp_path, sync_seconds=0.05))
    assert [i["pk"]["S"] for i in items(ddb)] == ["new", "old"]
