"""The local stack's snapshot: every attribute type and the table shape survive dump -> file -> load
(in process, straight from and into the emulator's tables)."""

from __future__ import annotations

import json
from decimal import Decimal

import boto3
import pytest

from infra.localstack.moto_state import dump_backend, emulator_backend
from infra.localstack.persistence import restore_snapshot
from infra.localstack.snapshot import SnapshotError, parse_snapshot, read_snapshot, write_snapshot

EVERY_TYPE = {
    "pk": {"S": "USER#01"},
    "sk": {"S": "PROFILE"},
    "s": {"S": "héllo \u2603 \U0001f600"},
    "n": {"N": "12345678901234567890.123456"},
    "b": {"B": bytes(range(256))},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2.5"]},
    "bs": {"BS": [b"\x00", b"\xff\xfe"]},
    "l": {"L": [{"S": "x"}, {"N": "1"}, {"B": b"\x01"}, {"L": []}, {"NULL": True}]},
    "m": {"M": {"inner": {"M": {"deep": {"BOOL": False}}}, "bytes": {"B": b"\x02"}}},
    "t": {"BOOL": True},
    "nothing": {"NULL": True},
    "gsi1pk": {"S": "USERS"},
    "gsi1sk": {"S": "01"},
    "ttl": {"N": "1900000000"},
}


@pytest.fixture
def ddb(aws):
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(
        TableName="kl-snap-users",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "gsi1pk", "gsi1sk")],
        GlobalSecondaryIndexes=[{
            "IndexName": "gsi1",
            "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"},
                          {"AttributeName": "gsi1sk", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
        BillingMode="PAY_PER_REQUEST",
    )
    client.update_time_to_live(TableName="kl-snap-users",
                               TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"})
    return client


def _scan(client, table):
    return sorted(client.scan(TableName=table)["Items"], key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def test_every_attribute_type_and_the_table_shape_survive_a_round_trip_through_the_file(ddb, tmp_path):
    ddb.put_item(TableName="kl-snap-users", Item=EVERY_TYPE)
    for i in range(60):  # more than one BatchWriteItem batch
        ddb.put_item(TableName="kl-snap-users", Item={"pk": {"S": f"P#{i:03}"}, "sk": {"S": "X"}, "v": {"N": str(i)}})
    before = _scan(ddb, "kl-snap-users")
    path = tmp_path / "snapshot.json"

    write_snapshot(path, dump_backend(emulator_backend(), 3))
    ddb.delete_table(TableName="kl-snap-users")
    tables, generation = read_snapshot(path)
    restore_snapshot(ddb, emulator_backend(), path, tables)

    assert generation == 3 and len(tables["kl-snap-users"]["items"]) == 61
    assert _scan(ddb, "kl-snap-users") == before
    desc = ddb.describe_table(TableName="kl-snap-users")["Table"]
    assert [g["IndexName"] for g in desc["GlobalSecondaryIndexes"]] == ["gsi1"]
    assert ddb.describe_time_to_live(TableName="kl-snap-users")["TimeToLiveDescription"]["AttributeName"] == "ttl"
    by_gsi = ddb.query(TableName="kl-snap-users", IndexName="gsi1", KeyConditionExpression="gsi1pk = :p",
                       ExpressionAttributeValues={":p": {"S": "USERS"}})["Items"]
    assert by_gsi[0]["b"]["B"] == bytes(range(256))
    assert Decimal(by_gsi[0]["n"]["N"]) == Decimal("12345678901234567890.123456")


def test_loading_into_an_existing_table_keeps_its_other_items(ddb, tmp_path):
    ddb.put_item(TableName="kl-snap-users", Item={"pk": {"S": "A"}, "sk": {"S": "1"}})
    doc = json.loads(json.dumps(dump_backend(emulator_backend(), 1)))
    ddb.put_item(TableName="kl-snap-users", Item={"pk": {"S": "B"}, "sk": {"S": "1"}})
    restore_snapshot(ddb, emulator_backend(), tmp_path / "snapshot.json", parse_snapshot(doc))
    assert [i["pk"]["S"] for i in _scan(ddb, "kl-snap-users")] == ["A", "B"]


def test_the_snapshot_file_is_replaced_whole_and_no_temp_file_is_left(ddb, tmp_path):
    path = tmp_path / "snapshot.json"
    path.write_text("old")
    write_snapshot(path, dump_backend(emulator_backend(), 1))
    assert json.loads(path.read_text())["format"] == "keyledger-local-snapshot"
    assert [p.name for p in tmp_path.iterdir()] == ["snapshot.json"]
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("content", [
    "{not json", "[]", '{"format": "other", "version": 1, "tables": {}}',
    '{"format": "keyledger-local-snapshot", "version": 1, "tables": {"t": {"items": [{"a": {"S": 1}}],'
    ' "schema": {"KeySchema": [], "AttributeDefinitions": []}}}}',
    '{"format": "keyledger-local-snapshot", "version": 1, "tables": {"t": {"items": [{"a": {"B": "!!"}}],'
    ' "schema": {"KeySchema": [], "AttributeDefinitions": []}}}}',
])
def test_an_unreadable_snapshot_is_kept_aside_and_the_stack_starts_empty(tmp_path, content):
    path = tmp_path / "snapshot.json"
    path.write_text(content)
    assert read_snapshot(path) == (None, 0)
    assert not path.exists()
    (kept,) = tmp_path.iterdir()
    assert kept.name.startswith("snapshot.json.corrupt-")
    assert kept.read_text() == content


def test_a_missing_snapshot_means_empty_tables(tmp_path):
    assert read_snapshot(tmp_path / "snapshot.json") == (None, 0)


def test_an_unknown_attribute_type_is_refused():
    with pytest.raises(SnapshotError):
        parse_snapshot({"format": "keyledger-local-snapshot", "version": 1, "tables": {
            "t": {"schema": {"KeySchema": [], "AttributeDefinitions": []}, "items": [{"a": {"X": "1"}}]}}})
