"""One key at scale: N proxied requests replayed against the store layer on moto (prints figures).

    .venv/bin/python bench/scale.py [N] [--functions DIR]

CLIENTS threads send one key's requests through the real metering (reserve, settle, the
request record) to moto's server on loopback, and a botocore hook records every item each
call writes. Then the usage stream is handed to the rollup processor, if this build has one.
Printed, per request: writes to the hottest item, items per transaction, WRU (estimated from
item sizes, index copies and the stream processor's share included), and from those
(bench/scale_model.py, which names the DynamoDB limits it assumes): conflicts per 1,000
requests at 16 clients, ceilings per key, user and deployment, and the cost per million
requests at 1, 5 and 20 s upstream time. `--functions` measures another tree's functions/
(an older commit, exported) with this same bench.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
_functions = sys.argv[sys.argv.index("--functions") + 1] if "--functions" in sys.argv else str(ROOT / "functions")
sys.path[:0] = [str(ROOT)]

from bench import proxy as proxy_bench  # noqa: E402  (it puts this tree's functions/ first: ours goes before)
from bench import scale_model as model  # noqa: E402
from bench.dynamo import item_size  # noqa: E402

sys.path.insert(0, _functions)

UNIQUE = ("HOLD#", "ENTRY#", "REQ#", "ROLLED#")  # one per request: never contended


class WriteLog:
    """Every item written (Put/Update/Delete, in a transaction or not) and every transaction's items."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.writes: Counter[str] = Counter()
        self.index_writes: Counter[str] = Counter()
        self.txns: list[list[str]] = []
        self.txn_writes: Counter[str] = Counter()
        self.kept_bytes = 0  # request records and ledger entries: what a request leaves for good
        self.indexed: dict[str, str] = {}  # item -> its index partition, for its delete

    def hook(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        op, params = model.name, json.loads(params.get("body") or b"{}")
        if op == "TransactWriteItems":
            items = []
            for entry in params["TransactItems"]:
                (kind, spec), = entry.items()
                items.append(self._note(kind, spec, transactional=True))
            with self.lock:
                self.txns.append(items)
        elif op in ("PutItem", "UpdateItem", "DeleteItem"):
            self._note(op.removesuffix("Item"), params, transactional=False)

    def _note(self, kind: str, spec: dict[str, Any], transactional: bool) -> str:
        key = spec.get("Key") or spec.get("Item") or {}
        name = f"{spec['TableName'].rsplit('-', 1)[-1]}:{key['pk']['S']}|{key['sk']['S']}"
        with self.lock:
            if kind == "Put" and ("|REQ#" in name or "|ENTRY#" in name):
                self.kept_bytes += item_size(spec["Item"])
            if kind != "ConditionCheck":
                self.writes[name] += 1
                if transactional:
                    self.txn_writes[name] += 1
            index = (spec.get("Item") or {}).get("gsi1pk", {}).get("S")
            if index is not None:
                self.indexed[name] = index
            elif kind == "Delete":  # a deleted item's index copy goes too
                index = self.indexed.pop(name, None)
            if index is not None:
                self.index_writes[f"{spec['TableName'].rsplit('-', 1)[-1]}/gsi1:{index}"] += 1
        return name


def _shared(items: list[str]) -> frozenset[str]:
    return frozenset(i for i in items if not any(f"|{u}" in i for u in UNIQUE))


def _process_rss_mb() -> float:
    """Peak RSS of a fresh process that imports the proxy app (what a warm proxy function holds;
    the Chalice app in a build without one)."""
    # VmHWM, not ru_maxrss: Linux carries the parent's ru_maxrss into a forked child.
    code = ("import importlib,os,re,sys;sys.path[:0]=[sys.argv[1]];"
            "importlib.import_module('proxy_app' if os.path.exists(sys.argv[1]+'/proxy_app.py') else 'app');"
            "print(int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))/1024)")
    out = subprocess.run([sys.executable, "-c", code, _functions], capture_output=True, text=True,  # noqa: S603
                         env={**os.environ, "STAGE": "local"}, timeout=120)
    return float(out.stdout.strip() or "nan")


def simulate(n: int = 400) -> dict[str, Any]:
    from infra.localstack.moto_http import MotoHttpServer
    from infra.moto_atomic import make_moto_dynamodb_atomic

    make_moto_dynamodb_atomic()
    moto = MotoHttpServer()
    os.environ.update(proxy_bench._env(moto.start()))
    from chalicelib.bootstrap import Container
    from chalicelib.kernel.ids import new_id
    from chalicelib.kernel.settings import load_settings
    from chalicelib.metering.types import RecordFields
    from chalicelib.store.base import create_tables, table_clients
    from chalicelib.upstreams.types import Usage

    from bench.dynamo import DynamoMeter  # noqa: I001 - bench's own, after the app's

    c = Container(load_settings())
    create_tables(wait=True)
    user_id, _, issued = proxy_bench.seed_bench_user(c, "http://127.0.0.1:9/v1", "scaleuser")
    c.metering.credit(user_id, Decimal("1000"), "topup", "bench")
    key = c.keys.lookup(issued.key)
    route = c.catalog.route("bench-chat", key.group)

    def one() -> None:
        now = c.clock.now()
        hold = c.metering.reserve(key, route, 20, 64, new_id(now), now, ip="127.0.0.1")
        c.metering.settle(hold, Usage(20, 30), RecordFields(provider="p", latency_ms=5))

    one()  # warm connections (and this minute's last_used_at)
    log = WriteLog()
    for client in table_clients():
        client.meta.events.register("before-call.dynamodb", log.hook)
    per_thread = [n // model.CLIENTS + (i < n % model.CLIENTS) for i in range(model.CLIENTS)]
    def send(k: int) -> None:
        for _ in range(k):
            one()

    threads = [threading.Thread(target=send, args=(k,)) for k in per_thread]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for client in table_clients():
        client.meta.events.unregister("before-call.dynamodb", log.hook)
    units = DynamoMeter(units=True).attach()  # units in a pass of their own: its reads-back are not thread-safe
    unit_runs = min(n, 40)
    for _ in range(unit_runs):
        one()
    request_wru, rru = units.wru / unit_runs * n, units.rru / unit_runs * n
    units.reset()
    stream_note = "no stream processor in this build: rollups are written by the request"
    if hasattr(c, "usage_rollups"):  # a build whose rollups follow the usage table's stream
        from chalicelib.usage.store import UsageRecordItem

        from infra.localstack.usage_stream import StreamTail

        tail = StreamTail(UsageRecordItem._get_connection().connection.client, UsageRecordItem.Meta.table_name)
        while records := tail.read(limit=1000):
            c.usage_rollups.process(records)
        stream_note = "stream processor: batches of 1,000 records"
    stream_wru = units.wru * n / (n + unit_runs + 1)  # the stream holds every request made
    units.detach()
    moto.stop()

    txns = log.txns
    # Every request of one key has the same shared items: the reservation's (it checks the key
    # item) and the settle's; the model replays that pair n times.
    reserve = next(_shared(t) for t in txns if any("|KEY" in i for i in t))
    settle = next(_shared(t) for t in txns if any("|HOLD#" in i for i in t) and not any("|KEY" in i for i in t))
    requests = [model.Request((reserve, settle))] * n
    hottest, hot_writes = log.writes.most_common(1)[0]
    hot_txn = log.txn_writes[hottest] / n
    deployment = {k: v for k, v in log.index_writes.items() if "USER#" not in k and "QUOTA#" not in k}
    deployment |= {k: v for k, v in log.writes.items() if k.split(":", 1)[1].startswith("ALL#")}
    hot_deploy, hot_deploy_writes = max(deployment.items(), key=lambda kv: kv[1], default=("none", 0))
    index_wru = sum(log.index_writes.values()) / n
    conflicts, failed = model.conflicts_per_1000(requests)
    return {
        "requests": n, "clients": model.CLIENTS, "hottest_item": hottest, "hottest_writes": hot_writes / n,
        "items_per_txn": sum(len(t) for t in txns) / max(1, len(txns)), "txns_per_request": len(txns) / n,
        "wru_request": request_wru / n + index_wru, "wru_stream": stream_wru / n, "rru": rru / n,
        "stream_note": stream_note, "conflicts": conflicts, "failed": failed,
        "key_ceiling": model.item_ceiling(hot_txn, 2.0),
        "deployment_partition": hot_deploy, "deployment_ceiling": model.partition_ceiling(
            hot_deploy_writes / n, 2.0 if hot_deploy.startswith("usage:ALL#") else 1.0),
        "stored_bytes": log.kept_bytes / n,
    }


def main(argv: list[str]) -> None:
    n = int(next((a for a in argv[1:] if a.isdigit()), "400"))
    f = simulate(n)
    rss = _process_rss_mb()
    cpu_ms = float(os.environ.get("SCALE_CPU_MS", "7"))  # bench/proxy.py's gateway CPU p50 here
    memory, why = model.memory_choice(cpu_ms, rss)
    wru = f["wru_request"] + f["wru_stream"]
    print(f"one key, {f['requests']} requests from {f['clients']} threads against moto ({f['stream_note']})")
    print(f"writes to the hottest item per request: {f['hottest_writes']:.2f} ({f['hottest_item']})")
    print(f"items per transaction: {f['items_per_txn']:.2f}; transactions per request {f['txns_per_request']:.2f}")
    print(f"WRU per request: {wru:.2f} (request path {f['wru_request']:.2f} incl. index copies, "
          f"stream processor {f['wru_stream']:.2f}); RRU {f['rru']:.2f}")
    print(f"conflicts per 1,000 requests at {model.CLIENTS} clients (model, {model.TXN_MS:g} ms a transaction): "
          f"{f['conflicts']:.0f}, failed after retries {f['failed']:.1f}")
    print(f"ceilings (requests/s): per key {f['key_ceiling']:.0f}, per user {f['key_ceiling']:.0f} "
          f"(the balance is per user), per deployment {f['deployment_ceiling']:.0f} "
          f"(hottest shared partition {f['deployment_partition']})")
    print(f"assumed: {model.PARTITION_WRU_PER_S} WRU/s a partition, one transaction per item at a time, "
          f"{model.TXN_MS:g} ms a transaction, 2 WRU/KB transactional, 1 WRU/KB an index copy")
    print(f"proxy function memory: {why} (process RSS {rss:.0f} MB, CPU {cpu_ms:g} ms a request)")
    for seconds in (1, 5, 20):
        cost = model.cost_per_million(seconds, memory, cpu_ms, wru, f["rru"], f["stored_bytes"])
        print(f"cost per million requests at {seconds} s upstream time: ${cost['total']:.2f} "
              f"(Lambda {memory} MB arm64 ${cost['lambda']:.2f}, API Gateway ${cost['api_gateway']:.2f}, "
              f"DynamoDB ${cost['dynamodb']:.2f}, storage ${cost['storage_month']:.2f} a month kept)")
    if "--json" in argv:
        print(json.dumps(f, default=str))


if __name__ == "__main__":
    main(sys.argv)
