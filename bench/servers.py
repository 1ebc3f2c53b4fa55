"""Subprocesses of the benchmark: the servers under test and the load generator.

Every child is started in its own process group and registered in CHILDREN, so that any exit
path (normal end, error, Ctrl-C, SIGTERM) ends it and whatever it started.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.queries import LOGIN_MUTATION

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 60.0


class Children:
    """Every subprocess started here, so that any exit path ends them (by process group)."""

    def __init__(self) -> None:
        self.live: list[subprocess.Popen[Any]] = []

    def start(self, cmd: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
        proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, **kwargs)
        self.live.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[Any], grace: float = 10.0) -> None:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
            except ProcessLookupError:
                pass
        if proc in self.live:
            self.live.remove(proc)

    def stop_all(self) -> None:
        for proc in list(self.live):
            self.stop(proc, grace=5.0)


CHILDREN = Children()


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A uvicorn subprocess serving one app on a loopback port."""

    name: str
    factory: str
    env: dict[str, str]
    log_path: Path
    workers: int = 1
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[Any] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        cmd = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            self.factory,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        if self.workers > 1:
            cmd += ["--workers", str(self.workers)]
        with self.log_path.open("ab") as log:
            self.proc = CHILDREN.start(cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        assert self.proc is not None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name} server exited at start-up:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise SystemExit(
            f"{self.name} server not healthy in {STARTUP_TIMEOUT:.0f} s:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc is not None:
            CHILDREN.stop(self.proc)
            self.proc = None


def login(base: str, username: str, password: str) -> str:
    """Sign in through the GraphQL login mutation and return the access token."""
    response = httpx.post(
        f"{base}/graphql",
        json={"query": LOGIN_MUTATION, "variables": {"u": username, "p": password}},
        timeout=30.0,
    )
    result = response.json().get("data", {}) or {}
    login_result = result.get("login") or {}
    if login_result.get("__typename") != "LoginSuccess":
        raise SystemExit(f"bench login failed: {response.status_code} {response.text[:500]}")
    return str(login_result["accessToken"])


def server_env(url: str, secret: str) -> dict[str, str]:
    """The environment of a server under test: this one, pointed at `url`, with `secret`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UVICORN_", "WEB_"))}
    env.update(
        DATABASE_URL=url,
        ENVIRONMENT="dev",
        JWT_SECRET=secret,
        ACCESS_TOKEN_TTL_SECONDS="7200",
        # One client at full speed: the per-client budget over time would refuse most of the
        # load (the per-operation cost limits still apply).
        THROTTLE_ENABLED="false",
        PYTHONPATH=str(ROOT),
    )
    return env


def run_load_process(spec: dict[str, Any]) -> dict[str, Any]:
    """Run `python -m bench.load` with a spec (see bench/load.py Spec); its figures."""
    proc = CHILDREN.start(
        [sys.executable, "-m", "bench.load", json.dumps(spec)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = proc.communicate(timeout=float(spec["warmup"]) + float(spec["duration"]) + 600)
    except subprocess.TimeoutExpired:
        CHILDREN.stop(proc)
        raise SystemExit("the load generator overran its time limit") from None
    CHILDREN.stop(proc)
    if proc.returncode != 0:
        raise SystemExit(f"the load generator failed ({proc.returncode}):\n{err[-2000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result
