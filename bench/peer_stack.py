"""`make run`'s local stack for bench/peers.py, with its demo provider on an upstream in another process.

Usage: `python bench/peer_stack.py <checkout root>` with `BENCH_UPSTREAM_URL` set. Everything is the
real stack of that checkout (so the same script measures main and a branch), except that the
catalog's `local-demo` provider points at `BENCH_UPSTREAM_URL` instead of a demo upstream inside
the stack's own process: the stack's CPU figure is then the gateway's alone, and KeyLedger and
LiteLLM call the very same upstream.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any


class _ElsewhereUpstream:
    """Stands for the demo upstream the stack would have started; it runs in another process."""

    def stop(self) -> None:
        return None


def main() -> int:
    root = Path(sys.argv[1]).resolve()
    sys.path.insert(0, str(root))
    from infra.localstack import bootstrap, runner

    url = os.environ["BENCH_UPSTREAM_URL"]

    def start_demo_upstream(port: int) -> tuple[Any, str]:
        return _ElsewhereUpstream(), url

    bootstrap.start_demo_upstream = start_demo_upstream
    return runner.run()


if __name__ == "__main__":
    sys.exit(main())
