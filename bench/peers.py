"""KeyLedger's local stack side by side with LiteLLM's proxy (`make bench-peers`; prints a table).

Everything runs on 127.0.0.1 in separate processes (bench/peer_procs.py): a fast fake upstream
(infra/demo_upstream.py, keep-alive), KeyLedger's `make run` stack (pointed at that upstream)
and LiteLLM's proxy 1.108 without a database, pointed at the same upstream. Method:
- warm-up rounds, then N sequential non-streamed chats, interleaved request by request
  (direct, KeyLedger, LiteLLM; the order rotates each round) so all three see the same load;
  added latency = the proxied percentile minus the direct one;
- CPU per request: user + system CPU of each process (and its children) over those N rounds,
  from /proc, divided by N (KeyLedger's includes its embedded DynamoDB and journal);
- throughput: C clients (threads with keep-alive sessions) for T seconds per target, one after
  the other; requests/s counts 200 answers;
- streams: M streamed chats, interleaved, time to the first `data:` event (new connection each).
What each side records: KeyLedger reserves and settles every request (balance, ledger entry,
request record: journaled before the answer); LiteLLM without a database records nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from bench import peer_procs  # noqa: E402
from bench.peer_procs import BENCH_DIR, LITELLM_VERSION, Proc  # noqa: E402

SIDES = ("direct", "KeyLedger", "LiteLLM")


@dataclass
class Target:
    name: str
    origin: str
    model: str
    key: str
    proc: Proc | None = None
    latencies: list[float] = field(default_factory=list)
    first_bytes: list[float] = field(default_factory=list)
    cpu_ms: float = 0.0
    rps: float = 0.0
    failures: int = 0

    def chat(self, session: requests.Session, text: str) -> int:
        r = session.post(f"{self.origin}/v1/chat/completions", timeout=60,
                         headers={"Authorization": f"Bearer {self.key}"},
                         json={"model": self.model, "max_tokens": 16, "messages": [{"role": "user", "content": text}]})
        return r.status_code


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


def sequential(targets: list[Target], n: int, warmup: int) -> None:
    sessions = {t.name: requests.Session() for t in targets}
    for i in range(warmup):
        for t in targets:
            t.chat(sessions[t.name], f"warm {i}")
    cpu_before = {t.name: t.proc.cpu_seconds() for t in targets if t.proc}
    for i in range(n):
        for t in targets[i % 3:] + targets[: i % 3]:
            started = time.perf_counter()
            status = t.chat(sessions[t.name], f"bench {i}")
            t.latencies.append((time.perf_counter() - started) * 1000)
            t.failures += status != 200
    for t in targets:
        if t.proc:  # the upstream serves all three sides: per request, its CPU over 3n
            t.cpu_ms = (t.proc.cpu_seconds() - cpu_before[t.name]) * 1000 / (n * (3 if t.name == "direct" else 1))


def throughput(t: Target, clients: int, seconds: float) -> None:
    ok = [0] * clients
    deadline = time.monotonic() + seconds

    def client(c: int) -> None:
        session = requests.Session()
        while time.monotonic() < deadline:
            try:
                ok[c] += t.chat(session, f"load {c}") == 200
            except requests.RequestException:
                continue

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    t.rps = sum(ok) / (time.monotonic() - began)


def streams(targets: list[Target], m: int) -> None:
    from bench.streams import first_event_seconds

    for i in range(m):
        for t in targets[i % 3:] + targets[: i % 3]:
            body = {"model": t.model, "stream": True, "max_tokens": 16,
                    "messages": [{"role": "user", "content": f"stream {i}"}]}
            t.first_bytes.append(first_event_seconds(t.origin, "/v1/chat/completions", body, t.key) * 1000)


def stored(data_dir: Path) -> str:
    """How many requests the stopped stack's data folder holds, and its size."""
    import json

    size = sum(p.stat().st_size for p in data_dir.glob("*.json*") if p.is_file())
    tables = json.loads((data_dir / "snapshot.json").read_text())["tables"]
    requests_ = sum(1 for name, t in tables.items() if name.endswith("-usage")
                    for i in t["items"] if i["sk"]["S"].startswith("REQ#"))
    return f"{requests_:,} requests, {size / 1e6:.1f} MB"


def table(targets: list[Target], args: argparse.Namespace, data: str) -> str:
    direct, kl, peer = targets
    from bench.proxy import reference_ms

    def added(t: Target, p: float) -> str:
        return f"{_pct(t.latencies, p) - _pct(direct.latencies, p):.1f}"

    rows = [
        (f"added latency p50 / p95 (ms), {args.requests} sequential chats", "—",
         f"{added(kl, 50)} / {added(kl, 95)}", f"{added(peer, 50)} / {added(peer, 95)}"),
        ("latency p50 / p99 (ms)", *(f"{_pct(t.latencies, 50):.1f} / {_pct(t.latencies, 99):.1f}" for t in targets)),
        ("CPU per request, whole process (ms; direct: the upstream's)", *(f"{t.cpu_ms:.1f}" for t in targets)),
        (f"{args.clients} concurrent clients, {args.seconds:g} s: requests/s", *(f"{t.rps:.1f}" for t in targets)),
        ("stream time to first byte p50 / p95 (ms)",
         *(f"{_pct(t.first_bytes, 50):.1f} / {_pct(t.first_bytes, 95):.1f}" for t in targets)),
        ("non-200 answers in the sequential run", *(str(t.failures) for t in targets)),
        ("what it records", "—", f"every request (stored after the run: {data})", "nothing (no database)"),
    ]
    lines = [f"| figure | {' | '.join(SIDES)} |", "|---|---|---|---|"]
    lines += [f"| {' | '.join(row)} |" for row in rows]
    load = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    lines.append(f"\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, machine reference "
                 f"{reference_ms():.2f} ms, load average {load}; LiteLLM {LITELLM_VERSION}; "
                 f"KeyLedger from {args.stack_root}; warm-up {args.warmup} rounds.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--streams", type=int, default=100)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--stack-root", type=Path, default=ROOT, help="the KeyLedger checkout to run")
    parser.add_argument("--data-dir", type=Path, default=BENCH_DIR / "data", help="the stack's data folder")
    args = parser.parse_args(argv)
    logs = BENCH_DIR / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    procs: list[Proc] = []
    try:
        upstream = peer_procs.start_upstream(logs)
        procs.append(upstream)
        stack = peer_procs.start_keyledger(args.stack_root, args.data_dir, upstream, logs)
        procs.append(stack)
        litellm = peer_procs.start_litellm(upstream, logs)
        procs.append(litellm)
        key = peer_procs.keyledger_key(stack, f"bench{int(time.time())}")
        targets = [
            Target("direct", upstream.origin, "demo-chat", "local-demo", upstream),
            Target("KeyLedger", stack.origin, "local-demo-chat", key, stack),
            Target("LiteLLM", litellm.origin, "local-demo-chat", "sk-bench-master", litellm),
        ]
        sequential(targets, args.requests, args.warmup)
        for t in targets:
            throughput(t, args.clients, args.seconds)
        streams(targets, args.streams)
    finally:
        for proc in reversed(procs):
            proc.stop()
    print(table(targets, args, stored(args.data_dir)))


if __name__ == "__main__":
    main()
