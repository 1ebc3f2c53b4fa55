"""Running an import (批量导入): validate every row first, then write all in one transaction
or nothing; a job records where it stands, the counts and the problems (row, column, code).

The same function serves the command line (`actor=None`: the system, no scope) and the API
(an admin, who imports only into the subtrees they administer).
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from services.enums import ImportKind, ImportStatus
from services.errors import DomainError, Forbidden, InvalidInput, NotFound
from services.imports.loading import (
    BATCH,
    AreaLoader,
    HouseholdLoader,
    Loader,
    PersonLoader,
    RoleLoader,
    RowConflict,
)
from services.imports.partners import PartnerLoader, PartnerResourceLoader
from services.imports.reading import BadFile, Row, RowError, read_table
from services.kit import clock, db
from services.kit.auth import Actor, require_actor
from services.kit.pagination import Page, Window, paginate
from services.models import ImportJob, ImportRowError

MAX_STORED_ERRORS = 10_000
"""A file's problems kept as rows (all are counted): a file with more is not worth reading
problem by problem."""

PROGRESS_EVERY = 1000
YIELD_EVERY = 100
"""Rows checked between two yields to the event loop: checking is synchronous work, and a
large file must not hold up the other requests of the process."""

LOADERS: dict[ImportKind, type[Loader]] = {
    ImportKind.AREAS: AreaLoader,
    ImportKind.HOUSEHOLDS: HouseholdLoader,
    ImportKind.PEOPLE: PersonLoader,
    ImportKind.ROLES: RoleLoader,
    ImportKind.PARTNERS: PartnerLoader,
    ImportKind.PARTNER_RESOURCES: PartnerResourceLoader,
}
"""The loader of each kind (every kind imports; `new_job` still refuses one without)."""

Progress = Callable[[str, int], None]
"""Told (phase "check" or "write", rows just done) as the rows go by."""

Moved = Callable[[ImportJob, str], Awaitable[None]]
"""Told the job whenever its counts moved on, with the phase: "start" (now RUNNING), "check"
(every PROGRESS_EVERY rows checked: `rows_total` grew) or "write" (every batch written or, dry,
counted: `rows_done` grew; inside the write transaction unless dry)."""

WRITE_CONFLICT = "CONFLICT"
UNIQUE_TAKEN = (
    "Something this file writes (a name, a number) was taken by another change while it was "
    "imported; nothing was written, run it again."
)

LIVE: dict[int, ImportJob] = {}
"""The jobs this process is running (services.imports.background), by id: their counts as they
are now, ahead of what is saved (write progress is saved only with the transaction)."""


def _batches(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


async def new_job(
    *, actor: Actor | None, kind: ImportKind, dry_run: bool, file_name: str = ""
) -> ImportJob:
    """A QUEUED job for a file about to be imported (admins only; the command line is the
    system)."""
    if actor is not None and not actor.admin_paths:
        raise Forbidden("Only admins import data.")
    if kind not in LOADERS:
        raise InvalidInput(f"{kind.value} cannot be imported yet.", field="kind")
    return await ImportJob.create(
        kind=kind,
        dry_run=dry_run,
        file_name=file_name[:200],
        actor_id=actor.person_id if actor else None,
        created_at=clock.now(),
    )


async def run_import(
    *,
    actor: Actor | None,
    job: ImportJob,
    path: Path,
    progress: Progress | None = None,
    moved: Moved | None = None,
) -> ImportJob:
    """Import the file at `path` for `job`: check every row, then (no problem, not dry) write
    all in one transaction. The job ends SUCCEEDED, DRY_RUN_DONE or FAILED with its problems.

    While it runs, `rows_total` counts the rows checked so far (`rows_done` stays 0), then
    `rows_done` the rows written (dry: counted); at the end both are the file's row count."""
    job.status = ImportStatus.RUNNING
    job.heartbeat_at = clock.now()
    await job.save(update_fields=["status", "heartbeat_at"])
    if moved:
        await moved(job, "start")
    loader = LOADERS[job.kind](actor)
    errors = _Errors()
    try:
        table = read_table(job.kind, path)
        errors.add(table.header_errors)
        if not errors.count:
            await loader.prepare()
            for row in table.rows:
                loader.check(row)
                errors.add(row.errors)
                job.rows_total += 1
                if job.rows_total % YIELD_EVERY == 0:
                    await asyncio.sleep(0)  # let the process serve other requests meanwhile
                if job.rows_total % PROGRESS_EVERY == 0:
                    await _beat(job)
                    if progress:
                        progress("check", PROGRESS_EVERY)
                    if moved:
                        await moved(job, "check")
            if progress:
                progress("check", job.rows_total % PROGRESS_EVERY)
            errors.add(await loader.finish_checks())
        if not errors.count:
            try:
                if await _write(loader, job, errors, path, progress, moved):
                    return job  # finished inside the write transaction
            except (DomainError, IntegrityError) as error:
                # Something changed between the checks and the write (a match committed the
                # quantity, a unit took the name): the file's problem, not a bug. The write
                # transaction rolled back: nothing was written.
                errors.add([_write_problem(error)])
    except BadFile as error:  # the file's problem, not ours; anything else is a bug and raises
        errors.add([RowError(error.row, "", "BAD_FILE", error.message)])
    except Exception:
        job.status = ImportStatus.FAILED
        job.finished_at = clock.now()
        await job.save()
        raise
    await _finish(job, loader, errors)
    return job


