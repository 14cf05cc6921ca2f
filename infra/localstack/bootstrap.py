"""First-run data for the local stack: the first superadmin and the demo upstream.

These are the extension points other areas plug into. Each one checks that the service it
needs exists on the container and, if not yet, says so and lets the stack start anyway.

- `bootstrap_superadmin` calls `container.accounts.create_superadmin(username, password,
  email=None) -> (user_id, totp_secret)` once, on first run.
- `register_demo_upstream` calls `container.catalog.ensure_local_demo(base_url=..., provider=...,
  models=..., group=...)` on EVERY start (the demo upstream gets a new port each time, so the
  provider's base URL must be updated); it must create on first call and update afterwards.
- `start_demo_upstream` runs `infra/demo_upstream.py`'s `start_demo_upstream(port) ->
  (server, base_url)` when that module exists.
"""

from __future__ import annotations

import logging
import secrets
import string
from pathlib import Path
from typing import Any

from .files import write_private_json

log = logging.getLogger("local.bootstrap")

SUPERADMIN_USERNAME = "admin"
CREDENTIALS_FILE = "admin-credentials.json"

DEMO_PROVIDER: dict[str, Any] = {
    "name": "local-demo",
    "type": "openai",
    "api_key": "local-demo-not-a-secret",
    "label": "local-demo: offline OpenAI-compatible server on 127.0.0.1 (not a real model)",
}
DEMO_MODELS: tuple[dict[str, Any], ...] = (
    {"name": "local-demo-chat", "upstream_model": "demo-chat", "input_price": "0.50",
     "output_price": "1.50", "capabilities": ["chat", "tools"], "max_output_tokens": 4096, "enabled": True},
    {"name": "local-demo-embed", "upstream_model": "demo-embed", "input_price": "0.10",
     "output_price": "0", "capabilities": ["embeddings"], "max_output_tokens": 0, "enabled": True},
)


# The Bedrock demo: a `bedrock` provider answered by infra/fake_bedrock.py (BEDROCK_ENDPOINT_URL).
DEMO_BEDROCK_PROVIDER: dict[str, Any] = {
    "name": "local-bedrock",
    "type": "bedrock",
    "bedrock": {"region": "us-east-1", "inference_profile": "us", "role_arn": None},
    "label": "local-bedrock: a fake Amazon Bedrock on 127.0.0.1, signed with fake keys (not a real model)",
}
DEMO_BEDROCK_MODELS: tuple[dict[str, Any], ...] = (
    {"name": "local-bedrock-haiku", "upstream_model": "anthropic.claude-3-haiku-20240307-v1:0",
     "input_price": "0.25", "output_price": "1.25", "capabilities": ["chat", "tools", "vision"],
     "max_output_tokens": 4096, "enabled": True},
)


def random_password(length: int = 24) -> str:
    """Random, with upper, lower, digit and symbol so any reasonable password rule accepts it."""
    alphabet = string.ascii_letters + string.digits + "-_.!"
    for _ in range(1000):
        pw = "".join(secrets.choice(alphabet) for _ in range(length))
        if (any(c.isupper() for c in pw) and any(c.islower() for c in pw)
                and any(c.isdigit() for c in pw) and any(c in "-_.!" for c in pw)):
            return pw
    raise RuntimeError("could not generate a password")  # 1000 misses in a row: broken RNG


def bootstrap_superadmin(container: Any, data_dir: Path) -> Path | None:
    """On first run, create the superadmin with a random password; print the credentials once
    and keep them in `<data>/admin-credentials.json` (0600, local stage only). Returns the
    credentials file, or None when no superadmin could be created."""
    path = data_dir / CREDENTIALS_FILE
    if path.exists():
        return path
    if container.settings.stage != "local":
        raise RuntimeError("the credentials file is written for the local stage only")
    create = getattr(getattr(container, "accounts", None), "create_superadmin", None)
    if create is None:
        log.warning("no superadmin created: the accounts service is not available yet "
                    "(container.accounts.create_superadmin). The stack starts without one.")
        return None
    password = random_password()
    try:
        user_id, totp_secret = create(SUPERADMIN_USERNAME, password, email=None)
    except Exception as exc:  # e.g. the user exists but its credentials file was deleted
        log.warning("no superadmin created: %s: %s. If you deleted %s, delete the whole data folder "
                    "to start over.", type(exc).__name__, exc, path)
        return None
    write_private_json(path, {"username": SUPERADMIN_USERNAME, "password": password,
                              "totp_secret": totp_secret, "user_id": user_id})
    # Printed once, on purpose: the issue asks for it, and it is the local stage only.
    print("\n" + "=" * 72)
    print("  First run: created the superadmin (shown once; also saved, mode 0600, in")
    print(f"  {path})")
    print(f"    username:    {SUPERADMIN_USERNAME}")
    print(f"    password:    {password}")
    print(f"    TOTP secret: {totp_secret}   (add it to an authenticator app)")
    print("=" * 72 + "\n", flush=True)
    return path


def register_demo_upstream(container: Any, base_url: str) -> bool:
    """Register (or update) the demo provider and its two priced models in the default group.
    Called on every start; True when the catalog took it."""
    catalog = getattr(container, "catalog", None)
    ensure = getattr(catalog, "ensure_local_demo", None)
    if ensure is None:
        what = "container.catalog" if catalog is None else "container.catalog.ensure_local_demo"
        log.info("demo upstream not registered as a provider: not available yet (%s)", what)
        return False
    ensure(base_url=base_url, provider=DEMO_PROVIDER, models=DEMO_MODELS, group=container.settings.default_group)
    log.info("demo upstream registered as provider %r with %d models", DEMO_PROVIDER["name"], len(DEMO_MODELS))
    return True


def start_demo_bedrock() -> Any:
    """The fake Bedrock on a free 127.0.0.1 port; the caller points BEDROCK_ENDPOINT_URL at it."""
    from infra.fake_bedrock import FakeBedrock

    return FakeBedrock(reply="local-bedrock reply: a fake Amazon Bedrock answered.").start()


def register_demo_bedrock(container: Any) -> None:
    """Register (idempotent) the Bedrock demo provider and its model in the default group."""
    container.catalog.ensure_local_demo(base_url="", provider=DEMO_BEDROCK_PROVIDER, models=DEMO_BEDROCK_MODELS,
                                        group=container.settings.default_group)
    log.info("demo Bedrock registered as provider %r", DEMO_BEDROCK_PROVIDER["name"])


def start_demo_upstream(port: int) -> tuple[Any, str] | None:
    """Start `infra/demo_upstream.py` if this checkout has it: `(server, base_url)` or None."""
    try:
        from infra.demo_upstream import start_demo_upstream as start
    except ModuleNotFoundError as exc:
        if exc.name not in ("infra.demo_upstream", "infra"):
            raise
        log.info("demo upstream: not available yet (infra/demo_upstream.py is missing)")
        return None
    server, base_url = start(port=port)
    return server, base_url


def stop_demo_upstream(server: Any) -> None:
    """`stop()` if the server has one, else http.server's `shutdown()` + `server_close()`."""
    if callable(getattr(server, "stop", None)):
        server.stop()
        return
    server.shutdown()
    server.server_close()
