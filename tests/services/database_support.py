"""The whole database as rows, to check that a refused call wrote nothing."""

from __future__ import annotations

from services.kit import db


async def fingerprint() -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, sorted: a refused call leaves all of them as they were."""
    if db.dialect() == "postgres":
        sql = "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    found: dict[str, list[tuple[str, ...]]] = {}
    for name in sorted(str(r["name"]) for r in await db.fetch(sql, [])):
        found[name] = sorted(
            tuple(repr(v) for v in dict(r).values())
            for r in await db.fetch(f'SELECT * FROM "{name}"', [])
        )
    return found
