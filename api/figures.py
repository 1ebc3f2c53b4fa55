"""What operators watch on /metrics, read from the database at scrape time (the same in every
process): the domains' own figures (the ledger, work orders) and the kit's connection pool,
composed here, where the app is."""

from __future__ import annotations

from dataclasses import dataclass

from services import points, workorders
from services.kit import clock, health


@dataclass(frozen=True)
class Figures:
    """What operators watch, read from the database (the same in every process)."""

    ledger_transactions: int
    held_points: int
    open_work_orders: int
    overdue_work_orders: int
    pool_in_use: int | None
    pool_size: int | None


async def read_figures() -> Figures:
    """Ledger transactions, points held by open redemptions, open and overdue work orders
    (past their time to accept, or to resolve while being handled), and the use of the
    PostgreSQL connection pool (None on SQLite)."""
    transactions, held = await points.ledger_figures()
    open_orders, overdue = await workorders.open_and_overdue(clock.now())
    pool = health.pool_use()
    return Figures(
        ledger_transactions=transactions,
        held_points=held,
        open_work_orders=open_orders,
        overdue_work_orders=overdue,
        pool_in_use=pool.in_use,
        pool_size=pool.size,
    )
