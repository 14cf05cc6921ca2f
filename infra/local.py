"""`make run`: KeyLedger's whole stack on 127.0.0.1 (DynamoDB on moto, API, portal, demo upstream).

See infra/localstack/ for the pieces and `.env.example` for the variables.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from infra.localstack.runner import run

    sys.exit(run())
