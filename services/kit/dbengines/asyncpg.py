"""Tortoise's PostgreSQL (asyncpg) engine with timed statements (see services.kit.dbengines)."""

from __future__ import annotations

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


class TimedAsyncpgClient(Timed, AsyncpgDBClient):
    """Statements outside transactions, timed; transactions get the timed wrapper."""

    def _in_transaction(self) -> TransactionContext:
        return TransactionContextPooled(TimedTransactionWrapper(self), self._pool_init_lock)


client_class = TimedAsyncpgClient
