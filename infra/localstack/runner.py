"""`make run`: brings the pieces up in order, prints the banner, and stops cleanly.

Order matters: the environment (secrets, endpoint, CORS origin) is set before the app is
imported; the snapshot and journal are loaded before any server answers; on shutdown the HTTP
servers stop first so no write lands after the journal is folded into the final snapshot.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from . import bootstrap
from .devsecrets import export_secrets, load_or_create_secrets
from .files import FolderBusy, lock_folder, write_private_json
from .front import FrontServer
from .journal import Journal
from .options import REPO_ROOT, Options, read_options
from .persistence import close_data_folder, open_data_folder
from .portal import PortalServer
from .scheduler import Scheduler, start_scheduler
from .servers import MotoEndpoint, PortBusy, bind_errors, check_port_free, local_stage_environment
from .usage_stream import UsageStreamPoller, start_usage_stream

log = logging.getLogger("local")
DEFAULT_PORTAL_PORT = 8001


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s",
                        datefmt="%H:%M:%S")
    for noisy in ("werkzeug", "botocore", "urllib3", "pynamodb"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _set_environment(opts: Options, moto_url: str, portal_url: str) -> None:
    """Everything the app reads from the environment, before it is imported."""
    env = os.environ
    for name, value in local_stage_environment().items():
        env.setdefault(name, value)
    export_secrets(load_or_create_secrets(opts.data_dir), env)
    env["STAGE"] = "local"
    env["DYNAMODB_ENDPOINT"] = moto_url
    # Fake credentials so nothing can reach a real AWS account from the local stack.
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        env.pop(name, None)
    env.update({"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"})
    origins = [portal_url, portal_url.replace("127.0.0.1", "localhost")]
    extra = [o.strip() for o in env.get("CORS_ORIGINS", "").split(",") if o.strip()]
    env["CORS_ORIGINS"] = ",".join(dict.fromkeys(origins + extra))
    env.setdefault("SIGNUP_CREDIT", "1.00")


def _dynamodb_client(endpoint: str) -> Any:
    import boto3

    return boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="local", aws_secret_access_key="local")  # noqa: S106 - moto only


def _import_table_modules() -> None:
    """Every model registers itself on import; create_tables must see them all, including
    tables no route has imported yet."""
    from chalicelib.store.base import load_table_modules

    load_table_modules()


def _portal_server(opts: Options) -> PortalServer:
    if opts.portal_port is not None:
        return PortalServer(opts.portal_dir, opts.portal_port)
    try:
        return PortalServer(opts.portal_dir, DEFAULT_PORTAL_PORT)
    except PortBusy:
        log.info("port %d is taken; the portal uses a free port instead", DEFAULT_PORTAL_PORT)
        return PortalServer(opts.portal_dir, 0)


class Stack:
    """Everything `make run` starts, in start order, so `stop()` can undo it in reverse."""

    def __init__(self, opts: Options) -> None:
        self.opts = opts
        self.moto: MotoEndpoint | None = None
        self.api: FrontServer | None = None
        self.portal: PortalServer | None = None
        self.demo: tuple[Any, str] | None = None
        self.bedrock: Any = None
        self.journal: Journal | None = None
        self.scheduler: Scheduler | None = None
        self.usage_stream: UsageStreamPoller | None = None
        self.credentials: Path | None = None
        self._lock: Any = None
        self._wrote_info = False

    def start(self) -> None:
        opts = self.opts
        opts.data_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(opts.data_dir, 0o700)
        self._lock = lock_folder(opts.data_dir)
        with bind_errors("API", opts.port, "PORT"):  # fail before any work, not after the snapshot
            check_port_free(opts.port)
        self.portal = _portal_server(opts)
        self.moto = MotoEndpoint(opts.moto_port)
        moto_url = self.moto.start()
        _set_environment(opts, moto_url, self.portal.url)
        self.bedrock = bootstrap.start_demo_bedrock()
        os.environ.setdefault("BEDROCK_ENDPOINT_URL", self.bedrock.endpoint_url)  # before settings are read

        for path in (REPO_ROOT / "functions", REPO_ROOT):
            if str(path) not in sys.path:
                sys.path.insert(0, str(path))
        from app import app  # imports every route, service and table model
        from chalicelib.bootstrap import Container, set_container
        from chalicelib.kernel.settings import get_settings
        from chalicelib.store.base import bind_tables, create_tables
        from proxy_app import app as proxy_app  # the /v1 ASGI app

        _import_table_modules()
        settings = get_settings()
        bind_tables(settings)
        create_tables(wait=True)
        client = _dynamodb_client(moto_url)
        self.journal = open_data_folder(client, opts.data_dir, opts.journal_sync_seconds)

        container = Container(settings)
        set_container(container)
        self.credentials = bootstrap.bootstrap_superadmin(container, opts.data_dir)
        self._start_demo(container)

        self.api = FrontServer(app, proxy_app, opts.port)
        self.api.start()
        self.portal.start(self.api.url)
        self.scheduler = start_scheduler(app, opts.job_interval)
        self.usage_stream = start_usage_stream(app, client, settings.table_name("usage"))
        write_private_json(opts.data_dir / "stack.json", self.urls())
        self._wrote_info = True

    def _start_demo(self, container: Any) -> None:
        """The demo upstream is a convenience: if it breaks, say so and run without it."""
        try:
            self.demo = bootstrap.start_demo_upstream(self.opts.demo_upstream_port)
        except Exception:
            log.exception("the demo upstream failed to start; running without it")
            return
        if self.demo is not None:
            try:
                bootstrap.register_demo_upstream(container, self.demo[1])
            except Exception:
                log.exception("registering the demo upstream in the catalog failed")
        try:
            bootstrap.register_demo_bedrock(container)
        except Exception:
            log.exception("registering the demo Bedrock in the catalog failed")

    def urls(self) -> dict[str, str | None]:
        assert self.api and self.portal and self.moto
        api = self.api.url
        return {
            "api": api, "health": f"{api}/api/health", "openapi": f"{api}/api/openapi.json",
            "portal": self.portal.url, "dynamodb": os.environ["DYNAMODB_ENDPOINT"],
            "demo_upstream": self.demo[1] if self.demo else None,
            "demo_bedrock": self.bedrock.endpoint_url if self.bedrock else None,
            "pid": str(os.getpid()),
        }

    def banner(self) -> str:
        u = self.urls()
        creds = (str(self.credentials) if self.credentials
                 else "none yet (accounts service not available; see the log above)")
        portal_note = "" if self.portal and self.portal.site.built else "  (not built: run `make portal`)"
        lines = [
            "KeyLedger local stack is up (stage local, 127.0.0.1 only)",
            f"  API             {u['api']}",
            f"  health          {u['health']}",
            f"  OpenAPI         {u['openapi']}",
            f"  portal          {u['portal']}{portal_note}",
            f"  DynamoDB (moto) {u['dynamodb']}",
            f"  demo upstream   {u['demo_upstream'] or 'not available yet'}",
            f"  demo Bedrock    {u['demo_bedrock']} (model local-bedrock-haiku)",
            f"  data folder     {self.opts.data_dir}",
            f"  admin login     {creds}",
            "Ctrl-C stops everything (the data is saved).",
        ]
        width = max(len(line) for line in lines) + 2
        return "\n".join(["-" * width, *lines, "-" * width])

    def stop(self) -> None:
        """Reverse order; every step runs even if an earlier one fails."""
        steps: list[tuple[str, Any]] = [
            ("jobs", self.scheduler.stop if self.scheduler else None),
            ("portal", self.portal.stop if self.portal and self.api else None),
            ("API", self.api.stop if self.api else None),
            ("demo upstream", (lambda: bootstrap.stop_demo_upstream(self.demo[0])) if self.demo else None),
            ("demo Bedrock", self.bedrock.stop if self.bedrock else None),
            ("usage stream", self.usage_stream.stop if self.usage_stream else None),
            ("journal", functools.partial(close_data_folder, self.journal) if self.journal else None),
            ("DynamoDB", self.moto.stop if self.moto else None),
        ]
        for name, step in steps:
            if step is None:
                continue
            try:
                step()
            except Exception:
                log.exception("stopping %s failed", name)
        if self._wrote_info:
            (self.opts.data_dir / "stack.json").unlink(missing_ok=True)
        if self._lock is not None:
            self._lock.close()


def run() -> int:
    """Start the stack and serve until SIGINT/SIGTERM; 0 on a clean stop."""
    _configure_logging()
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    began = time.monotonic()
    try:
        opts = read_options()
    except ValueError as exc:
        log.error("%s", exc)
        return 2
    stack = Stack(opts)
    try:
        stack.start()
    except (PortBusy, FolderBusy) as exc:
        log.error("%s", exc)
        stack.stop()
        return 1
    except BaseException:
        log.exception("the local stack failed to start")
        stack.stop()
        return 1
    print(stack.banner(), flush=True)
    log.info("started in %.1fs", time.monotonic() - began)
    while not stop.wait(0.2):
        pass
    log.info("stopping...")
    stack.stop()
    log.info("stopped cleanly")
    return 0


def stack_info(data_dir: Path) -> dict[str, Any] | None:
    """The URLs of a running stack (`<data>/stack.json`), for scripts and tests."""
    try:
        return json.loads((data_dir / "stack.json").read_text())
    except (OSError, ValueError):
        return None
