"""Liveness and readiness checks."""

from __future__ import annotations

import logging

from tortoise import connections

from services import db

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