async def _beat(job: ImportJob) -> None:
    """Save the rows checked so far and that the job is alive (committed at once: checking runs
    outside any transaction), so the sweep of interrupted jobs leaves it alone."""
    job.heartbeat_at = clock.now()
    await ImportJob.filter(id=job.id).update(
        rows_total=job.rows_total, heartbeat_at=job.heartbeat_at
    )


def _write_problem(error: DomainError | IntegrityError) -> RowError:
    """The problem of a write refused by the database or a domain rule; a constraint other
    than a unique one is a bug and raises."""
    if isinstance(error, RowConflict):
        return RowError(error.row, error.column, WRITE_CONFLICT, error.message)
    if isinstance(error, DomainError):
        return RowError(1, "", WRITE_CONFLICT, error.message)
    text = str(error).lower()
    if "unique" not in text and "duplicate key" not in text:
        raise error
    return RowError(1, "", WRITE_CONFLICT, UNIQUE_TAKEN)


async def _finish(job: ImportJob, loader: Loader, errors: _Errors) -> None:
    """Save the job's outcome: its counts, status and problems. Inside the write transaction
    when it wrote, so that the data and the job's outcome commit together."""
    counts = loader.counts
    job.created, job.updated, job.unchanged = counts.created, counts.updated, counts.unchanged
    job.error_count = errors.count
    # A job swept as interrupted while it was in fact running (a stale heartbeat) has that
    # problem saved already: its own outcome replaces it. Its own problems are saved only here.
    await ImportRowError.filter(job_id=job.id).delete()
    if errors.count:
        job.status = ImportStatus.FAILED
        job.created = job.updated = job.unchanged = 0
        await ImportRowError.bulk_create(
            [
                ImportRowError(
                    job_id=job.id,
                    row=e.row,
                    column=e.column[:50],
                    code=e.code[:32],
                    message=e.message[:500],
                )
                for e in errors.stored()
            ],
            batch_size=BATCH,
        )
    else:
        job.status = ImportStatus.DRY_RUN_DONE if job.dry_run else ImportStatus.SUCCEEDED
    job.rows_done = job.rows_total
    job.finished_at = clock.now()
    await job.save()


