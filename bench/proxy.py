"""What the gateway adds to a proxied chat: latency, DynamoDB calls, CPU (prints figures).

Run: `make bench` (or `.venv/bin/python bench/proxy.py [N]`). Everything is on 127.0.0.1:
DynamoDB is moto's server in a thread of this process (so its work is NOT counted in the
gateway's CPU: that runs in other threads), the upstream is the local demo upstream. The
real services are used: catalog (cached snapshot), keys (one GetItem), metering
(reservation and settle transactions), upstream client.

For each of N rounds, interleaved so both see the same machine load:
- direct: the upstream client calls the demo upstream;
- proxied: `ProxyService.chat` (auth, route, reserve, the same upstream call, settle).
Added latency = proxied - direct (p50/p95 over rounds); gateway CPU = thread CPU time of
proxied - direct. DynamoDB calls are counted with a botocore `before-call` hook, and request
units estimated from item sizes (bench/dynamo.py: moto's ConsumedCapacity is made up).
`measure(n)` returns the figures (bench/run.py puts them in its table); `main` prints them.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]


def _env(moto_url: str) -> dict[str, str]:
    return {
        "STAGE": "local", "TABLE_PREFIX": "bench", "DYNAMODB_ENDPOINT": moto_url,
        "SECRET_KEY": "bench-secret-key-" + "x" * 32, "ENCRYPTION_KEY": "q1f0s8m8gHh3m1zQ0Qv6g1bq2b7m3Yx8c4Vb9n2k5s0=",
        "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
        "CATALOG_CACHE_SECONDS": "3600",
    }


def _rusage() -> tuple[float, float]:
    """This thread's user and system CPU seconds (Linux: RUSAGE_THREAD)."""
    r = resource.getrusage(resource.RUSAGE_THREAD)
    return r.ru_utime, r.ru_stime


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def reference_ms(rounds: int = 7) -> float:
    """CPU ms of a fixed pure-Python workload (best of `rounds`): the machine's speed right now.
    The same code measures differently on a busy or throttled VM; compare runs by this figure."""
    best = float("inf")
    for _ in range(rounds):
        t0 = time.thread_time()
        total = 0
        for i in range(200_000):
            total += i % 7
        best = min(best, time.thread_time() - t0)
    return best * 1000


def seed_bench_user(c: Any, demo_url: str, username: str) -> tuple[str, dict[str, Any], Any]:
    """A user with a quota on a `bench` group holding `bench-chat` (the demo upstream, priced
    1/2 per 1M tokens): (user id, the provider's view, the issued key)."""
    from chalicelib.catalog.types import QuotaLimits

    user_id, _ = c.accounts.create_superadmin(username, "a long enough bench password")
    provider = c.catalog_admin.create_provider(name="demo", type="openai", base_url=demo_url, api_key="local-demo",
                                               actor_id="bench", meta=None)
    c.catalog_admin.create_model({"name": "bench-chat", "provider": provider.provider_id,
                                  "upstream_model": "demo-chat", "input_price": Decimal("1"),
                                  "output_price": Decimal("2")}, actor_id="bench", meta=None)
    c.catalog_admin.create_group(name="bench", models=["bench-chat"], default_quota=QuotaLimits(),
                                 actor_id="bench", meta=None)
    _, issued = c.keys.create_quota(user_id=user_id, group="bench", limits={}, actor_id="bench", meta=None)
    return user_id, provider, issued


