"""Backups and restores: a restored backup is the source database, ledger and all."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from tortoise.context import TortoiseContext

from services import points
from services.errors import Conflict, InvalidInput
from services.kit import backups
from services.kit import db as database
from services.models import PointsAward, Reward
from tests.conftest import Database, _drop, _fresh_statement_cache, _pg_admin, _pg_url, actor_for

ROOT = Path(__file__).resolve().parents[3]


def _names(directory: Path) -> list[str]:
    """The names of the files in a directory, sorted."""
    return sorted(p.name for p in directory.iterdir())


@asynccontextmanager
async def fresh_target(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of a database that does not exist yet (SQLite) or is empty (PostgreSQL)."""
    if backend == "sqlite":
        yield f"sqlite://{tmp_path / 'restored.sqlite3'}"
        return
    name = f"gp_restore_{uuid.uuid4().hex[:12]}"
    conn = await _pg_admin()
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield _pg_url(name)
    finally:
        await _drop(name)


@asynccontextmanager
async def opened(url: str) -> AsyncIterator[None]:
    """A Tortoise context on another database, inside the test's."""
    _fresh_statement_cache()
    try:
        async with TortoiseContext() as ctx:
            await ctx.init(config=database.tortoise_config(url))
            yield
    finally:
        _fresh_statement_cache()


async def _one_more_award() -> PointsAward:
    admin = await actor_for("community_admin")
    leader = await actor_for("microgrid_leader")
    return await points.award_points(
        actor=admin,
        person_id=leader.person_id,
        rule_code="MONTHLY_MEETING",
        quantity=1,
        reason="备份前的最后一笔",
        source=None,
        idempotency_key=uuid.uuid4().hex,
    )


async def test_a_restored_backup_equals_its_source(db: Database, tmp_path: Path) -> None:
    # given the demo district with one more award than its template
    award = await _one_more_award()
    counts = await backups.table_counts()
    assert counts["points_entry"] > 0 and counts["redemption"] > 0
    # when it is backed up into a directory and restored into a fresh database
    path = await backups.backup(url=db.url, to=tmp_path)
    suffix = r"\.sqlite3" if db.backend == "sqlite" else r"\.dump"
    assert re.fullmatch(r"gridpoints-\d{8}T\d{6}Z" + suffix, path.name), path.name
    assert [name for name in _names(tmp_path) if name.startswith(".")] == []
    async with fresh_target(db.backend, tmp_path) as url:
        await backups.restore(source=path, url=url)
        # then the restored database has the same rows in every table, a clean ledger,
        # the last award, and no migration left to apply
        async with opened(url):
            assert await backups.table_counts() == counts
            report = await points.verify()
            assert report.ok, report.lines()
            assert report.entries == counts["points_entry"]
            restored = await PointsAward.get(id=award.id)
            assert restored.transaction_id == award.transaction_id
            assert await database.pending_migrations() == []


async def test_a_backup_leaves_out_what_is_not_committed(db: Database, tmp_path: Path) -> None:
    # given a reward, and another connection renaming it inside a transaction still open
    reward = await Reward.filter().order_by("id").first()
    assert reward is not None
    async with writer(db) as write:
        await write(f"UPDATE reward SET name = 'uncommitted' WHERE id = {reward.id}")
        # when a backup is taken meanwhile (it does not wait for the writer)
        path = await asyncio.wait_for(backups.backup(url=db.url, to=tmp_path / "during"), 60)
    # then the backup holds the committed name only
    async with fresh_target(db.backend, tmp_path) as url:
        await backups.restore(source=path, url=url)
        async with opened(url):
            assert (await Reward.get(id=reward.id)).name == reward.name


@asynccontextmanager
async def writer(db: Database) -> AsyncIterator[Any]:
    """A second connection with an open write transaction (rolled back at the end)."""
    if db.backend == "sqlite":
        conn = sqlite3.connect(db.url.removeprefix("sqlite://"), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")  # the write lock of the file, held throughout

        async def run(sql: str) -> None:
            conn.execute(sql)

        try:
            yield run
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    import asyncpg

    pg = await asyncpg.connect(db.url.replace("postgres://", "postgresql://", 1))
    transaction = pg.transaction()
    await transaction.start()

    async def run_pg(sql: str) -> None:
        await pg.execute(sql)

    try:
        yield run_pg
    finally:
        await transaction.rollback()
        await pg.close()


async def test_a_backup_never_overwrites(db: Database, tmp_path: Path) -> None:
    # given a file where the backup should go
    out = tmp_path / "backups"
    out.mkdir()
    target = out / "taken.bak"
    target.write_bytes(b"precious")
    # when a backup is sent there, then it is refused and the file is untouched
    with pytest.raises(Conflict):
        await backups.backup(url=db.url, to=target)
    assert target.read_bytes() == b"precious"
    assert _names(out) == ["taken.bak"]


async def test_a_restore_refuses_a_database_with_tables(db: Database, tmp_path: Path) -> None:
    # given a backup and a live database that already has data
    path = await backups.backup(url=db.url, to=tmp_path)
    await _one_more_award()
    before = await backups.table_counts()
    # when it is restored over the live database, then it is refused and nothing changed
    with pytest.raises(Conflict):
        await backups.restore(source=path, url=db.url)
    assert await backups.table_counts() == before


async def test_a_restore_refuses_what_is_not_a_backup(tmp_path: Path) -> None:
    # given a file that is not a SQLite database
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database" * 100)
    target = tmp_path / "restored.sqlite3"
    # when it is restored, then it is refused and no database file is left behind
    with pytest.raises(InvalidInput):
        await backups.restore(source=junk, url=f"sqlite://{target}")
    assert not target.exists()
    with pytest.raises(InvalidInput):
        await backups.restore(source=tmp_path / "missing.sqlite3", url=f"sqlite://{target}")


async def test_a_backup_needs_a_database_on_disk(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        await backups.backup(url="sqlite://:memory:", to=tmp_path)
    with pytest.raises(InvalidInput):
        await backups.backup(url=f"sqlite://{tmp_path / 'none.sqlite3'}", to=tmp_path)
    assert _names(tmp_path) == []


def _cli(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATABASE_URL=url, ENVIRONMENT="test", PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "api", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_the_command_line_backs_up_and_restores(db: Database, tmp_path: Path) -> None:
    # given the demo district
    counts = await backups.table_counts()
    # when `python -m api backup --to DIR` runs
    done = await asyncio.to_thread(_cli, "backup", "--to", str(tmp_path), url=db.url)
    # then it prints the file it wrote
    assert done.returncode == 0, done.stderr
    path = Path(done.stdout.strip().splitlines()[-1])
    assert path.parent == tmp_path and path.name in _names(tmp_path)
    async with fresh_target(db.backend, tmp_path) as url:
        # and `python -m api restore FILE --to URL` restores it and finds the ledger clean
        done = await asyncio.to_thread(_cli, "restore", str(path), "--to", url, url=db.url)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "ledger OK" in done.stdout
        assert f"{sum(counts.values())} rows" in done.stdout
        # and a second restore into the now full database fails with a message
        again = await asyncio.to_thread(_cli, "restore", str(path), "--to", url, url=db.url)
        assert again.returncode == 1
        assert "restore failed" in again.stderr and "has tables" in again.stderr
