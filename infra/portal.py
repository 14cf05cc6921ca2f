"""Publish the built portal to its bucket and make CloudFront serve the new files.

The portal reads its API base URL from `window.KEYLEDGER_CONFIG.apiBase`, set by `/config.js`
(portal/src/js/config.js). The deploy writes that file itself from the stack's `ApiUrl`
output, so one build of the portal serves every stage.
"""

from __future__ import annotations

import json
import mimetypes
import time
from pathlib import Path
from typing import Any

CONFIG_KEY = "config.js"
# Entry points must be revalidated so a deploy is seen at once; the rest may be cached briefly.
_NO_CACHE = {"index.html", CONFIG_KEY}
_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".html": "text/html",
          ".json": "application/json", ".svg": "image/svg+xml", ".woff2": "font/woff2", ".map": "application/json"}


def config_js(api_url: str, stage: str) -> str:
    """The `/config.js` the portal loads before its modules."""
    config = {"apiBase": api_url.rstrip("/"), "stage": stage}
    return (
        f"// Written by infra/deploy.py for stage {stage}; every deploy rewrites it.\n"
        f"window.KEYLEDGER_CONFIG = Object.freeze({json.dumps(config, sort_keys=True)});\n"
    )


def _content_type(path: Path) -> str:
    known = _TYPES.get(path.suffix.lower())
    if known:
        return f"{known}; charset=utf-8" if known.startswith("text/") or known.endswith("json") else known
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def _cache_control(key: str) -> str:
    return "no-cache" if key.rsplit("/", 1)[-1] in _NO_CACHE else "public, max-age=300"


def sync_portal(s3: Any, bucket: str, dist: Path, api_url: str, stage: str) -> list[str]:
    """Upload every file of `dist` plus a generated config.js; delete objects no longer built.

    Returns the uploaded keys. The bucket is private (CloudFront reads it through OAC)."""
    uploaded: list[str] = []
    for path in sorted(p for p in dist.rglob("*") if p.is_file()):
        key = path.relative_to(dist).as_posix()
        if key == CONFIG_KEY:
            continue  # the development fallback; replaced below
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(),
                      ContentType=_content_type(path), CacheControl=_cache_control(key))
        uploaded.append(key)
    s3.put_object(Bucket=bucket, Key=CONFIG_KEY, Body=config_js(api_url, stage).encode(),
                  ContentType="text/javascript; charset=utf-8", CacheControl=_cache_control(CONFIG_KEY))
    uploaded.append(CONFIG_KEY)
    stale = [key for key in list_keys(s3, bucket) if key not in set(uploaded)]
    delete_keys(s3, bucket, stale)
    return uploaded


def list_keys(s3: Any, bucket: str) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys.extend(item["Key"] for item in page.get("Contents", []))
    return keys


def delete_keys(s3: Any, bucket: str, keys: list[str]) -> None:
    for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1000 keys
        batch = [{"Key": key} for key in keys[start : start + 1000]]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})


def invalidate(cloudfront: Any, distribution_id: str) -> str:
    """Invalidate everything (one path counts once, whatever it matches); returns the id."""
    answer = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": f"deploy-{time.time_ns()}"},
    )
    return str(answer["Invalidation"]["Id"])
