"""Online backups and restores: SQLite through its backup API, PostgreSQL through pg_dump.

Both are consistent snapshots taken while the server keeps serving and writing: SQLite's backup
API copies the database inside one read transaction (in WAL mode readers never block writers,
and a writer never blocks the copy), and pg_dump reads everything in one REPEATABLE READ
transaction. A backup is written under a temporary name and renamed when complete, so a file
named `gridpoints-*.sqlite3` or `gridpoints-*.dump` is never a half-written one.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from tortoise.backends.base.config_generator import expand_db_url

from services.errors import Conflict, InvalidInput
from services.kit import clock, db
from services.kit.settings import get_settings

DEFAULT_DIR = Path("var/backups")
SQLITE_SUFFIX = ".sqlite3"
POSTGRES_SUFFIX = ".dump"
# How long the copy waits for SQLite's brief exclusive moments (WAL recovery, checkpoints).
SQLITE_TIMEOUT_SECONDS = 30.0


class BackupFailed(Exception):
    """A backup or restore tool failed (pg_dump/pg_restore exit status, a damaged copy)."""


@dataclass(frozen=True)
class Target:
    """A database as the backup tools see it: a SQLite file or PostgreSQL credentials."""

    engine: str
    credentials: dict[str, Any]

    @property
    def is_sqlite(self) -> bool:
        return self.engine == "sqlite"

    @property
    def sqlite_path(self) -> Path:
        return Path(str(self.credentials["file_path"]))

    def pg_env(self) -> dict[str, str]:
        """libpq's environment for this database (the password stays out of the process list)."""
        env = dict(os.environ)
        names = {
            "host": "PGHOST",
            "port": "PGPORT",
            "user": "PGUSER",
            "password": "PGPASSWORD",
            "database": "PGDATABASE",
        }
        for key, variable in names.items():
            value = self.credentials.get(key)
            if value not in (None, ""):
                env[variable] = str(value)
        return env


def target_of(url: str) -> Target:
    """Which kind of database a DATABASE_URL names (InvalidInput for one that cannot be copied)."""
    try:
        config = expand_db_url(url)
    except Exception as exc:  # tortoise raises bare ConfigurationError/KeyError/ValueError
        raise InvalidInput(f"Not a database URL: {exc}", field="databaseUrl") from exc
    engine = str(config["engine"]).rsplit(".", 1)[-1]
    credentials = dict(config["credentials"])
    if engine == "sqlite":
        if credentials.get("file_path") in (None, "", ":memory:"):
            raise InvalidInput("An in-memory database has nothing to back up.", field="databaseUrl")
        return Target("sqlite", credentials)
    if engine in {"asyncpg", "psycopg"}:
        return Target("postgres", credentials)
    raise InvalidInput(f"Backups support SQLite and PostgreSQL, not {engine}.", field="databaseUrl")


def default_name(target: Target, moment: datetime | None = None) -> str:
    """`gridpoints-<UTC timestamp>.sqlite3` (or `.dump` for PostgreSQL)."""
    stamp = (moment or clock.now()).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"gridpoints-{stamp}{SQLITE_SUFFIX if target.is_sqlite else POSTGRES_SUFFIX}"


def _destination(target: Target, to: Path | None) -> Path:
    """The file to write: `to` itself, or a timestamped name inside `to` (a directory) or
    var/backups; never an existing file."""
    path = (to or DEFAULT_DIR) / default_name(target) if to is None or to.is_dir() else to
    if path.exists():
        raise Conflict(f"{path} exists already; backups never overwrite.", field="to")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


async def backup(*, url: str | None = None, to: Path | None = None) -> Path:
    """Take a consistent online backup of the database at `url` (DATABASE_URL by default) into
    `to` (a file, or a directory for a timestamped name; var/backups by default)."""
    target = target_of(url or get_settings().database_url)
    path = _destination(target, to)
    partial = path.with_name(f".{path.name}.partial")
    try:
        if target.is_sqlite:
            await asyncio.to_thread(_sqlite_backup, target.sqlite_path, partial)
        else:
            await _pg_dump(target, partial)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def _sqlite_backup(source: Path, partial: Path) -> None:
    if not source.is_file():  # sqlite3.connect would create an empty database there
        raise InvalidInput(f"There is no database at {source}.", field="databaseUrl")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=SQLITE_TIMEOUT_SECONDS)
    try:
        dst = sqlite3.connect(partial)
        try:
            # pages=-1: the whole database in one step, i.e. inside one read transaction, so
            # the copy is one committed state even while the server commits more.
            src.backup(dst, pages=-1)
            # A backup is one self-contained file: no -wal beside it to lose when copied away.
            dst.execute("PRAGMA journal_mode=DELETE")
            _check_integrity(dst, partial)
        finally:
            dst.close()
    finally:
        src.close()
    with partial.open("rb") as written:
        os.fsync(written.fileno())


