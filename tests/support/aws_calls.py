"""The AWS actions each Lambda function makes, recorded from the suite's real botocore calls.

A pytest plugin (tests/conftest.py loads it). Every botocore client made during the session
gets a `provide-client-params` handler that turns the call into IAM actions on resources and
files them under the function that is running:

- `api_handler` while chalice.test's HTTP client handles a request;
- `proxy_handler` while the /v1 proxy's ASGI app (`chalicelib.proxy.asgi`, what the proxy
  function serves) handles a request, whatever client or server calls it (Starlette's or
  httpx's test clients, uvicorn), streams and their settlement included: its worker threads
  inherit the request's context;
- the scheduled function's name while chalice.test's lambda_ client invokes it;
- `every_function` for the secrets read at a cold start (`resolve_secret_parameters`), which
  every function does; an SSM read with decryption also needs `kms:Decrypt` through SSM.

Calls made by tests and fixtures themselves (seeding tables, reading results) belong to no
function and are not filed, nor is anything during an e2e test (`tests/e2e`, marker `e2e`):
those run servers and timing-dependent paths whose calls the API and proxy tests already
make deterministically. Resources are named as the policies name them: `users`,
`users/index/gsi1` (a table by its settings name), `parameter/keyledger/${Stage}/*`,
`${BedrockModelArns}` and `${BedrockRoleArns}` (template parameters). Bedrock's runtime calls
are built and signed by a botocore client (then sent by KeyLedger's own HTTP clients), so
they are filed here like any other botocore call.

The record is tests/infra/aws_calls.json, which tests/infra/test_iam_policies.py compares with
the packaged roles. A session that files a call the record lacks fails at its end and says
which; `pytest --record-aws-calls ...` adds them to the record instead. Under pytest-xdist
each worker sends what it filed to the controller, which checks (or records) the union once.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import pytest

RECORD = Path(__file__).resolve().parents[1] / "infra" / "aws_calls.json"
API = "api_handler"
PROXY = "proxy_handler"
_PROXY_MODULE = "chalicelib.proxy.asgi"
_E2E = Path(__file__).resolve().parents[1] / "e2e"
_WORKER_OUTPUT = "aws_calls"
EVERY_FUNCTION = "every_function"
_SECRETS_READER = "resolve_secret_parameters"
_TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem",
             "Get": "GetItem"}
_STAGE_PARAMETER = re.compile(r"^/keyledger/[a-z]+/")
_BEDROCK_INVOKE = {"Converse": "InvokeModel", "ConverseStream": "InvokeModelWithResponseStream"}
BEDROCK_MODELS = "${BedrockModelArns}"  # template.yaml's parameters: the deployment lists them
BEDROCK_ROLES = "${BedrockRoleArns}"

_running: ContextVar[str | None] = ContextVar("lambda_function", default=None)
Calls = dict[str, set[tuple[str, str]]]


def table_resource(table_name: str, index: str | None = None) -> str:
    """`kl-test-users` -> `users`; with an index, `users/index/gsi1`."""
    name = table_name.rsplit("-", 1)[-1]
    return f"{name}/index/{index}" if index else name


def iam_actions(service: str, operation: str, params: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """The (IAM action, resource) pairs one API call needs."""
    if service == "dynamodb":
        if operation in ("TransactWriteItems", "TransactGetItems"):
            for item in params["TransactItems"]:
                [(kind, body)] = item.items()
                yield f"dynamodb:{_TRANSACT[kind]}", table_resource(body["TableName"])
        elif operation in ("BatchWriteItem", "BatchGetItem"):
            for table in params["RequestItems"]:
                yield f"dynamodb:{operation}", table_resource(table)
        else:
            yield f"dynamodb:{operation}", table_resource(params["TableName"], params.get("IndexName"))
    elif service == "ssm" and operation == "GetParameters":
        for name in params["Names"]:
            stage_wide = _STAGE_PARAMETER.match(name) is not None
            yield "ssm:GetParameters", "parameter/keyledger/${Stage}/*" if stage_wide else f"parameter{name}"
        if params.get("WithDecryption"):
            yield "kms:Decrypt", "via ssm"
    elif service == "bedrock" and operation in _BEDROCK_INVOKE:
        # Converse runs under InvokeModel's permission; the role names the models it may call.
        yield f"bedrock:{_BEDROCK_INVOKE[operation]}", BEDROCK_MODELS
    elif service == "sts" and operation == "AssumeRole":
        yield "sts:AssumeRole", BEDROCK_ROLES  # only Bedrock providers assume roles
    else:
        yield f"{service}:{operation}", "*"


def _caller_is_reading_secrets() -> bool:
    frame = sys._getframe()
    while frame is not None:
        if frame.f_code.co_name == _SECRETS_READER:
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


class Recorder:
    def __init__(self) -> None:
        self.calls: Calls = {}
        self.attributing = True  # False during e2e tests

    def on_params(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if not self.attributing:
            return
        function = EVERY_FUNCTION if _caller_is_reading_secrets() else _running.get()
        if function is None:
            return
        service = model.service_model.signing_name
        self.calls.setdefault(function, set()).update(iam_actions(service, model.name, params))

    def attach(self, client: Any) -> None:
        client.meta.events.register("provide-client-params.*.*", self.on_params)

    def add(self, calls: Calls) -> None:
        for function, pairs in calls.items():
            self.calls.setdefault(function, set()).update(pairs)


def load_record(path: Path = RECORD) -> Calls:
    text = path.read_text() if path.exists() else ""
    raw = json.loads(text) if text.strip() else {}
    return {function: {(a, r) for a, r in pairs} for function, pairs in raw.items()}


def _write_record(calls: Calls, path: Path) -> None:
    """Add `calls` to the record; a reader never sees a half-written file."""
    merged = load_record(path)
    for function, pairs in calls.items():
        merged.setdefault(function, set()).update(pairs)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(_as_json(merged))
    partial.replace(path)


def _as_json(calls: Calls) -> str:
    """One call a line, sorted: the record reads (and diffs) like the policies."""
    blocks = []
    for function, pairs in sorted(calls.items()):
        lines = ",\n".join(f"    {json.dumps(list(pair))}" for pair in sorted(pairs))
        blocks.append(f"  {json.dumps(function)}: [\n{lines}\n  ]")
    return "{\n" + ",\n".join(blocks) + "\n}\n"


def missing_from_record(calls: Calls, record: Calls) -> Calls:
    return {f: pairs - record.get(f, set()) for f, pairs in calls.items() if pairs - record.get(f, set())}


@contextmanager
def running(function: str) -> Iterator[None]:
    token = _running.set(function)
    try:
        yield
    finally:
        _running.reset(token)


def _wrap(method: Callable[..., Any], function_of: Callable[..., str]) -> Callable[..., Any]:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        with running(function_of(*args, **kwargs)):
            return method(self, *args, **kwargs)

    return wrapper


def _is_proxy_app(app: Any) -> bool:
    """The Starlette app `chalicelib.proxy.asgi.create_app` builds: its routes are that module's."""
    return any(getattr(getattr(r, "endpoint", None), "__module__", None) == _PROXY_MODULE for r in app.routes)


