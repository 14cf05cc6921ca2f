"""Estimated AWS cost per million proxied requests, from measured figures.

Prices: us-east-1, on-demand list prices as published for 2026 (edit here when they change):
- Lambda (x86): $0.0000166667 per GB-second, $0.20 per 1M requests;
- API Gateway REST API: $3.50 per 1M requests (first 333M/month tier);
- DynamoDB on-demand: $0.625 per 1M write request units, $0.125 per 1M read request units.
Not included: data transfer, CloudWatch Logs ingestion, the upstream provider's own bill.
"""

from __future__ import annotations

LAMBDA_GB_SECOND = 0.0000166667
LAMBDA_PER_M_REQUESTS = 0.20
APIGW_REST_PER_M = 3.50
DDB_PER_M_WRU = 0.625
DDB_PER_M_RRU = 0.125


def per_million(*, memory_mb: int, billed_ms_per_request: float, wru_per_request: float,
                rru_per_request: float) -> dict[str, float]:
    """Dollars per 1M proxied requests, by service and in total.

    `billed_ms_per_request` is the Lambda duration: the gateway's own work plus the time it
    waits for the upstream (Lambda bills waiting too), rounded up to 1 ms as Lambda does."""
    gb_seconds = memory_mb / 1024 * billed_ms_per_request / 1000 * 1_000_000
    parts = {
        "lambda": gb_seconds * LAMBDA_GB_SECOND + LAMBDA_PER_M_REQUESTS,
        "api_gateway": APIGW_REST_PER_M,
        "dynamodb": wru_per_request * DDB_PER_M_WRU + rru_per_request * DDB_PER_M_RRU,
    }
    parts["total"] = sum(parts.values())
    return parts
