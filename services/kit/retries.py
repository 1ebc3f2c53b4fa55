"""Bounded retries of transactions that the database aborted to keep itself consistent.

PostgreSQL aborts a transaction with a serialization failure (SQLSTATE 40001) or a deadlock
(40P01) when concurrent transactions collide; SQLite answers "database is locked" when its
busy timeout runs out. Nothing of the aborted transaction was kept, so running it again is safe;
an idempotency key (services.kit.idempotency) guards the effect on top, so even a retry after a
commit whose answer got lost returns the first result. Retries are counted in the metric
`gridpoints_db_retries_total` by reason.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from prometheus_client import Counter

T = TypeVar("T")

MAX_ATTEMPTS = 4
BASE_DELAY_SECONDS = 0.01
RETRIES = Counter(
    "gridpoints_db_retries_total",
    "Transactions run again after the database aborted them",
    ["reason"],
)
_SQLSTATES = {"40001": "serialization_failure", "40P01": "deadlock"}


def transient_reason(error: BaseException) -> str | None:
    """Why the database aborted this transaction, if running it again may succeed (the error
    or any error it was raised from); None for every other error."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        sqlstate = getattr(current, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate in _SQLSTATES:
            return _SQLSTATES[sqlstate]
        if "database is locked" in str(current):
            return "sqlite_busy"
        current = current.__cause__ or current.__context__
    return None


async def retrying(run: Callable[[], Awaitable[T]], attempts: int = MAX_ATTEMPTS) -> T:
    """`run()` (a whole transaction), run again up to `attempts` times in all while the
    database aborts it for a transient reason, with a short randomized back-off; any other
    error, and the last transient one, goes to the caller."""
    for attempt in range(1, attempts + 1):
        try:
            return await run()
        except Exception as error:
            reason = transient_reason(error)
            if reason is None or attempt == attempts:
                raise
            RETRIES.labels(reason).inc()
            await asyncio.sleep(BASE_DELAY_SECONDS * attempt * (1 + random.random()))
    raise AssertionError("unreachable")