def _wrap_asgi(call: Callable[..., Any]) -> Callable[..., Any]:
    async def wrapper(self: Any, scope: Any, receive: Any, send: Any) -> None:
        if not _is_proxy_app(self):
            return await call(self, scope, receive, send)
        with running(PROXY):
            return await call(self, scope, receive, send)

    return wrapper


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--record-aws-calls", action="store_true",
                     help=f"add the AWS calls each Lambda function makes to {RECORD.name}")


def pytest_configure(config: pytest.Config) -> None:
    import botocore.session
    from chalice.test import TestHTTPClient, TestLambdaClient
    from starlette.applications import Starlette

    recorder = Recorder()
    config.stash[_RECORDER] = recorder
    create_client = botocore.session.Session.create_client

    def create_recorded_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = create_client(self, *args, **kwargs)
        recorder.attach(client)
        return client

    patches = [(botocore.session.Session, "create_client", create_recorded_client),
               (TestHTTPClient, "request", _wrap(TestHTTPClient.request, lambda *a, **k: API)),
               (TestLambdaClient, "invoke", _wrap(TestLambdaClient.invoke, lambda name, *a, **k: name)),
               (Starlette, "__call__", _wrap_asgi(Starlette.__call__))]
    config.stash[_ORIGINALS] = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    for owner, name, replacement in patches:
        setattr(owner, name, replacement)


def pytest_unconfigure(config: pytest.Config) -> None:
    for owner, name, original in config.stash.get(_ORIGINALS, []):
        setattr(owner, name, original)


def _is_e2e(item: pytest.Item) -> bool:
    return item.get_closest_marker("e2e") is not None or item.path.is_relative_to(_E2E)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    recorder = item.config.stash[_RECORDER]
    recorder.attributing = not _is_e2e(item)
    try:
        return (yield)
    finally:
        recorder.attributing = True


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist controller: add what a worker filed (sent in its sessionfinish, below)."""
    sent = getattr(node, "workeroutput", {}).get(_WORKER_OUTPUT, {})
    node.config.stash[_RECORDER].add({f: {(a, r) for a, r in pairs} for f, pairs in sent.items()})


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    recorder = session.config.stash.get(_RECORDER, None)
    if recorder is None:
        return
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller checks the union of all workers
        workeroutput[_WORKER_OUTPUT] = {f: sorted(pairs) for f, pairs in recorder.calls.items()}
        return
    if not recorder.calls:
        return
    if session.config.getoption("--record-aws-calls"):
        _write_record(recorder.calls, RECORD)
        return
    missing = missing_from_record(recorder.calls, load_record())
    if missing:
        lines = [f"  {f}: {a} on {r}" for f, pairs in sorted(missing.items()) for a, r in sorted(pairs)]
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = (f"AWS calls not in {RECORD.relative_to(RECORD.parents[2])} (so not in the IAM policies' "
                   f"test); run with --record-aws-calls and grant them:\n" + "\n".join(lines))
        if reporter is not None:
            reporter.write("\n")  # xdist's progress line leaves no current path for ensure_newline
            reporter.write_line(message, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_RECORDER = pytest.StashKey[Recorder]()
_ORIGINALS = pytest.StashKey[list[tuple[Any, str, Any]]]()
