"""Tortoise database engines that time every statement: a latency histogram, and a WARNING on
the `gridpoints.sql` logger for statements slower than SLOW_QUERY_MS (the SQL text, truncated,
never its parameters, which may hold personal data).

services.kit.db points Tortoise's config at `services.kit.dbengines.sqlite` / `.asyncpg`, thin
subclasses of Tortoise's own clients (and of their transaction wrappers, which run the
statements inside transactions) with `Timed` mixed in first.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from prometheus_client import Histogram

from services.kit.settings import get_settings

logger = logging.getLogger("gridpoints.sql")
QUERY_SECONDS = Histogram(
    "gridpoints_db_statement_seconds",
    "Time the database took per statement",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
)
SQL_SHOWN = 500

# `Timed` is mixed in before a Tortoise client class: to the type checker it is one (so its
# `super()` calls are checked against the client's methods); at run time it adds no base.
if TYPE_CHECKING:
    from tortoise.backends.base.client import BaseDBAsyncClient as _Client
else:
    _Client = object


def observe(sql: str, started: float) -> None:
    """Record how long a statement took; log it when slow."""
    elapsed = time.perf_counter() - started
    QUERY_SECONDS.observe(elapsed)
    threshold = get_settings().slow_query_ms
    if threshold and elapsed * 1000 >= threshold:
        text = " ".join(sql.split())
        logger.warning(
            "slow statement (%.0f ms): %s",
            elapsed * 1000,
            text[:SQL_SHOWN],
            extra={"duration_ms": round(elapsed * 1000, 2), "sql": text[:SQL_SHOWN]},
        )


class Timed(_Client):
    """Times the statements of a Tortoise client (mixed in before the client class)."""

    async def execute_query(self, query: str, values: list[Any] | None = None) -> Any:
        started = time.perf_counter()
        try:
            return await super().execute_query(query, values)
        finally:
            observe(query, started)

    async def execute_query_dict(self, query: str, values: list[Any] | None = None) -> Any:
        started = time.perf_counter()
        try:
            return await super().execute_query_dict(query, values)
        finally:
            observe(query, started)

    async def execute_insert(self, query: str, values: list[Any]) -> Any:
        started = time.perf_counter()
        try:
            return await super().execute_insert(query, values)
        finally:
            observe(query, started)

    async def execute_many(self, query: str, values: list[Any]) -> Any:
        started = time.perf_counter()
        try:
            return await super().execute_many(query, values)
        finally:
            observe(query, started)

    async def execute_script(self, query: str) -> Any:
        started = time.perf_counter()
        try:
            return await super().execute_script(query)
        finally:
            observe(query, started)