class _Errors:
    """A file's problems, bounded: all counted, the first MAX_STORED_ERRORS - 1 kept (by row;
    rows come in file order, so these are the first rows' problems), then one more saying how
    many were left out ("and M more")."""

    def __init__(self) -> None:
        self.count = 0
        self.kept: list[RowError] = []

    def add(self, errors: list[RowError]) -> None:
        self.count += len(errors)
        room = MAX_STORED_ERRORS - 1 - len(self.kept)
        if room > 0:
            self.kept += errors[:room]

    def stored(self) -> list[RowError]:
        kept = sorted(self.kept, key=lambda e: e.row)
        left = self.count - len(kept)
        if left > 0:
            last = kept[-1].row if kept else 1
            kept.append(RowError(last, "", "MORE_ERRORS", f"… and {left} more problems."))
        return kept


# Any constant: the advisory lock that serializes imports on PostgreSQL.
IMPORT_LOCK = 16_2026


async def _take_write_lock(job: ImportJob) -> None:
    """Start the write transaction with a write (STYLE.md: on SQLite a transaction that reads
    first can fail with "database is locked"), which also takes SQLite's one write lock; on
    PostgreSQL a transaction-scoped advisory lock makes concurrent imports run one after the
    other. Either way the loader then re-reads what another import may have written since
    the checks (`Loader.refresh`)."""
    await db.execute("UPDATE import_job SET status = status WHERE id = ?", [job.id])
    if db.dialect() == "postgres":
        await db.fetch(f"SELECT pg_advisory_xact_lock({IMPORT_LOCK})", [])


async def _write(
    loader: Loader,
    job: ImportJob,
    errors: _Errors,
    path: Path,
    progress: Progress | None,
    moved: Moved | None,
) -> bool:
    """The second pass: the file read again (areas: the rows kept), written in batches in one
    transaction whose last statement saves the job's outcome (True: finished), or only counted
    for a dry run (False: to finish)."""
    if isinstance(loader, AreaLoader):
        batches: Iterator[list[Row]] = iter([loader.rows])
    else:
        batches = _batches(read_table(job.kind, path).rows, BATCH)
    if job.dry_run:
        for batch in batches:
            await loader.write(batch, dry_run=True)
            await _written(job, batch, progress, moved)
        return False
    async with in_transaction():
        await _take_write_lock(job)
        await loader.refresh()
        for batch in batches:
            await loader.write(batch, dry_run=False)
            await _written(job, batch, progress, moved)
        # Last: a cancellation (shutdown) after the commit finds the job finished, never one
        # that says "nothing was written" next to the rows it wrote.
        await _finish(job, loader, errors)
    return True


async def _written(
    job: ImportJob, batch: list[Row], progress: Progress | None, moved: Moved | None
) -> None:
    job.rows_done += len(batch)
    if progress:
        progress("write", len(batch))
    if moved:
        await moved(job, "write")


async def import_file(
    *,
    actor: Actor | None,
    kind: ImportKind,
    path: Path,
    dry_run: bool = False,
    file_name: str | None = None,
    progress: Progress | None = None,
) -> ImportJob:
    """Make a job for the file at `path` and run it to the end (command line, small files)."""
    job = await new_job(actor=actor, kind=kind, dry_run=dry_run, file_name=file_name or path.name)
    return await run_import(actor=actor, job=job, path=path, progress=progress)


async def get_import_job(*, actor: Actor | None, job_id: int) -> ImportJob:
    """A job, for the admin who ran it (NotFound for anyone else)."""
    actor = require_actor(actor)
    job = await ImportJob.get_or_none(id=job_id)
    if job is None or job.actor_id != actor.person_id:
        raise NotFound("No such import job.", field="id")
    # Running here: its counts as they are now (what is saved may lag behind), as a copy: the
    # run goes on changing its own, and a follower holding that one would see the outcome set
    # before it is committed (and take the job for finished before the outcome is announced).
    # Once it has an outcome, the saved row: its problems are saved with it.
    live = LIVE.get(job.id)
    if live is not None and live.status in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        return copy.copy(live)
    return job


async def import_errors(*, job: ImportJob, window: Window) -> Page[ImportRowError]:
    """The problems of a job, in file order (row by row)."""
    return await paginate(ImportRowError.filter(job_id=job.id), window)
