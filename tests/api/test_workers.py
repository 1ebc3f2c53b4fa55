"""`WORKERS=N python -m api serve` on an empty database: migrations and demo seeding run once,
before the workers start, on SQLite and on PostgreSQL; then every worker serves the demo."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from services.models import Area, UserAccount
from tests.api.servers import Served, opened
from tests.conftest import BACKENDS, _drop, _pg_admin, _pg_url, gql, login

pytestmark = pytest.mark.slow


async def _empty(backend: str, tmp_path: Path) -> tuple[str, str | None]:
    """A database with no tables at all: a new SQLite file, or a new PostgreSQL database."""
    if backend == "sqlite":
        return f"sqlite://{tmp_path / 'fresh.sqlite3'}", None
    name = f"gp_test_{uuid.uuid4().hex[:12]}"
    conn = await _pg_admin()
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return _pg_url(name), name


@pytest.mark.parametrize("backend", BACKENDS)
async def test_several_workers_on_an_empty_database_migrate_and_seed_once(
    backend: str, tmp_path: Path
) -> None:
    url, pg_name = await _empty(backend, tmp_path)
    workers = 4 if backend == "postgres" else 2
    server = Served(
        backend=backend,
        url=url,
        log=tmp_path / "server.log",
        workers=workers,
        settings={"SEED_DEMO": "true", "JOBS_INTERVAL_SECONDS": "0"},
    )
    try:
        await server.start()
        # every worker answers (many requests on fresh connections spread over them)
        async with server.client(workers * 4) as http:
            token = await login(http, "resident")
            bodies = await asyncio.gather(
                *(gql(http, "{ viewer { username } }", token=token) for _ in range(workers * 8))
            )
        assert {b["data"]["viewer"]["username"] for b in bodies} == {"resident"}
        assert "Traceback" not in server.log_text(), server.log_tail()
    finally:
        await server.stop()
    try:
        async with opened(url):
            # the demo was seeded exactly once
            assert await UserAccount.filter(username="district_admin").count() == 1
            assert await Area.filter(name="颜山社区").count() == 1
    finally:
        await _drop(pg_name)
