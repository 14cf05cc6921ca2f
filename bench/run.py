"""`make bench`: KeyLedger's figures in one table.

    .venv/bin/python bench/run.py [--requests 200] [--write FILE]

Starts a local stack on free loopback ports (its own temporary data folder), measures, stops
it, and prints one Markdown table (and writes it with the date and machine with --write).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "functions")]

from bench import cost, importtime, sizes  # noqa: E402


def machine() -> str:
    cpus = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()  # noqa: S603, S607
    model = ""
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout  # noqa: S603, S607
        model = next((line.split(":", 1)[1].strip() for line in lscpu.splitlines()
                      if line.startswith("Model name")), "")
    except OSError:
        pass
    try:
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        load = "?"
    return f"{cpus} cores ({model or platform.processor()}), Python {platform.python_version()}, load avg {load}"


def memory_mb() -> int:
    config = json.loads((REPO / ".chalice" / "config.json").read_text())
    return int(config.get("lambda_memory_size", 128))


def proxy_figures(n: int) -> dict:
    """bench/proxy.py (the proxy's own bench: in-process app, moto server and demo upstream on
    loopback) measured through its `measure(n)`; a note when this build has no proxy yet."""
    try:
        from bench.proxy import measure

        return measure(n)
    except (ImportError, AttributeError) as exc:  # an area the bench needs is not in this build
        return {"note": f"proxy figures n/a: {type(exc).__name__}: {exc}"}


def stream_figures(n: int) -> dict:
    """bench/streams.py: added time to first byte of streams through the front server."""
    from bench.streams import measure

    return measure(max(10, n // 2))


def table(imp: dict, size: dict, px: dict, mem: int, st: dict | None = None) -> list[tuple[str, str]]:
    rows = [
        ("cold import of functions/app.py (wall, fresh process)",
         f"{imp['wall_ms']:.0f} ms (interpreter alone {imp['interpreter_ms']:.0f} ms)"),
        ("cold import, -X importtime total", f"{imp['importtime_total_ms']:.0f} ms"),
        ("app package (deployment.zip)", size["app"]),
        ("dependency layer", size["layer"]),
    ]
    if "note" in px:
        rows.append(("proxied request figures", px["note"]))
        return rows
    by_op = ", ".join(f"{op} {n:g}" for op, n in sorted(px["ddb_calls_by_op"].items()))
    rows += [
        ("DynamoDB calls per proxied chat (warm container, key remembered)",
         f"{px['ddb_calls']:.2f} ({by_op}); {px['ddb_calls_with_rpm']:.2f} with an RPM limit (header read); "
         "+1 GetItem when the key is read (first use in a container, KEY_CACHE_SECONDS=0)"),
        ("DynamoDB units per proxied chat (estimated from item sizes)",
         f"{px['wru']:.1f} WRU + {px['rru']:.1f} RRU"),
        ("gateway added latency p50 / p95 (proxied - direct, interleaved, in-process)",
         f"{px['added_p50']:.1f} / {px['added_p95']:.1f} ms (direct to demo upstream "
         f"{px['direct_p50']:.1f} / {px['direct_p95']:.1f} ms)"),
        ("gateway CPU per proxied chat (request thread, proxied - direct)",
         f"{px['cpu_ms']:.2f} ms mean, {px['cpu_p50']:.2f} ms p50 (user {px['cpu_user_ms']:.2f} ms, "
         f"kernel {px['cpu_kernel_ms']:.2f} ms; target < 5 ms)"),
        ("machine reference (CPU for a fixed pure-Python loop; CPU figures scale with it)",
         f"{px['reference_ms']:.2f} ms"),
        ("proxied chats measured", f"{px['requests']} (non-streamed; DynamoDB = moto server on loopback)"),
    ]
    if st:
        rows.append(("stream: added time to first byte p50 / p95 (proxied - direct, real HTTP, front server)",
                     f"{st['ttfb_added_p50']:.1f} / {st['ttfb_added_p95']:.1f} ms over {st['streams']} streams "
                     f"(direct {st['ttfb_direct_p50']:.1f} / {st['ttfb_direct_p95']:.1f} ms)"))
    # Lambda bills the whole duration; with a real upstream that is mostly waiting for it, so the
    # estimate uses the gateway's own share (proxied p50 minus the demo upstream's answer time).
    billed = max(1.0, px["added_p50"])  # Lambda rounds up to 1 ms
    c = cost.per_million(memory_mb=mem, billed_ms_per_request=billed, wru_per_request=px["wru"],
                         rru_per_request=px["rru"])
    rows += [
        (f"est. AWS cost per 1M proxied chats (Lambda {mem} MB x {billed:.0f} ms, REST API, DynamoDB on-demand)",
         f"${c['total']:.2f} = Lambda ${c['lambda']:.2f} + API Gateway ${c['api_gateway']:.2f} "
         f"+ DynamoDB ${c['dynamodb']:.2f}"),
    ]
    return rows


def render(rows: list[tuple[str, str]]) -> str:
    lines = ["| figure | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--write", type=Path, help="also write the table to this Markdown file")
    args = parser.parse_args()
    imp = importtime.measure()
    size = sizes.measure()
    px = proxy_figures(args.requests)
    st = stream_figures(args.requests)
    text = render(table(imp, size, px, memory_mb(), st))
    print(text)
    if args.write:
        when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        args.write.write_text(
            "# KeyLedger figures\n\n"
            f"Measured {when} with `make bench` on {machine()}.\n"
            "Other jobs shared the machine, so latency and import times are upper bounds.\n\n"
            f"{text}\n\n"
            "How each figure is made: `bench/run.py` and its modules (`bench/importtime.py`, "
            "`bench/sizes.py`, `bench/dynamo.py`, `bench/proxy.py`, `bench/streams.py`, `bench/cost.py`, "
            "where the prices are).\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
