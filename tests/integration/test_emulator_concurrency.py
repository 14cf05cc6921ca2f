"""The embedded DynamoDB under concurrency (infra/moto_atomic.py, infra/moto_locks.py): transactions
on different partition keys run at the same time, transactions on the same key stay atomic, and
queries and scans are safe beside writes that add items."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.models import DynamoDBBackend

from tests.support.emulator import TABLE, client, create_probe_table

THREADS = 32
LIMIT = 40


def _reservation(pk: str, i: int, limit: int | None = None) -> list[dict]:
    """Shaped like a reservation: a guarded balance, a mirror (the quota period), a new hold."""
    add = {"UpdateExpression": "ADD n :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}
    guarded = dict(add)
    if limit is not None:
        guarded = {**add, "ConditionExpression": "attribute_not_exists(n) OR n < :limit",
                   "ExpressionAttributeValues": {":one": {"N": "1"}, ":limit": {"N": str(limit)}}}
    return [
        {"Update": {"TableName": TABLE, "Key": {"pk": {"S": pk}, "sk": {"S": "BALANCE"}}, **guarded}},
        {"Update": {"TableName": TABLE, "Key": {"pk": {"S": pk}, "sk": {"S": "PERIOD"}}, **add}},
        {"Put": {"TableName": TABLE, "Item": {"pk": {"S": pk}, "sk": {"S": f"HOLD#{i}"}}}},
    ]


def test_transactions_of_32_different_users_are_inside_the_emulator_at_the_same_time(emulator_url, monkeypatch):
    """Each transaction waits inside moto until all 32 are there. Behind one global lock only
    one could ever be inside and the barrier would break; per-key locks let all of them in."""
    create_probe_table(client(emulator_url))
    barrier = threading.Barrier(THREADS, timeout=50)  # under botocore's 60 s read timeout
    inside = {"now": 0, "most": 0}
    count_lock = threading.Lock()
    original = DynamoDBBackend.transact_write_items

    def waiting_transaction(self, transact_items):
        with count_lock:
            inside["now"] += 1
            inside["most"] = max(inside["most"], inside["now"])
        try:
            barrier.wait()  # stands for I/O or a wait inside the transaction
            return original(self, transact_items)
        finally:
            with count_lock:
                inside["now"] -= 1

    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", waiting_transaction)
    clients = [client(emulator_url) for _ in range(THREADS)]  # boto3's default session is not thread-safe

    def reserve(i: int) -> None:
        clients[i].transact_write_items(TransactItems=_reservation(f"USER#{i}", i))

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(reserve, range(THREADS)))
    assert inside["most"] == THREADS
    ddb = client(emulator_url)
    balances = [ddb.get_item(TableName=TABLE, Key={"pk": {"S": f"USER#{i}"}, "sk": {"S": "BALANCE"}})["Item"]["n"]["N"]
                for i in range(THREADS)]
    assert balances == ["1"] * THREADS


def test_32_threads_racing_on_one_user_stop_exactly_at_the_limit_with_every_part_written(emulator_url):
    create_probe_table(client(emulator_url))
    clients = [client(emulator_url) for _ in range(3 * LIMIT)]

    def reserve(i: int) -> bool:
        try:
            clients[i].transact_write_items(TransactItems=_reservation("USER#hot", i, limit=LIMIT))
            return True
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "TransactionCanceledException"
            return False

    with ThreadPoolExecutor(THREADS) as pool:
        won = sum(pool.map(reserve, range(3 * LIMIT)))
    ddb = client(emulator_url)
    rows = ddb.query(TableName=TABLE, KeyConditionExpression="pk = :p", ConsistentRead=True,
                     ExpressionAttributeValues={":p": {"S": "USER#hot"}})["Items"]
    by_sk = {r["sk"]["S"]: r for r in rows}
    holds = [sk for sk in by_sk if sk.startswith("HOLD#")]
    assert (won, by_sk["BALANCE"]["n"]["N"], by_sk["PERIOD"]["n"]["N"], len(holds)) == (LIMIT, str(LIMIT), str(LIMIT),
                                                                                      LIMIT)


@pytest.mark.parametrize("read", ["scan", "query"])
def test_scans_and_queries_beside_writes_that_add_partitions_never_fail(emulator_url, read):
    create_probe_table(client(emulator_url))
    stop = threading.Event()
    clients = [client(emulator_url) for _ in range(6)]

    def writer(w: int) -> int:
        ddb, n = clients[w], 0
        while not stop.is_set() and n < 300:
            ddb.put_item(TableName=TABLE, Item={"pk": {"S": f"W{w}-{n}"}, "sk": {"S": "X"}})
            n += 1
        return n

    def reader(r: int) -> int:
        ddb = clients[4 + r]
        for _ in range(30):
            if read == "scan":
                ddb.scan(TableName=TABLE)
            else:
                ddb.query(TableName=TABLE, KeyConditionExpression="pk = :p",
                          ExpressionAttributeValues={":p": {"S": "W0-0"}})
        stop.set()
        return 30

    with ThreadPoolExecutor(6) as pool:
        writes = [pool.submit(writer, w) for w in range(4)]
        reads = [pool.submit(reader, r) for r in range(2)]
        assert [r.result(timeout=300) for r in reads] == [30, 30]
        assert all(w.result(timeout=300) > 0 for w in writes)
