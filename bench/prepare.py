"""Benchmark databases on PostgreSQL: dropped and created for each run, on loopback only.
What goes into them is built by seed (seed/bulk/district.py and the other seed/bulk modules)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]


def _asyncpg_url(url: str, database: str | None = None) -> str:
    parts = urlsplit(url.replace("postgres://", "postgresql://", 1))
    if database is not None:
        parts = parts._replace(path=f"/{database}")
    return urlunsplit(parts)


def postgres_name(url: str) -> str:
    """The database named by a PostgreSQL URL; only names containing "bench" are accepted."""
    name = urlsplit(url).path.lstrip("/")
    if not name or "bench" not in name:
        raise SystemExit(
            f"refusing to create/drop database {name!r}: the benchmark only manages databases "
            'whose name contains "bench" (set BENCH_POSTGRES_URL)'
        )
    host = urlsplit(url).hostname or ""
    if host not in {"127.0.0.1", "localhost", "::1"}:
        raise SystemExit(f"refusing PostgreSQL host {host!r}: the benchmark stays on loopback")
    return name


async def recreate_postgres(url: str) -> None:
    """Drop and create the database named in `url` (connecting to the `postgres` database)."""
    name = postgres_name(url)
    conn = await asyncpg.connect(_asyncpg_url(url, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_postgres(url: str) -> None:
    """Drop the database named in `url`."""
    name = postgres_name(url)
    conn = await asyncpg.connect(_asyncpg_url(url, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
