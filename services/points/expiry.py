"""The expiry job: expired lot remainders go back to their community's pool.

Safe to run twice or on two instances at once: each lot is expired under its owner's account
lock (the same lock every other movement of that person's points takes first), and a lot whose
remainder is already zero is skipped, so a remainder is returned exactly once.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from services.enums import TransactionKind
from services.kit import clock, db
from services.models import PointsLot
from services.points import ledger
from services.points.ledger import Movement


async def expire_lots(*, at: datetime | None = None, batch: int = 500) -> int:
    """Expire every lot whose time has come (at `at`, default now); returns points expired."""
    moment = at or clock.now()
    total = 0
    last_id = 0
    while True:
        lots = (
            await PointsLot.filter(remaining__gt=0, expires_at__lte=moment, id__gt=last_id)
            .order_by("id")
            .limit(batch)
            .values("id", "account_id", "transaction_id")
        )
        for lot in lots:
            total += await _expire_lot(int(lot["id"]), int(lot["account_id"]), moment)
        if len(lots) < batch:
            return total
        last_id = int(lots[-1]["id"])


async def _expire_lot(lot_id: int, account_id: int, moment: datetime) -> int:
    async with in_transaction():
        await ledger.lock_account(account_id)
        rows = await db.fetch(
            "SELECT l.remaining, t.community_id, t.area_path, t.person_id, a.name "
            "FROM points_lot l JOIN points_transaction t ON t.id = l.transaction_id "
            "JOIN area a ON a.id = t.community_id WHERE l.id = ?",
            [lot_id],
        )
        remaining = int(rows[0]["remaining"])
        if remaining == 0:  # expired by another run, or spent meanwhile
            return 0
        await db.execute("UPDATE points_lot SET remaining = 0 WHERE id = ? RETURNING id", [lot_id])
        community = ledger.Community(
            id=int(rows[0]["community_id"]), path=rows[0]["area_path"], name=rows[0]["name"]
        )
        pool = await ledger.pool_account(community)
        await ledger.post(
            Movement(
                kind=TransactionKind.EXPIRY,
                community=community,
                person_id=rows[0]["person_id"],
                points=-remaining,
                reason=f"积分到期 (lot {lot_id}, {moment.date().isoformat()})",
                source_type="PointsLot",
                source_id=str(lot_id),
            ),
            [(account_id, -remaining), (pool.id, remaining)],
        )
        return remaining
