"""Proxied-request figures: DynamoDB calls and units, added latency and CPU per request.

A local stack (subprocess: moto server, demo upstream, API) holds the data; this process runs
the app in-process against the stack's DynamoDB endpoint and the demo upstream, so its CPU
time is the gateway's own work (routing, auth, metering, JSON, HTTP clients), not moto's or
the upstream's. Latency is measured per request, proxied (in-process, chalice's test gateway)
and direct (requests -> demo upstream) interleaved in one run; the added latency excludes API
Gateway and the network between the client and AWS.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import requests

from bench.dynamo import DynamoMeter

REPO = Path(__file__).resolve().parents[1]
BODY_TEXT = "Say hello in five words."


def _app_environment(stack: Any) -> dict[str, str]:
    from infra.localstack.servers import local_stage_environment

    env = dict(local_stage_environment())
    env.update(json.loads((stack.data_dir / "secrets.json").read_text()))
    env.update({"STAGE": "local", "DYNAMODB_ENDPOINT": stack.dynamodb_url, "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"})
    return env


def _chat(model: str) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": BODY_TEXT}], "max_tokens": 32}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(stack: Any, requests_n: int = 200) -> dict[str, Any]:
    """Run `requests_n` proxied chats (after a warm-up) and as many direct ones, interleaved."""
    from tests.e2e.sessions import new_user_session

    user = new_user_session(stack.api_url, prefix="bench")
    api_key = user.extras.get("api_key")
    if isinstance(api_key, dict):
        api_key = api_key.get("key")
    if not api_key:
        return {"note": "no API key at sign-up (keys area not merged): proxy figures n/a"}
    os.environ.update(_app_environment(stack))
    import sys

    sys.path.insert(0, str(REPO / "functions"))
    from app import app  # noqa: E402 - the environment must be set first
    from chalice.test import Client
    from infra.localstack.bootstrap import DEMO_MODELS

    chat_model = next(m for m in DEMO_MODELS if "chat" in m["capabilities"])
    direct_url = stack.info["demo_upstream"].rstrip("/") + "/chat/completions"
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    body = json.dumps(_chat(chat_model["name"]))
    direct_body = _chat(chat_model["upstream_model"])
    session = requests.Session()
    proxied_ms: list[float] = []
    direct_ms: list[float] = []
    cpu = 0.0
    statuses: dict[int, int] = {}
    with Client(app) as client:
        for _ in range(10):  # warm: clients, catalog cache, connection pools
            client.http.post("/v1/chat/completions", headers=headers, body=body)
            session.post(direct_url, json=direct_body, timeout=30)
        meter = DynamoMeter().attach()
        for _ in range(requests_n):
            t0, c0 = time.perf_counter(), time.process_time()
            r = client.http.post("/v1/chat/completions", headers=headers, body=body)
            c1, t1 = time.process_time(), time.perf_counter()
            cpu += c1 - c0
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
            proxied_ms.append((t1 - t0) * 1000)
            t0 = time.perf_counter()
            session.post(direct_url, json=direct_body, timeout=30)
            direct_ms.append((time.perf_counter() - t0) * 1000)
        meter.detach()
    # The meter's read-backs of updated items run inside the proxied window: remove their CPU
    # share by measuring a run's CPU without the meter would double the run; they are few and
    # small, so the figure is an upper bound and says so.
    added = [p - d for p, d in zip(proxied_ms, direct_ms, strict=True)]
    return {
        "requests": requests_n, "statuses": statuses,
        "ddb_calls": sum(meter.calls.values()) / requests_n, "ddb_calls_by_op": {
            op: n / requests_n for op, n in sorted(meter.calls.items())},
        "wru": meter.wru / requests_n, "rru": meter.rru / requests_n,
        "proxied_p50": statistics.median(proxied_ms), "proxied_p95": _percentile(proxied_ms, 0.95),
        "direct_p50": statistics.median(direct_ms), "direct_p95": _percentile(direct_ms, 0.95),
        "added_p50": statistics.median(added), "added_p95": _percentile(added, 0.95),
        "cpu_ms": cpu / requests_n * 1000,
    }
