"""The points benchmark's ledger (`python -m bench points`), bulk-loaded with SQL."""

from __future__ import annotations

import time
from typing import Any

from tortoise import connections
from tortoise.context import TortoiseContext
from tortoise.transactions import in_transaction

from seed.bulk.chain import seal_chains
from seed.bulk.sql import series
from services.kit import clock, db
from services.points import ledger

BULK_SOURCE = "BenchBulk"  # source_type of the bulk-loaded transactions and entries


async def bulk_load(url: str, person_id: int, entries: int) -> float:
    """Add `entries` ledger entries: entries/2 one-point awards from the community's pool to the
    person, each a transaction with two entries (running balances included), one lot holding
    the points, and the cached balances moved to match. Raw SQL, one transaction. Seconds."""

    count = entries // 2
    started = time.perf_counter()
    async with TortoiseContext() as ctx:
        await ctx.init(config=db.tortoise_config(url))
        dialect = db.dialect()
        community = await ledger.home_community(person_id)
        person = await ledger.person_account(person_id)
        pool = await ledger.pool_account(community)
        moment = clock.now()
        at: Any = moment if dialect == "postgres" else moment.isoformat(sep=" ")

        def param(sql_type: str) -> str:
            # PostgreSQL types a parameter in a SELECT list as text unless told.
            return f"CAST(? AS {sql_type})" if dialect == "postgres" else "?"

        stamp = param("TIMESTAMPTZ")
        async with in_transaction():
            base = await ledger.lock_account(person.id)
            pool_base = await ledger.lock_account(pool.id)
            await db.execute(
                "INSERT INTO points_transaction (kind, person_id, community_id, area_path, "
                "points, credit, shortfall, reason, source_type, source_id, created_at) "
                f"SELECT 'AWARD', {param('INTEGER')}, {param('INTEGER')}, {param('VARCHAR')}, "
                f"1, 0, 0, 'bench bulk', {param('VARCHAR')}, CAST(i AS VARCHAR(40)), {stamp} "
                f"FROM {series(count, dialect)}",
                [person_id, community.id, community.path, BULK_SOURCE, at],
            )
            for account_id, sign, opening in (
                (person.id, 1, base.balance),
                (pool.id, -1, pool_base.balance),
            ):
                await db.execute(
                    "INSERT INTO points_entry (transaction_id, account_id, points, "
                    "balance_after, kind, reason, source_type, source_id, created_at) "
                    f"SELECT t.id, {param('INTEGER')}, {param('BIGINT')}, "
                    f"{param('BIGINT')} + {param('BIGINT')} * CAST(t.source_id AS BIGINT), "
                    "'AWARD', t.reason, t.source_type, t.source_id, t.created_at "
                    f"FROM points_transaction t WHERE t.source_type = {param('VARCHAR')}",
                    [account_id, sign, opening, sign, BULK_SOURCE],
                )
            await db.execute(
                "INSERT INTO points_lot (account_id, transaction_id, points, remaining, "
                f"created_at) SELECT {param('INTEGER')}, MIN(id), {param('BIGINT')}, "
                f"{param('BIGINT')}, {stamp} FROM points_transaction "
                f"WHERE source_type = {param('VARCHAR')}",
                [person.id, count, count, at, BULK_SOURCE],
            )
            await db.execute(
                "UPDATE points_account SET balance = balance + ? WHERE id = ?", [count, person.id]
            )
            await db.execute(
                "UPDATE points_account SET balance = balance - ? WHERE id = ?", [count, pool.id]
            )
            await seal_chains()
        if dialect == "postgres":
            await connections.get("default").execute_script("ANALYZE")
    return time.perf_counter() - started
