"""Tortoise's SQLite engine with timed statements (see services.kit.dbengines)."""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.client import NestedTransactionContext, TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)

from services.kit.dbengines import Timed


class TimedSqliteTransactionWrapper(Timed, SqliteTransactionWrapper):
    """Statements inside a transaction (and its savepoints), timed."""

    def _in_transaction(self) -> TransactionContext:
        return NestedTransactionContext(TimedSqliteTransactionWrapper(self))


class TimedSqliteClient(Timed, SqliteClient):
    """Statements outside transactions, timed; transactions get the timed wrapper."""

    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(TimedSqliteTransactionWrapper(self), self._lock)


client_class = TimedSqliteClient


def get_client_class(db_info: dict[str, Any]) -> type[SqliteClient]:
    return TimedSqliteClient
