"""Grow a stopped local stack's data folder by COUNT stored requests, for bench/peers.py at 10x/100x.

Usage: `python bench/seed_requests.py <data folder> <count>`. The folder must come from a stack
that served proxied chats and was stopped (its journal folded into snapshot.json). Each seeded
request copies one that is there, a request record (usage table) and its charge entry (ledger
table), under new ULIDs spread over the last 30 days, so the tables grow as a team's would. The
seeded entries do not move any balance: the folder is for measuring, not for accounting.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from infra.localstack.journal import read_journal  # noqa: E402
from infra.localstack.snapshot import write_snapshot  # noqa: E402


def _templates(doc: dict) -> list[tuple[str, str, str, str]]:
    """(request id, entry id, request record JSON, entry JSON) of each charged request."""
    tables = doc["tables"]
    usage = next(t for n, t in tables.items() if n.endswith("-usage"))
    ledger = next(t for n, t in tables.items() if n.endswith("-ledger"))
    entries = {i["ref"]["S"]: i for i in ledger["items"] if "ref" in i and i["sk"]["S"].startswith("ENTRY#")}
    found = []
    for record in usage["items"]:
        request_id = record.get("request_id", {}).get("S")
        if record["sk"]["S"].startswith("REQ#") and request_id in entries:
            entry = entries[request_id]
            found.append((request_id, entry["entry_id"]["S"], json.dumps(record), json.dumps(entry)))
    return found


def seed(data_dir: Path, count: int) -> int:
    """Add `count` requests; returns how many requests the folder holds now."""
    from ulid import ULID

    journal = read_journal(data_dir / "journal.jsonl")
    if journal is not None and journal[1]:
        raise SystemExit("the journal holds writes: start and stop the stack once (it folds them in), then seed")
    doc = json.loads((data_dir / "snapshot.json").read_text())
    templates = _templates(doc)
    if not templates:
        raise SystemExit("no charged request to copy: run bench/peers.py on this folder first")
    tables = doc["tables"]
    usage = next(t for n, t in tables.items() if n.endswith("-usage"))["items"]
    ledger = next(t for n, t in tables.items() if n.endswith("-ledger"))["items"]
    now = datetime.now(UTC)
    rng = random.Random(20)
    for n in range(count):
        request_id, entry_id, record, entry = templates[n % len(templates)]
        at = now - timedelta(seconds=rng.uniform(0, 30 * 86400))
        new_request, new_entry = str(ULID.from_datetime(at)), str(ULID.from_datetime(at))
        usage.append(json.loads(record.replace(request_id, new_request)))
        ledger.append(json.loads(entry.replace(request_id, new_request).replace(entry_id, new_entry)))
    write_snapshot(data_dir / "snapshot.json", doc)
    return sum(1 for i in usage if i["sk"]["S"].startswith("REQ#"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("count", type=int)
    args = parser.parse_args()
    total = seed(args.data_dir, args.count)
    print(f"{args.data_dir}: {args.count} requests added, {total} stored requests in all")


if __name__ == "__main__":
    main()
