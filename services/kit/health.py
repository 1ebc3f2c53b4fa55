"""Liveness and readiness checks, and the figures operators watch (for /metrics)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from tortoise import connections

from services import workorders
from services.kit import clock, db

logger = logging.getLogger("gridpoints.health")


async def database_reachable() -> bool:
    """Can we run a trivial query?"""
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception:  # any failure means "not reachable"; the reason goes to the log
        logger.exception("database check failed")
        return False
    return True


async def ready() -> tuple[bool, str]:
    """Reachable and fully migrated?"""
    if not await database_reachable():
        return False, "database unreachable"
    try:
        pending = await db.pending_migrations()
    except Exception:  # e.g. the migrations table does not exist yet
        logger.exception("migration check failed")
        return False, "migrations not applied"
    if pending:
        return False, f"{len(pending)} migration(s) not applied"
    return True, "ok"


@dataclass(frozen=True)
class Figures:
    """What operators watch, read from the database (the same in every process)."""

    ledger_transactions: int
    held_points: int
    open_work_orders: int
    overdue_work_orders: int
    pool_in_use: int | None
    pool_size: int | None


async def figures() -> Figures:
    """Ledger transactions, points held by open redemptions, open and overdue work orders
    (past their time to accept, or to resolve while being handled), and the use of the
    PostgreSQL connection pool (None on SQLite)."""
    row = (
        await db.fetch(
            "SELECT (SELECT COUNT(*) FROM points_transaction) AS transactions, "
            "(SELECT COALESCE(SUM(held), 0) FROM points_account) AS held",
            [],
        )
    )[0]
    open_orders, overdue = await workorders.open_and_overdue(clock.now())
    pool = getattr(connections.get("default"), "_pool", None)
    size = pool.get_size() if pool is not None else None
    idle = pool.get_idle_size() if pool is not None else None
    return Figures(
        ledger_transactions=int(row["transactions"]),
        held_points=int(row["held"]),
        open_work_orders=open_orders,
        overdue_work_orders=overdue,
        pool_in_use=size - idle if size is not None and idle is not None else None,
        pool_size=size,
    )
