"""Imports from the API (批量导入) as background jobs: the upload is copied to a temporary file,
the job is created QUEUED and returned at once, and the import runs in an asyncio task of the
same process; the admin console polls the job (`get_import_job`) or follows it
(`import_job_watch`).

Every move of a running job (started, every PROGRESS_EVERY rows checked, every batch written,
finished) is published on the IMPORT_JOB topic of the event broker, so that followers in any
worker (through the relay) read it back. Rows checked are saved as they go; rows written only
with the write transaction, so the event carries the counts too.

A job is all-or-nothing, so one stopped half-way wrote nothing: the app's shutdown cancels the
running ones and marks them FAILED (INTERRUPTED). A process that died cannot: its jobs stay
QUEUED or RUNNING. The process running a job touches its heartbeat (`heartbeat_at`) as it goes,
and a sweep (`fail_interrupted_jobs`: at startup and as a periodic job, api.jobs) marks FAILED
(INTERRUPTED) the unfinished jobs whose heartbeat is older than STALE_AFTER: never one that
another worker or replica is running right now.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import shutil
import tempfile
from collections.abc import AsyncGenerator
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from tortoise.expressions import F, Q

from services.enums import ImportKind, ImportStatus
from services.imports.runs import LIVE, get_import_job, new_job, run_import
from services.kit import clock, events
from services.kit.auth import Actor, require_actor
from services.kit.events import Event, Topic, broker, next_event
from services.kit.live import Watch
from services.models import ImportJob, ImportRowError

logger = logging.getLogger("gridpoints.imports")

COPY_CHUNK = 1 << 20
ACTIVE = (ImportStatus.QUEUED, ImportStatus.RUNNING)

STALE_AFTER = timedelta(minutes=15)
"""How long an unfinished job may go without a heartbeat before the sweep takes its process for
gone. A running job beats at its start and every PROGRESS_EVERY rows checked (a fraction of a
second apart); its write phase, one transaction that cannot beat, takes seconds (100,000
households: ~10 s), far below this."""

INTERRUPTED = "INTERRUPTED"
INTERRUPTED_MESSAGE = "The service restarted during the import; nothing was written, run it again."
INTERNAL = "INTERNAL_ERROR"
INTERNAL_MESSAGE = "The import failed on the service's side; nothing was written."

_tasks: dict[int, asyncio.Task[None]] = {}
"""The running imports by job id: the strong references that keep their tasks alive."""


async def import_upload(
    *,
    actor: Actor | None,
    kind: ImportKind,
    source: BinaryIO,
    file_name: str,
    dry_run: bool = False,
) -> ImportJob:
    """Start importing an uploaded file (admins, into their subtrees): copied to a temporary
    file in chunks (never whole in memory), then run in the background; the job is returned
    QUEUED at once."""
    actor = require_actor(actor)
    handle, name = tempfile.mkstemp(prefix="gridpoints-import-", suffix=Path(file_name).suffix)
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as copy:
            shutil.copyfileobj(source, copy, length=COPY_CHUNK)
        job = await new_job(actor=actor, kind=kind, dry_run=dry_run, file_name=file_name)
    except BaseException:
        _remove(path)
        raise
    LIVE[job.id] = job
    task = asyncio.create_task(_run(actor, job, path), name=f"import-job-{job.id}")
    _tasks[job.id] = task
    # A done callback, not `_run`'s finally: it runs also for a task cancelled before its
    # coroutine started (which never enters the try).
    task.add_done_callback(functools.partial(_ended, job.id, path))
    return job


def _ended(job_id: int, path: Path, task: asyncio.Task[None]) -> None:
    """A job's task has ended, however: forget it and remove the upload's copy."""
    if _tasks.get(job_id) is task:
        del _tasks[job_id]
    LIVE.pop(job_id, None)
    _remove(path)


def _remove(path: Path) -> None:
    """The upload's copy gone (a local unlink: nothing worth a thread)."""
    path.unlink(missing_ok=True)


def running_task(job_id: int) -> asyncio.Task[None] | None:
    """The task running a job in this process (None when not running here)."""
    return _tasks.get(job_id)


async def stop_imports() -> None:
    """Cancel the imports running in this process and wait for them (app shutdown): each is
    marked FAILED with an INTERRUPTED problem (nothing of it was written)."""
    tasks = dict(_tasks)
    for task in tasks.values():
        task.cancel()
    await asyncio.gather(*tasks.values(), return_exceptions=True)
    # A task cancelled before it started never ran `_run`: its job is still QUEUED.
    for job_id in tasks:
        if await _fail(job_id, INTERRUPTED, INTERRUPTED_MESSAGE):
            _publish(job_id, await _saved(job_id))


def _stale(limit: datetime) -> Q:
    """Jobs whose last heartbeat (none yet: their creation) is older than `limit`."""
    return Q(heartbeat_at__lt=limit) | Q(heartbeat_at__isnull=True, created_at__lt=limit)


