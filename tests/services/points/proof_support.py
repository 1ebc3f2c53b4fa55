"""Signed checkpoints for the proof tests, made by hand as the checkpoint code would (that
code is another piece of work): the community's transactions after its last checkpoint, up to
a cut, their Merkle root, the head hash after them, signed with the service's key."""

from __future__ import annotations

from services.kit import clock, db
from services.models import LedgerCheckpoint
from services.points import checkpoints, merkle, signing
from tests.services.points_support import raw


async def checkpoint(community_id: int, *, until_id: int | None = None) -> LedgerCheckpoint:
    """The community's next checkpoint, covering its transactions after the previous one up
    to `until_id` (default: all of them)."""
    last = await LedgerCheckpoint.filter(community_id=community_id).order_by("-sequence").first()
    after_id = last.last_transaction_id if last else 0
    from_length = last.length if last else 0
    rows = await db.fetch(
        "SELECT id, content_hash FROM points_transaction WHERE community_id = ? AND id > ? "
        "AND id <= ? ORDER BY id",
        [community_id, after_id, until_id if until_id is not None else 2**31 - 1],
    )
    assert rows, "nothing to cover"
    hashes = [str(r["content_hash"]) for r in rows]
    now = clock.now()
    cp = LedgerCheckpoint(
        community_id=community_id,
        sequence=(last.sequence + 1) if last else 1,
        kind="ON_DEMAND",
        day=now.date(),
        covers_until=now,
        from_length=from_length,
        length=from_length + len(rows),
        first_transaction_id=int(rows[0]["id"]),
        last_transaction_id=int(rows[-1]["id"]),
        head_hash=hashes[-1],
        merkle_root=merkle.root(hashes),
        key_id="",
        signature="",
    )
    cp.key_id, cp.signature = signing.sign(checkpoints.message(cp))
    await cp.save()
    return cp


async def community_transactions(community_id: int) -> list[int]:
    """The community's transaction ids, in chain (id) order."""
    rows = await db.fetch(
        "SELECT id FROM points_transaction WHERE community_id = ? ORDER BY id", [community_id]
    )
    return [int(r["id"]) for r in rows]


async def lift_guards() -> None:
    """Drop the append-only triggers, as someone with database access could (as in
    test_chain.py)."""
    if db.dialect() == "postgres":
        for table in ("points_transaction", "points_entry"):
            await raw(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
    else:
        for table in ("points_transaction", "points_entry"):
            for event in ("update", "delete"):
                await raw(f"DROP TRIGGER {table}_no_{event}")
