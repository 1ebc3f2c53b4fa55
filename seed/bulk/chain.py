"""Hash-chain the ledger rows the bulk loaders wrote with SQL (they bypass ledger.post)."""

from __future__ import annotations

from typing import Any

from tortoise import connections

from services.kit import db
from services.points import chain


async def seal_chains() -> int:
    """Chain every transaction without a hash, community by community in id order, after the
    community's head (the rows come after the chained ones: bulk loads append). The append-only
    update trigger is lifted for the backfill and put back, as migration 0033 does; run inside
    the loader's transaction. Returns the number of transactions chained."""
    rows = await db.fetch(
        f"SELECT {chain.TRANSACTION_COLUMNS} FROM points_transaction WHERE content_hash IS NULL "
        "ORDER BY community_id, id",
        [],
    )
    if not rows:
        return 0
    entries: dict[int, list[tuple[int, int]]] = {}
    for r in await db.fetch(
        "SELECT e.transaction_id, e.account_id, e.points FROM points_entry e "
        "JOIN points_transaction t ON t.id = e.transaction_id WHERE t.content_hash IS NULL",
        [],
    ):
        entries.setdefault(int(r["transaction_id"]), []).append(
            (int(r["account_id"]), int(r["points"]))
        )
    heads = {
        int(r["community_id"]): (str(r["head_hash"]), int(r["length"]))
        for r in await db.fetch("SELECT community_id, head_hash, length FROM points_chain_head", [])
    }
    updates: list[list[Any]] = []
    ends: dict[int, tuple[str, int, int]] = {}
    for row in rows:
        community = int(row["community_id"])
        previous, length = heads.get(community, (chain.GENESIS, 0))
        digest = chain.content_hash(
            chain.content_of(row, entries.get(int(row["id"]), [])), previous
        )
        updates.append([digest, previous, int(row["id"])])
        heads[community] = (digest, length + 1)
        ends[community] = (digest, int(row["id"]), length + 1)
    postgres = db.dialect() == "postgres"
    conn = connections.get("default")
    if postgres:
        await conn.execute_script(
            "ALTER TABLE points_transaction DISABLE TRIGGER points_transaction_append_only"
        )
        update = "UPDATE points_transaction SET content_hash = $1, previous_hash = $2 WHERE id = $3"
    else:
        saved = await db.fetch(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' "
            "AND name = 'points_transaction_no_update'",
            [],
        )
        await conn.execute_script("DROP TRIGGER points_transaction_no_update")
        update = "UPDATE points_transaction SET content_hash = ?, previous_hash = ? WHERE id = ?"
    await conn.execute_many(update, updates)
    if postgres:
        await conn.execute_script(
            "ALTER TABLE points_transaction ENABLE TRIGGER points_transaction_append_only"
        )
    else:
        await conn.execute_script(str(saved[0]["sql"]))
    for community, (digest, tx_id, length) in ends.items():
        await db.execute(
            "INSERT INTO points_chain_head (community_id, head_hash, transaction_id, length) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (community_id) DO UPDATE SET "
            "head_hash = excluded.head_hash, transaction_id = excluded.transaction_id, "
            "length = excluded.length RETURNING community_id",
            [community, digest, tx_id, length],
        )
    return len(updates)
