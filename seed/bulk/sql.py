"""Raw-SQL helpers of the bulk data sets: multi-row INSERTs, a row source of 1..n, ids."""

from __future__ import annotations

from typing import Any

from services.kit import db


async def insert_rows(table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Multi-row INSERTs, under the parameter limits of SQLite (32,766) and asyncpg (32,767)."""
    per = max(1, 30_000 // len(columns))
    row_marks = "(" + ", ".join("?" for _ in columns) + ")"
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        await db.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
            + ", ".join(row_marks for _ in chunk),
            [value for row in chunk for value in row],
        )


def series(count: int, dialect: str) -> str:
    """A row source of i = 1..count (`count` is an int, inlined)."""
    if dialect == "postgres":
        return f"generate_series(1, {int(count)}) AS s(i)"
    return (
        f"(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {int(count)}) "
        "SELECT i FROM n) AS s"
    )


async def next_id(table: str) -> int:
    """The id after the largest in `table` (1 when empty)."""
    rows = await db.fetch(f"SELECT COALESCE(MAX(id), 0) AS m FROM {table}", [])
    return int(rows[0]["m"]) + 1