def measure(n: int = 200, profile: bool = False) -> dict:
    from infra.demo_upstream import start_demo_upstream
    from infra.localstack.moto_http import MotoHttpServer
    from infra.moto_atomic import make_moto_dynamodb_atomic

    make_moto_dynamodb_atomic()
    moto = MotoHttpServer()
    os.environ.update(_env(moto.start()))
    demo, demo_url = start_demo_upstream()

    from chalicelib.bootstrap import Container
    from chalicelib.kernel.context import RequestMeta
    from chalicelib.kernel.ids import new_id
    from chalicelib.kernel.settings import load_settings
    from chalicelib.proxy.service import default_target
    from chalicelib.store.base import create_tables

    c = Container(load_settings())
    create_tables(wait=True)
    user_id, provider, issued = seed_bench_user(c, demo_url, "benchuser")
    _, limited = c.keys.create_quota(user_id=user_id, group="bench", limits={"rpm": 100000}, actor_id="bench",
                                     meta=None)
    c.metering.credit(user_id, Decimal("1000"), "topup", "bench")

    body = {"model": "bench-chat", "messages": [{"role": "user", "content": "say something short"}],
            "max_tokens": 64}
    route = c.catalog.route("bench-chat", c.keys.lookup(issued.key).group)
    target = default_target(route.targets[0][0], route.targets[0][1], route.max_output_tokens)

    from bench.dynamo import DynamoMeter

    meter = DynamoMeter(units=False).attach()  # calls only while timing; units in their own pass
    calls = meter.calls

    for _ in range(5):  # warm: connections, catalog snapshot
        c.upstream_client.chat(target, body, "bench-chat")
        c.proxy.chat(issued.key, body, RequestMeta(new_id(), "127.0.0.1", "bench"))
        c.proxy.chat(limited.key, body, RequestMeta(new_id(), "127.0.0.1", "bench"))
    meter.reset()
    for _ in range(10):
        c.proxy.chat(limited.key, body, RequestMeta(new_id(), "127.0.0.1", "bench"))
    with_rpm = dict(calls)
    meter.reset()

    if profile:
        import cProfile
        import pstats

        prof = cProfile.Profile(time.thread_time)
        prof.enable()
        for _ in range(n):
            c.proxy.chat(issued.key, body, RequestMeta(new_id(), "127.0.0.1", "bench"))
        prof.disable()
        # PROFILE_SORT=cumulative shows where the time goes; PROFILE_ROWS how many lines.
        stats = pstats.Stats(prof).sort_stats(os.environ.get("PROFILE_SORT", "tottime"))
        stats.print_stats(int(os.environ.get("PROFILE_ROWS", "25")))
        return {}
    added, cpu, direct = [], [], []
    user = kernel = 0.0  # summed over the rounds: the thread's user and system time, proxied - direct
    for _ in range(n):
        w0, t0, r0 = time.perf_counter(), time.thread_time(), _rusage()
        c.upstream_client.chat(target, body, "bench-chat")
        w1, t1, r1 = time.perf_counter(), time.thread_time(), _rusage()
        c.proxy.chat(issued.key, body, RequestMeta(new_id(), "127.0.0.1", "bench"))
        w2, t2, r2 = time.perf_counter(), time.thread_time(), _rusage()
        added.append(((w2 - w1) - (w1 - w0)) * 1000)
        direct.append((w1 - w0) * 1000)
        cpu.append(((t2 - t1) - (t1 - t0)) * 1000)
        user += (r2[0] - r1[0]) - (r1[0] - r0[0])
        kernel += (r2[1] - r1[1]) - (r1[1] - r0[1])

    meter.detach()
    units = DynamoMeter(units=True).attach()
    unit_runs = min(n, 20)
    for _ in range(unit_runs):
        c.proxy.chat(issued.key, body, RequestMeta(new_id(), "127.0.0.1", "bench"))
    units.detach()
    figures = {
        "requests": n, "ddb_calls": sum(calls.values()) / n, "ddb_calls_by_op": {k: v / n for k, v in calls.items()},
        "ddb_calls_with_rpm": sum(with_rpm.values()) / 10, "wru": units.wru / unit_runs, "rru": units.rru / unit_runs,
        "added_p50": _pct(added, 50), "added_p95": _pct(added, 95), "direct_p50": _pct(direct, 50),
        "direct_p95": _pct(direct, 95), "cpu_p50": _pct(cpu, 50), "cpu_ms": statistics.mean(cpu),
        "cpu_user_ms": user * 1000 / n, "cpu_kernel_ms": kernel * 1000 / n, "reference_ms": reference_ms(),
    }
    c.upstream_client.close()
    demo.stop()
    moto.stop()
    return figures


def main(n: int = 200, profile: bool = False) -> None:
    f = measure(n, profile)
    if not f:
        return
    print(f"proxied chat requests: {n} (non-streamed, local demo upstream, DynamoDB = moto server on loopback)")
    print(f"gateway added latency: p50 {f['added_p50']:.2f} ms, p95 {f['added_p95']:.2f} ms")
    print(f"DynamoDB calls per request: {f['ddb_calls']:.2f} ({f['ddb_calls_by_op']}); with an RPM limit "
          f"(+1 read for x-ratelimit-remaining-requests): {f['ddb_calls_with_rpm']:.2f}")
    print(f"DynamoDB units per request (estimated from item sizes): {f['wru']:.1f} WRU + {f['rru']:.1f} RRU")
    print(f"gateway CPU per request: p50 {f['cpu_p50']:.2f} ms, mean {f['cpu_ms']:.2f} ms "
          "(this process's request thread, excluding moto and the upstream)")
    print(f"  of which user {f['cpu_user_ms']:.2f} ms, kernel {f['cpu_kernel_ms']:.2f} ms "
          "(the kernel part is mostly loopback socket I/O to moto)")
    print(f"machine reference: {f['reference_ms']:.2f} ms CPU for a fixed pure-Python loop "
          "(CPU figures scale with it; compare runs by it)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200, profile="--profile" in sys.argv)
