"""Tortoise's PostgreSQL (asyncpg) engine with timed statements (see services.kit.dbengines)."""

from __future__ import annotations

from typing import Any

import asyncpg  # type: ignore[import-untyped]
from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import (
    NestedTransactionContext,
    TransactionContext,
    TransactionContextPooled,
)

from services.kit.dbengines import Timed


class TimedTransactionWrapper(Timed, TransactionWrapper):
    """Statements inside a transaction (and its savepoints), timed."""

    def _in_transaction(self) -> TransactionContext:
        return NestedTransactionContext(TimedTransactionWrapper(self))


async def keep_session(connection: asyncpg.Connection) -> None:
    """What a connection needs on its way back to the pool: nothing beyond asyncpg's own
    rollback of a transaction left open (which runs before this, whatever `reset` is).

    asyncpg's default reset sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL` on every release, and Tortoise takes a connection from the pool for every
    statement outside a transaction: one more round trip and statement per statement, for
    PostgreSQL to run (bench/README.md, "Issue 18 re-measured": it did not change the nested
    read's throughput, which the server's own Python work bounds). The service leaves no
    session state to undo: its advisory locks are transaction-scoped (`pg_advisory_xact_lock`),
    it declares no cursors outside transactions, never LISTENs (events cross processes through
    Redis) and never SETs a session setting (tests/services/kit/test_db.py checks that a
    released connection comes back clean).
    """


class TimedAsyncpgClient(Timed, AsyncpgDBClient):
    """Statements outside transactions, timed; transactions get the timed wrapper."""

    async def create_pool(self, **kwargs: Any) -> asyncpg.Pool:
        return await asyncpg.create_pool(None, reset=keep_session, **kwargs)

    def _in_transaction(self) -> TransactionContext:
        return TransactionContextPooled(TimedTransactionWrapper(self), self._pool_init_lock)


client_class = TimedAsyncpgClient
