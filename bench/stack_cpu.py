"""CPU of one proxied chat on `make run`'s DynamoDB: the gateway, the embedded moto and the journal.

Run: `.venv/bin/python bench/stack_cpu.py [N] [--profile] [--http]` (`--http`: the app's calls go
over moto's loopback HTTP server, as before infra/localstack/moto_inprocess.py). Unlike bench/proxy.py (which counts
the request thread only), this counts the whole process: DynamoDB is the local stack's own
(`infra.localstack.servers.MotoEndpoint`, with the journal of a temporary data folder attached
as on `make run`), so moto's work is in the figure wherever it runs. For each of N rounds,
interleaved: the upstream client calls the demo upstream directly, then `ProxyService.chat`
serves the same request; CPU per chat = process CPU time of proxied - direct (the demo
upstream's own work cancels out). `--profile` profiles every thread that serves a chat (the
request thread, and moto's HTTP threads if requests go over HTTP) and prints the merged profile
(`PROFILE_SORT`, `PROFILE_ROWS` as in bench/proxy.py).
"""

from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

from bench.proxy import _env, _pct, reference_ms, seed_bench_user  # noqa: E402


class ThreadProfiles:
    """One cProfile per thread that runs a wrapped function (moto's HTTP threads), merged at the end."""

    def __init__(self) -> None:
        self.profiles: dict[int, cProfile.Profile] = {}
        self.enabled = False

    def wrap(self, owner: Any, name: str) -> None:
        original = getattr(owner, name)

        def profiled(*args: Any, **kwargs: Any) -> Any:
            if not self.enabled:
                return original(*args, **kwargs)
            prof = self.profiles.setdefault(threading.get_ident(), cProfile.Profile(time.thread_time))
            prof.enable()
            try:
                return original(*args, **kwargs)
            finally:
                prof.disable()

        setattr(owner, name, profiled)

    def stats(self, main: cProfile.Profile) -> pstats.Stats:
        stats = pstats.Stats(main)
        for prof in self.profiles.values():
            stats.add(prof)
        return stats


def measure(n: int, profile: bool, http: bool = False) -> dict[str, float]:
    from infra.demo_upstream import start_demo_upstream
    from infra.localstack import moto_http
    from infra.localstack.persistence import close_data_folder, open_data_folder
    from infra.localstack.servers import MotoEndpoint

    threads = ThreadProfiles()
    threads.wrap(moto_http._Handler, "do_POST")
    moto = MotoEndpoint(0, in_process=not http)
    os.environ.update(_env(moto.start()))
    demo, demo_url = start_demo_upstream()

    import boto3
    from chalicelib.bootstrap import Container
    from chalicelib.kernel.context import RequestMeta
    from chalicelib.kernel.ids import new_id
    from chalicelib.kernel.settings import load_settings
    from chalicelib.proxy.service import default_target
    from chalicelib.store.base import create_tables

    c = Container(load_settings())
    create_tables(wait=True)
    data = Path(tempfile.mkdtemp(prefix="stack-cpu-"))
    client = boto3.client("dynamodb", endpoint_url=os.environ["DYNAMODB_ENDPOINT"], region_name="us-east-1")
    journal = open_data_folder(client, data, 0.05)
    user_id, _, issued = seed_bench_user(c, demo_url, "stackcpu")
    c.metering.credit(user_id, Decimal("1000"), "topup", "bench")
    body = {"model": "bench-chat", "messages": [{"role": "user", "content": "say something short"}], "max_tokens": 64}
    route = c.catalog.route("bench-chat", c.keys.lookup(issued.key).group)
    target = default_target(route.targets[0][0], route.targets[0][1], route.max_output_tokens)

    def chat() -> None:
        c.proxy.chat(issued.key, body, RequestMeta(new_id(), "127.0.0.1", "bench"))

    for _ in range(10):  # warm: connections, catalog snapshot, the key
        c.upstream_client.chat(target, body, "bench-chat")
        chat()
    figures: dict[str, float] = {}
    if profile:
        main = cProfile.Profile(time.thread_time)
        threads.enabled = True
        main.enable()
        for _ in range(n):
            chat()
        main.disable()
        threads.enabled = False
        stats = threads.stats(main).sort_stats(os.environ.get("PROFILE_SORT", "tottime"))
        total_ms = stats.total_tt * 1000 / n  # type: ignore[attr-defined]  # pstats sets it, typeshed lacks it
        print(f"profile of {n} chats over {1 + len(threads.profiles)} threads ({total_ms:.1f} ms a chat, profiled)")
        stats.print_stats(int(os.environ.get("PROFILE_ROWS", "30")))
    else:
        cpu, added = [], []
        for _ in range(n):
            p0, w0 = time.process_time(), time.perf_counter()
            c.upstream_client.chat(target, body, "bench-chat")
            p1, w1 = time.process_time(), time.perf_counter()
            chat()
            p2, w2 = time.process_time(), time.perf_counter()
            cpu.append(((p2 - p1) - (p1 - p0)) * 1000)
            added.append(((w2 - w1) - (w1 - w0)) * 1000)
        figures = {"cpu_mean": statistics.mean(cpu), "cpu_p50": _pct(cpu, 50), "added_p50": _pct(added, 50),
                   "added_p95": _pct(added, 95), "reference_ms": reference_ms(),
                   "journal_records": float(journal.records)}
    close_data_folder(journal)
    c.upstream_client.close()
    demo.stop()
    moto.stop()
    return figures


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 200
    http = "--http" in sys.argv
    f = measure(n, "--profile" in sys.argv, http)
    if not f:
        return
    load = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    how = "over loopback HTTP" if http else "in process"
    print(f"{n} proxied chats on the local stack's DynamoDB (moto + journal, {how}), whole-process CPU")
    print(f"CPU per chat (proxied - direct): mean {f['cpu_mean']:.2f} ms, p50 {f['cpu_p50']:.2f} ms")
    print(f"added latency: p50 {f['added_p50']:.2f} ms, p95 {f['added_p95']:.2f} ms")
    print(f"journal records: {f['journal_records']:.0f}; machine reference {f['reference_ms']:.2f} ms; "
          f"load average {load}")


if __name__ == "__main__":
    main()
