"""Database configuration, start-up and migrations (Tortoise ORM 1.x)."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.fields import DatetimeField
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget

from services.kit.settings import TORTOISE_TIMEZONE, Settings, get_settings

MODELS_MODULE = "services.models"
MIGRATIONS_MODULE = "services.migrations"
APPS: dict[str, dict[str, Any]] = {
    "models": {
        "models": [MODELS_MODULE],
        "migrations": MIGRATIONS_MODULE,
        "default_connection": "default",
    }
}


TIMED_ENGINES = {
    "tortoise.backends.sqlite": "services.kit.dbengines.sqlite",
    "tortoise.backends.asyncpg": "services.kit.dbengines.asyncpg",
}


def normalize_url(url: str, settings: Settings) -> str:
    """Add pool size (PostgreSQL) or busy timeout (SQLite) to a database URL."""
    base, _, query_text = url.partition("?")
    query = dict(parse_qsl(query_text))
    scheme = base.split("://", 1)[0]
    if scheme.startswith("sqlite"):
        path = base.split("://", 1)[1]
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Several processes share one SQLite file: wait for a lock rather than fail at once.
        query.setdefault("busy_timeout", str(settings.sqlite_busy_timeout_ms))
        query.setdefault("journal_mode", "WAL")
        query.setdefault("synchronous", "NORMAL")
    elif scheme in {"postgres", "postgresql", "asyncpg"}:
        query.setdefault("minsize", "1")
        query.setdefault("maxsize", str(settings.db_pool_size))
    # Rebuilt by hand: urlunsplit would turn "sqlite:////abs/path" into a relative path.
    return f"{base}?{urlencode(query)}" if query else base


def tortoise_config(url: str | None = None, settings: Settings | None = None) -> dict[str, Any]:
    """The Tortoise config dict for the given (or configured) database URL."""
    settings = settings or get_settings()
    db_url = normalize_url(url or settings.database_url, settings)
    connection = expand_db_url(db_url)
    # The same engines with every statement timed (services.kit.dbengines: slow-statement log).
    connection["engine"] = TIMED_ENGINES.get(connection["engine"], connection["engine"])
    return {
        "connections": {"default": connection},
        "apps": APPS,
        "use_tz": True,
        # Stored times are UTC on both databases (SQLite compares them as text); periods in
        # the service's TIMEZONE are computed by the services (services.kit.settings explains why
        # this value also lands in the TIMEZONE environment variable).
        "timezone": TORTOISE_TIMEZONE,
    }


def _executor() -> MigrationExecutor:
    return MigrationExecutor(connections.get("default"), APPS)


async def migrate(to: str | None = None) -> None:
    """Apply every pending migration on the already initialised connection; with `to` (a
    migration's name, e.g. "0016_work_orders", or "zero"), apply or undo migrations until
    exactly that one is the last applied ("zero": none is)."""
    if to is None:
        await _executor().migrate()
        return
    target = MigrationTarget("models", "__first__" if to == "zero" else to)
    await _executor().migrate([target])


async def pending_migrations() -> list[str]:
    """Names of the migrations not yet applied to the database."""
    return [
        f"{step.migration.app_label}.{step.migration.name}" for step in await _executor().plan()
    ]


async def pending_model_changes() -> list[str]:
    """Names of the migrations `makemigrations` would write now (empty when in sync)."""
    autodetector = MigrationAutodetector(Tortoise.apps, APPS)
    return [writer.name for writer in await autodetector.changes()]


async def init(
    url: str | None = None, *, run_migrations: bool = True, global_fallback: bool = False
) -> dict[str, Any]:
    """Open the connections, migrate if asked, and return the config used."""
    config = tortoise_config(url)
    await Tortoise.init(config=config, _enable_global_fallback=global_fallback)
    if run_migrations:
        try:
            await migrate()
        except BaseException:
            await close()  # an open aiosqlite thread would keep the process alive
            raise
    return config


async def close() -> None:
    """Close every connection."""
    await Tortoise.close_connections()


def dialect() -> str:
    """`sqlite` or `postgres`: the one place that tells them apart."""
    return str(connections.get("default").capabilities.dialect)


def __getattr__(name: str) -> Any:
    # `python -m tortoise -c services.kit.db.TORTOISE_ORM makemigrations` (see the Makefile);
    # built on demand, in dev mode, so writing migrations needs no secret and importing this
    # module costs nothing.
    if name == "TORTOISE_ORM":
        return tortoise_config(settings=Settings(environment="dev"))
    raise AttributeError(name)


@lru_cache(maxsize=1024)
def _numbered(sql: str) -> str:
    """A statement's `?` placeholders as PostgreSQL's `$1, $2, ...` (statements are few and
    repeat, so each is rewritten once)."""
    parts = sql.split("?")
    return parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], start=1))


async def fetch(sql: str, params: list[Any]) -> list[dict[str, Any]]:
    """Run a read-only SQL statement written with `?` placeholders on either database."""
    conn = connections.get("default")
    if dialect() == "postgres":
        sql = _numbered(sql)
    # Both of Tortoise's clients already hand back a new dict per row.
    rows: list[dict[str, Any]] = await conn.execute_query_dict(sql, params)
    return rows


def one_of(column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """`column IN (values)` as SQL with `?` placeholders, and its parameters.

    On PostgreSQL one array parameter (`column = ANY(?)`): the statement's text is the same for
    any number of values, so asyncpg prepares it once per connection, and PostgreSQL plans it
    once for every length (the role holders of 20 areas, planned with their values, got a hash
    join over the whole `person` table: 1.3 ms against 0.26 ms with the array; bench/README.md,
    "Issue 18 re-measured"). SQLite has no
    arrays: one `?` per value there.
    """
    if dialect() == "postgres":
        return f"{column} = ANY(?)", [list(values)]
    return f"{column} IN ({','.join('?' * len(values))})", list(values)


async def execute(sql: str, params: list[Any]) -> list[dict[str, Any]]:
    """Run a writing statement (UPDATE/INSERT ... RETURNING) written with `?` placeholders on
    the current connection (the transaction's, inside one); the RETURNING rows come back."""
    return await fetch(sql, params)


_TIMESTAMP = DatetimeField()
# SQLite's text timestamps, parsed (the same text always gives the same value: Tortoise's zone
# and use_tz are fixed for the process). A page read again and again (role holders' `since`)
# parses nothing; bounded, so that many distinct values cost no more than before.
_TIMESTAMPS: dict[str, datetime] = {}
_TIMESTAMPS_SIZE = 4096


def timestamp(value: Any) -> datetime | None:
    """A timestamp column of a `fetch` row as a model would hold it (aware, in Tortoise's zone).

    SQLite hands back text: parsed by the C `datetime.fromisoformat` (Tortoise's pure-Python
    ISO parser costs ~15 µs a value, which adds up on hot lists); the zone handling is Tortoise's.
    """
    if value is None:
        return None
    if isinstance(value, str):
        known = _TIMESTAMPS.get(value)
        if known is not None:
            return known
        text = value
        # A form only Tortoise's parser reads is left to it.
        with contextlib.suppress(ValueError):
            value = datetime.fromisoformat(value)
        parsed = _TIMESTAMP.to_python_value(value)
        if parsed is not None:
            if len(_TIMESTAMPS) >= _TIMESTAMPS_SIZE:
                _TIMESTAMPS.clear()
            _TIMESTAMPS[text] = parsed
        return parsed
    return _TIMESTAMP.to_python_value(value)


async def insert_many(table: str, columns: list[str], rows: list[list[Any]]) -> None:
    """Insert `rows` (values in database form, in `columns` order) into `table` with one
    executemany on the current connection (the transaction's, inside one). Bulk imports use
    it: building a Tortoise model per row costs more than the insert itself."""
    if not rows:
        return
    if dialect() == "postgres":
        marks = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    else:
        marks = ", ".join("?" for _ in columns)
    names = ", ".join(f'"{c}"' for c in columns)
    await connections.get("default").execute_many(
        f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows
    )
