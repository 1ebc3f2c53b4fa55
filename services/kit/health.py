"""Liveness and readiness checks, and the use of the connection pool (for /metrics)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from tortoise import connections

from services.kit import db

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
class PoolUse:
    """The connections of this process's pool: open ones, and those in use."""

    size: int | None
    in_use: int | None


def pool_use() -> PoolUse:
    """The use of the PostgreSQL connection pool of this process (None on SQLite)."""
    pool = getattr(connections.get("default"), "_pool", None)
    size = pool.get_size() if pool is not None else None
    idle = pool.get_idle_size() if pool is not None else None
    return PoolUse(size=size, in_use=size - idle if size is not None and idle is not None else None)