def _check_integrity(conn: sqlite3.Connection, path: Path) -> None:
    problems = [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise BackupFailed(f"{path} fails SQLite's integrity check: {problems[:5]}")


def pg_tool(name: str) -> str:
    """The path of a PostgreSQL client program (on PATH, else the newest under
    /usr/lib/postgresql/*/bin, where Debian installs them)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = glob.glob(f"/usr/lib/postgresql/*/bin/{name}")

    def version(path: str) -> tuple[int, ...]:
        major = Path(path).parts[-3]
        return tuple(int(part) for part in major.split(".") if part.isdigit())

    if candidates:
        return max(candidates, key=version)
    raise BackupFailed(f"{name} is not installed (the PostgreSQL client programs are needed).")


async def _run(program: str, args: list[str], env: dict[str, str]) -> None:
    proc = await asyncio.create_subprocess_exec(
        pg_tool(program),
        *args,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        text = (err or out).decode(errors="replace").strip()
        raise BackupFailed(f"{program} exited with status {proc.returncode}: {text}")


async def _pg_dump(target: Target, partial: Path) -> None:
    # The custom format is compressed and lets pg_restore pick, reorder and parallelise.
    await _run("pg_dump", ["--format=custom", f"--file={partial}"], target.pg_env())
    # A dump pg_restore cannot list is no backup.
    await _run("pg_restore", ["--list", str(partial)], target.pg_env())


async def restore(*, source: Path, url: str | None = None) -> None:
    """Restore a backup into the empty database at `url` (DATABASE_URL by default): a SQLite
    file that does not exist or has no tables, or an existing PostgreSQL database without
    tables. All or nothing: a failed restore leaves the target as it was."""
    target = target_of(url or get_settings().database_url)
    _require_backup(source)
    if target.is_sqlite:
        await asyncio.to_thread(_sqlite_restore, source, target.sqlite_path)
        return
    if await _pg_tables(target):
        raise Conflict(
            f"The database {target.credentials.get('database')} has tables: "
            "restore into a new, empty database.",
            field="to",
        )
    await _run(
        "pg_restore",
        [
            # Owners and grants of the source server need not exist on the target server.
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={target.credentials['database']}",
            str(source),
        ],
        target.pg_env(),
    )


def _require_backup(source: Path) -> None:
    if not source.is_file():
        raise InvalidInput(f"There is no backup at {source}.", field="source")


def _sqlite_restore(source: Path, path: Path) -> None:
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        _check_integrity(src, source)
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"{source} is not a SQLite backup: {exc}", field="source") from exc
    existed = path.exists()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(path, timeout=SQLITE_TIMEOUT_SECONDS)
        try:
            tables = dst.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
            ).fetchone()[0]
            if tables:
                raise Conflict(
                    f"{path} has tables: restore into a new, empty database.", field="to"
                )
            # The copy is written in one transaction of the target: all of it or nothing.
            src.backup(dst, pages=-1)
            _check_integrity(dst, path)
        finally:
            dst.close()
    except BaseException:
        if not existed:  # sqlite3.connect created it: leave no empty database behind
            path.unlink(missing_ok=True)
        raise
    finally:
        src.close()


async def _pg_tables(target: Target) -> int:
    creds = target.credentials
    conn = await asyncpg.connect(
        host=creds.get("host"),
        port=creds.get("port"),
        user=creds.get("user"),
        password=creds.get("password"),
        database=creds.get("database"),
    )
    try:
        return int(
            await conn.fetchval(
                "SELECT COUNT(*) FROM pg_tables "
                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            )
        )
    finally:
        await conn.close()


async def table_counts() -> dict[str, int]:
    """Rows per table of the current database (to compare a restore with its source)."""
    if db.dialect() == "sqlite":
        sql = (
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        )
    else:
        sql = (
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        )
    names = [str(row["name"]) for row in await db.fetch(sql, [])]
    counts = {}
    for name in names:
        quoted = '"' + name.replace('"', '""') + '"'
        rows = await db.fetch(f"SELECT COUNT(*) AS n FROM {quoted}", [])
        counts[name] = int(rows[0]["n"])
    return counts
