"""The processes bench/peers.py compares, all on 127.0.0.1: a fast fake upstream, KeyLedger's local
stack and LiteLLM's proxy (installed on demand into its own virtualenv under .bench/, pinned)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyotp
import requests

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / ".bench"
# 1.108.x is what the issue compared against; 1.108.1-14 need a litellm-proxy-extras build the
# registry does not have, and 1.109+ moved the proxy into another package.
LITELLM_VERSION = "1.108.0"
LITELLM_VENV = BENCH_DIR / f"litellm-{LITELLM_VERSION}"
START_TIMEOUT = 180.0
_PASS_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(**extra: str) -> dict[str, str]:
    env = {k: os.environ[k] for k in _PASS_THROUGH if k in os.environ}
    env.update(extra)
    return env


@dataclass
class Proc:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    origin: str = ""
    info: dict[str, str] = field(default_factory=dict)

    def cpu_seconds(self) -> float:
        """User + system CPU of the process and every descendant (LiteLLM may fork workers)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in _tree(self.proc.pid):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(2)  # SIGINT: the stack folds its journal into the snapshot
            try:
                self.proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def _tree(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def _spawn(name: str, argv: list[str], env: dict[str, str], logs: Path) -> Proc:
    log = logs / f"{name}.log"
    with log.open("ab") as fh:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)  # noqa: S603
    return Proc(name, proc, log)


def _wait(proc: Proc, ready: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.proc.poll() is not None:
            raise RuntimeError(f"{proc.name} exited with {proc.proc.returncode}; see {proc.log}")
        try:
            if requests.get(ready, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{proc.name} not ready within {START_TIMEOUT:.0f} s; see {proc.log}")


def start_upstream(logs: Path) -> Proc:
    port = free_port()
    proc = _spawn("upstream", [sys.executable, "-m", "infra.demo_upstream", "--port", str(port)], _env(), logs)
    proc.origin = f"http://127.0.0.1:{port}"
    _wait(proc, f"{proc.origin}/v1/models")
    return proc


def start_keyledger(stack_root: Path, data_dir: Path, upstream: Proc, logs: Path) -> Proc:
    """The local stack of `stack_root` on `data_dir`, unlimited RPM and a large sign-up credit."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "stack.json").unlink(missing_ok=True)
    env = _env(LOCAL_DATA_DIR=str(data_dir), PORT="0", MOTO_PORT="0", PORTAL_PORT="0", DEMO_UPSTREAM_PORT="0",
               BENCH_UPSTREAM_URL=f"{upstream.origin}/v1", SIGNUP_CREDIT="100000", DEFAULT_RPM="0",
               PYTHONUNBUFFERED="1")
    proc = _spawn("keyledger", [sys.executable, str(ROOT / "bench" / "peer_stack.py"), str(stack_root)], env, logs)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and not proc.info:
        if proc.proc.poll() is not None:
            raise RuntimeError(f"the local stack exited with {proc.proc.returncode}; see {proc.log}")
        try:
            info = json.loads((data_dir / "stack.json").read_text())
            if info.get("pid") == str(proc.proc.pid):
                proc.info = info
        except (OSError, ValueError):
            time.sleep(0.2)
    if not proc.info:
        raise RuntimeError(f"the local stack did not start within {START_TIMEOUT:.0f} s; see {proc.log}")
    proc.origin = proc.info["api"]
    _wait(proc, proc.info["health"])
    return proc


def keyledger_key(stack: Proc, username: str) -> str:
    """Register and verify a user (TOTP) and return the API key the sign-up gives."""
    api, password = stack.origin, "a long enough bench password"
    r = requests.post(f"{api}/api/register", timeout=60,
                      json={"username": username, "email": f"{username}@example.test", "password": password})
    r.raise_for_status()
    code = pyotp.TOTP(r.json()["totp"]["secret"]).now()
    r = requests.post(f"{api}/api/register/verify", timeout=60,
                      json={"username": username, "password": password, "code": code})
    r.raise_for_status()
    return str(r.json()["api_key"]["key"])


def ensure_litellm() -> Path:
    """LiteLLM's proxy in .bench/litellm-<version>/ (created and pip-installed on first use)."""
    exe = LITELLM_VENV / "bin" / "litellm"
    if not exe.exists():
        print(f"installing litellm[proxy]=={LITELLM_VERSION} into {LITELLM_VENV} (once)...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(LITELLM_VENV)], check=True)  # noqa: S603
        subprocess.run([str(LITELLM_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet",  # noqa: S603
                        "--disable-pip-version-check", f"litellm[proxy]=={LITELLM_VERSION}"], check=True)
    return exe


def start_litellm(upstream: Proc, logs: Path) -> Proc:
    """LiteLLM's proxy without a database (it then keeps no spend logs, keys or budgets)."""
    exe = ensure_litellm()
    port = free_port()
    config = logs / "litellm.yaml"
    config.write_text(json.dumps({
        "model_list": [{"model_name": "local-demo-chat", "litellm_params": {
            "model": "openai/demo-chat", "api_base": f"{upstream.origin}/v1", "api_key": "local-demo"}}],
        "general_settings": {"master_key": "sk-bench-master"},
        "litellm_settings": {"telemetry": False, "drop_params": True},
    }))
    env = _env(LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_TELEMETRY="False", DISABLE_SCHEMA_UPDATE="True")
    proc = _spawn("litellm", [str(exe), "--config", str(config), "--host", "127.0.0.1", "--port", str(port),
                              "--num_workers", "1"], env, logs)
    proc.origin = f"http://127.0.0.1:{port}"
    _wait(proc, f"{proc.origin}/health/liveliness")
    return proc