async def fail_interrupted_jobs() -> int:
    """Mark FAILED (INTERRUPTED) the jobs left QUEUED or RUNNING that are not running here and
    have had no heartbeat for STALE_AFTER: the process that ran them has gone. Each is announced
    to its followers, in any worker. Returns how many (the app's startup and a periodic job)."""
    limit = clock.now() - STALE_AFTER
    stale = await ImportJob.filter(_stale(limit), status__in=ACTIVE).only("id")
    marked = 0
    for job in stale:
        job_id = job.id
        if job_id not in _tasks and await _fail(
            job_id, INTERRUPTED, INTERRUPTED_MESSAGE, stale_before=limit
        ):
            marked += 1
            _publish(job_id, await _saved(job_id))
    return marked


async def _fail(
    job_id: int,
    code: str,
    message: str,
    *,
    unfinished_only: bool = True,
    stale_before: datetime | None = None,
) -> int:
    """Mark a job FAILED with one problem; with `unfinished_only`, 0 when it had finished
    already (the conditional UPDATE lets only one of several workers do it); with
    `stale_before`, 0 when it has had a heartbeat since (its process is alive after all)."""
    jobs = ImportJob.filter(id=job_id)
    if unfinished_only:
        jobs = jobs.filter(status__in=ACTIVE)
    if stale_before is not None:
        jobs = jobs.filter(_stale(stale_before))
    changed = await jobs.update(
        status=ImportStatus.FAILED,
        rows_done=F("rows_total"),
        created=0,
        updated=0,
        unchanged=0,
        error_count=1,
        finished_at=clock.now(),
    )
    if changed:
        await ImportRowError.create(job_id=job_id, row=1, column="", code=code, message=message)
    return int(changed)


async def _run(actor: Actor, job: ImportJob, path: Path) -> None:
    try:
        # Its own outbox (not the finished request's): what the import announces goes out when
        # it has ended without an error, after its transaction committed.
        async with events.collecting():
            await run_import(actor=actor, job=job, path=path, moved=_moved)
    except asyncio.CancelledError:
        await _fail(job.id, INTERRUPTED, INTERRUPTED_MESSAGE)
        raise
    except Exception:  # a bug: run_import saved the job FAILED; say so to its admin
        logger.exception("import job %s failed", job.id)
        await _fail(job.id, INTERNAL, INTERNAL_MESSAGE, unfinished_only=False)
    finally:
        # Forgotten before the last announcement, so that a follower's re-read gets the saved
        # outcome; the copy is removed by `_ended`.
        _tasks.pop(job.id, None)
        LIVE.pop(job.id, None)
        _publish(job.id, await _saved(job.id))


async def _saved(job_id: int) -> ImportJob | None:
    try:
        return await ImportJob.get_or_none(id=job_id)
    except Exception:  # the database went away (shutdown): the followers go with the process
        logger.exception("could not read import job %s back", job_id)
        return None


async def _moved(job: ImportJob, phase: str) -> None:
    # Rows checked are saved by run_import (with its heartbeat); rows written with the write
    # transaction only (all or nothing): the event carries them to the followers meanwhile.
    _publish(job.id, job)


def _publish(job_id: int, job: ImportJob | None) -> None:
    payload: dict[str, object] = {"id": job_id}
    if job is not None:
        payload |= {
            "status": job.status.value,
            "rows_total": job.rows_total,
            "rows_done": job.rows_done,
        }
    broker.publish([Event(Topic.IMPORT_JOB, payload)])


async def import_job_watch(*, actor: Actor | None, job_id: int) -> Watch[ImportJob]:
    """A job for the admin who ran it (NotFound for anyone else): as it is, then again at
    every move, until it has finished (the last one delivered is the finished job)."""
    await get_import_job(actor=actor, job_id=job_id)
    person_id = require_actor(actor).person_id
    return Watch(
        _job_moves(require_actor(actor), job_id),
        lambda current: current.person_id == person_id,
        "This import job is not yours.",
    )


async def _job_moves(
    actor: Actor, job_id: int
) -> AsyncGenerator[
    ImportJob, None
]:  # Subscribed before the first read, so no move after that read goes unannounced.
    with broker.subscribe(Topic.IMPORT_JOB) as subscription:
        job = await get_import_job(actor=actor, job_id=job_id)
        yield job
        while job.status in ACTIVE:
            event = await next_event(subscription)
            if event.payload.get("id") != job_id and not subscription.missed:
                continue
            subscription.missed = 0  # a re-read covers what was dropped
            job = await get_import_job(actor=actor, job_id=job_id)
            _ahead(job, event)
            yield job


def _ahead(job: ImportJob, event: Event) -> None:
    """Counts of a job running in another worker, ahead of what it saved (rows written)."""
    if job.status not in ACTIVE or event.payload.get("id") != job.id:
        return
    job.rows_total = max(job.rows_total, int(event.payload.get("rows_total", 0)))
    job.rows_done = max(job.rows_done, int(event.payload.get("rows_done", 0)))
