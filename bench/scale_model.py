"""What bench/scale.py derives from the writes it recorded: conflicts, ceilings, cost.

DynamoDB limits assumed (AWS documentation, on-demand tables):
- one partition takes at most 1,000 WRU/s (and 3,000 RCU/s); an item lives in one partition;
- a transaction writes each item at 2 WRU per KB; an index copy costs 1 WRU per KB written;
- two transactions touching one item at the same time: the later one is cancelled
  (TransactionConflict), so an item is in at most one transaction at a time;
- a transaction takes TXN_MS on AWS (an assumption: typical TransactWriteItems latency).

moto runs transactions one at a time, so conflicts cannot be observed on it: they are replayed
here on a discrete-event model of CLIENTS clients sending one key's requests back to back,
each transaction holding its items for TXN_MS, with txn.py's retry policy.
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass

from bench.cost import APIGW_REST_PER_M, DDB_PER_M_RRU, DDB_PER_M_WRU, LAMBDA_PER_M_REQUESTS

PARTITION_WRU_PER_S = 1000
TXN_MS = 10.0
CLIENTS = 16
BACKOFF_MS, ATTEMPTS = 10.0, 5  # store/txn.py's COMMIT_ATTEMPTS and BACKOFF_SECONDS

# Prices besides bench/cost.py's (us-east-1, 2026 list prices): Lambda on arm64 (the template's
# architecture) per GB-second, DynamoDB standard storage per GB-month.
LAMBDA_ARM_GB_SECOND = 0.0000133334
DDB_GB_MONTH = 0.25


@dataclass(frozen=True)
class Request:
    """The transactions of one request, each as the set of shared (non-unique) items it touches."""

    txns: tuple[frozenset[str], ...]


def conflicts_per_1000(requests: list[Request], seed: int = 7) -> tuple[float, float]:
    """(TransactionConflicts per 1,000 requests, requests failed with 503 per 1,000) when
    CLIENTS clients send `requests` back to back (no upstream wait: the worst case)."""
    rng = random.Random(seed)
    busy_until: dict[str, float] = {}
    queue = [(0.0, client, 0, 0, 0) for client in range(CLIENTS)]  # (time, client, request, txn, attempt)
    next_request = CLIENTS
    conflicts = failed = 0
    heapq.heapify(queue)
    while queue:
        now, client, req, txn, attempt = heapq.heappop(queue)
        items = requests[req].txns[txn]
        if any(busy_until.get(item, -1.0) > now for item in items):
            conflicts += 1
            if attempt + 1 >= ATTEMPTS:
                failed += 1
            else:
                wait = BACKOFF_MS * 2**attempt * (0.5 + rng.random())
                heapq.heappush(queue, (now + wait, client, req, txn, attempt + 1))
                continue
        else:
            for item in items:
                busy_until[item] = now + TXN_MS
            if txn + 1 < len(requests[req].txns):
                heapq.heappush(queue, (now + TXN_MS, client, req, txn + 1, 0))
                continue
        if next_request < len(requests):
            heapq.heappush(queue, (now + TXN_MS, client, next_request, 0, 0))
            next_request += 1
    return conflicts * 1000 / len(requests), failed * 1000 / len(requests)


def item_ceiling(txn_writes: float, wru_per_write: float) -> float:
    """Requests/s one item sustains when each request writes it `txn_writes` times in
    transactions: the lower of its partition's WRU and one transaction at a time."""
    if txn_writes == 0:
        return math.inf
    by_units = PARTITION_WRU_PER_S / (txn_writes * wru_per_write)
    by_locking = 1000 / (txn_writes * TXN_MS)
    return min(by_units, by_locking)


def partition_ceiling(writes: float, wru_per_write: float) -> float:
    """Requests/s a deployment-wide partition sustains at `writes` (non-locking) writes a request."""
    return math.inf if writes == 0 else PARTITION_WRU_PER_S / (writes * wru_per_write)


def memory_choice(cpu_ms: float, rss_mb: float) -> tuple[int, str]:
    """The proxy function's memory: the smallest Lambda size whose memory holds the measured
    process with room for stream buffers and whose CPU share keeps the gateway's own work
    short (Lambda gives 1 vCPU per 1,769 MB). The function waits on the network, so beyond that
    memory only multiplies the bill for waiting."""
    for mb in (256, 512, 1024):
        share = mb / 1769
        if rss_mb * 1.5 <= mb and cpu_ms / share <= 60:
            return mb, (f"{mb} MB: the process peaks at {rss_mb:.0f} MB (x1.5 headroom fits) and "
                        f"{cpu_ms:.1f} ms of CPU at a {share:.2f} vCPU share is {cpu_ms / share:.0f} ms of "
                        "wall time; more memory would only cost more per second of waiting")
    return 1024, "1024 MB: the measured process needs it"


def cost_per_million(upstream_s: float, memory_mb: int, cpu_ms: float, wru: float, rru: float,
                     stored_bytes: float) -> dict[str, float]:
    """Dollars per 1M proxied requests with the upstream answering in `upstream_s`: Lambda billed
    for the whole wait plus its own work at its CPU share; storage is one month of the
    request's kept items (it accrues every month they are kept)."""
    billed_s = upstream_s + cpu_ms / (memory_mb / 1769) / 1000
    parts = {
        "lambda": memory_mb / 1024 * billed_s * 1_000_000 * LAMBDA_ARM_GB_SECOND + LAMBDA_PER_M_REQUESTS,
        "api_gateway": APIGW_REST_PER_M,
        "dynamodb": wru * DDB_PER_M_WRU + rru * DDB_PER_M_RRU,
        "storage_month": stored_bytes * 1_000_000 / 1024**3 * DDB_GB_MONTH,
    }
    parts["total"] = sum(parts.values())
    return parts
