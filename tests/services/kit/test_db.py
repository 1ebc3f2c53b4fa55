"""Every statement is timed: a latency histogram, and slow statements logged (without their
parameters), inside transactions too."""

from __future__ import annotations

import logging

import pytest
from prometheus_client import REGISTRY
from tortoise.transactions import in_transaction

from services.kit import db as database
from services.kit.settings import get_settings
from tests.conftest import Database

SLOW = {
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) "
    "SELECT COUNT(*) AS n FROM c",
    "postgres": "SELECT pg_sleep(0.05), ?::int AS n",
}


def statements() -> float:
    return REGISTRY.get_sample_value("gridpoints_db_statement_seconds_count") or 0.0


async def test_statements_are_counted_and_slow_ones_logged(
    db: Database, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = statements()
    await db_fetch_one()
    assert statements() == before + 1
    monkeypatch.setattr(get_settings(), "slow_query_ms", 1)
    with caplog.at_level(logging.WARNING, logger="gridpoints.sql"):
        async with in_transaction():  # statements inside a transaction are timed as well
            await database.fetch(
                SLOW[database.dialect()], [3_000_000 if database.dialect() == "sqlite" else 1]
            )
    (record,) = [r for r in caplog.records if r.name == "gridpoints.sql"]
    assert record.__dict__["duration_ms"] >= 1
    assert record.__dict__["sql"].startswith(("WITH RECURSIVE", "SELECT pg_sleep"))
    assert "3000000" not in record.getMessage()  # parameters are never logged
    # and with the threshold at 0 nothing is logged
    caplog.clear()
    monkeypatch.setattr(get_settings(), "slow_query_ms", 0)
    with caplog.at_level(logging.WARNING, logger="gridpoints.sql"):
        await database.fetch(
            SLOW[database.dialect()], [300_000 if database.dialect() == "sqlite" else 1]
        )
    assert not [r for r in caplog.records if r.name == "gridpoints.sql"]


async def db_fetch_one() -> None:
    assert (await database.fetch("SELECT 1 AS one", []))[0]["one"] == 1


async def _pragmas() -> tuple[str, int, int, int]:
    journal = await database.fetch("PRAGMA journal_mode", [])
    synchronous = await database.fetch("PRAGMA synchronous", [])
    busy = await database.fetch("PRAGMA busy_timeout", [])
    foreign = await database.fetch("PRAGMA foreign_keys", [])
    return (
        str(journal[0]["journal_mode"]).lower(),
        int(next(iter(synchronous[0].values()))),
        int(next(iter(busy[0].values()))),
        int(foreign[0]["foreign_keys"]),
    )


async def test_sqlite_runs_in_wal_with_normal_sync_and_a_busy_timeout(db: Database) -> None:
    """The pragmas the URL asks for (services.kit.db.normalize_url) are in effect on the app's
    connection, outside and inside a transaction: WAL, synchronous NORMAL (1), the configured
    busy timeout, foreign keys on."""
    if db.backend != "sqlite":
        pytest.skip("SQLite pragmas")
    expected = ("wal", 1, get_settings().sqlite_busy_timeout_ms, 1)
    assert await _pragmas() == expected
    async with in_transaction():
        assert await _pragmas() == expected
