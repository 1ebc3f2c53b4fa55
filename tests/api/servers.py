"""Real servers for the API tests: `python -m api serve` on a copy of the demo district."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from tortoise.context import TortoiseContext

from services.kit import db as database
from tests.conftest import _copy, _drop, _fresh_statement_cache

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def opened(url: str) -> AsyncIterator[None]:
    """A Tortoise context on the server's database, in this process."""
    _fresh_statement_cache()
    async with TortoiseContext() as ctx:
        await ctx.init(config=database.tortoise_config(url))
        yield


@dataclass
class Served:
    """A copy of the demo database and, once started, the real server on it."""

    backend: str
    url: str
    log: Path
    proc: asyncio.subprocess.Process | None = None
    base: str = ""
    workers: int = 2
    # More settings for the server's environment (e.g. limits a test exercises).
    settings: dict[str, str] = field(default_factory=dict)

    async def start(self) -> None:
        """`python -m api serve` (two workers by default); returns when /healthz answers 200."""
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("UVICORN_", "WEB_"))}
        env.update(
            DATABASE_URL=self.url,
            WORKERS=str(self.workers),
            HOST="127.0.0.1",
            PORT=str(port),
            ENVIRONMENT="test",
            JWT_SECRET=os.environ["JWT_SECRET"],  # tokens minted here must verify there
            SEED_DEMO="false",
            LOG_LEVEL="WARNING",
            PYTHONPATH=str(ROOT),
        )
        env.update(self.settings)
        with self.log.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "api",
                "serve",
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the workers go with it
            )
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP_SECONDS
        async with httpx.AsyncClient(base_url=self.base, timeout=2.0) as http:
            while time.monotonic() < deadline:
                if self.proc.returncode is not None:
                    pytest.fail(f"the server exited at start-up:\n{self.log_tail()}")
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)  # polling for readiness, not timing anything
        pytest.fail(
            f"the server was not healthy within {STARTUP_SECONDS:.0f} s:\n{self.log_tail()}"
        )

    async def stop(self) -> None:
        """End the server's whole process group (the supervisor and its workers)."""
        if self.proc is None or self.proc.returncode is not None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
                break
            except TimeoutError:
                continue
        await self.proc.wait()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def log_tail(self, lines: int = 80) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:]) or "(empty log)"

    def client(self, concurrency: int) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base,
            timeout=60.0,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )


@asynccontextmanager
async def demo_server(
    backend: str,
    templates: dict[tuple[str, bool], str],
    tmp_path: Path,
    *,
    workers: int = 1,
    settings: dict[str, str] | None = None,
) -> AsyncIterator[Served]:
    """The real server (started, healthy) on a fresh copy of the demo district; stopped and its
    database dropped afterwards."""
    url, pg_name = await _copy(backend, templates[(backend, True)], tmp_path)
    handle = Served(
        backend=backend,
        url=url,
        log=tmp_path / "server.log",
        workers=workers,
        settings=dict(settings or {}),
    )
    try:
        await handle.start()
        yield handle
    finally:
        await handle.stop()
        await _drop(pg_name)
