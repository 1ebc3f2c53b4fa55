"""Imports from the API as background jobs (services.imports.background): the job comes back
QUEUED before any row is read and ends on its own; its progress is saved and announced as it
goes; checking a large file leaves the event loop to others; a job cut short by a shutdown or a
dead process ends FAILED (INTERRUPTED) with nothing written; the upload's copy is removed."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from api.jobs import JOBS
from services import imports
from services.enums import ImportKind, ImportStatus
from services.errors import Forbidden
from services.imports import background, runs
from services.kit import clock
from services.kit.events import Event, Topic, broker
from services.kit.jobs import run_once
from services.kit.pagination import Window
from services.models import Household, ImportJob, ImportRowError
from tests.conftest import Database, actor_for
from tests.services.imports.test_imports import household_rows, write_csv


@pytest.fixture(autouse=True)
def _temporary_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The uploads' copies go to the test's own folder, to see them removed."""
    folder = tmp_path / "uploads"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def leftovers(folder: Path) -> list[str]:
    return os.listdir(folder)


def csv_bytes(rows: list[list[str]]) -> io.BytesIO:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return io.BytesIO(out.getvalue().encode("utf-8"))


async def start(rows: list[list[str]], *, dry_run: bool = False) -> ImportJob:
    return await imports.import_upload(
        actor=await actor_for("community_admin"),
        kind=ImportKind.HOUSEHOLDS,
        source=csv_bytes(rows),
        file_name="households.csv",
        dry_run=dry_run,
    )


async def polled_while_counting(job: ImportJob) -> ImportJob:
    """The job as its admin's poll reads it once it has counted some rows (still running)."""
    admin = await actor_for("community_admin")
    for _ in range(100_000):
        read = await imports.get_import_job(actor=admin, job_id=job.id)
        if read.rows_total:
            return read
        await asyncio.sleep(0)
    raise AssertionError("the job counted no rows")


async def finished(job: ImportJob) -> ImportJob:
    """The job once its task has ended, as saved."""
    task = imports.running_task(job.id)
    if task is not None:
        await task
    return await ImportJob.get(id=job.id)


class TestImportUpload:
    async def test_the_job_is_queued_at_once_then_succeeds_on_its_own(
        self, db: Database, _temporary_dir: Path
    ) -> None:
        count = await Household.all().count()
        # when an admin uploads three households
        job = await start(await household_rows(3))
        # then the job comes back QUEUED, nothing read yet, its copy of the file waiting
        assert (job.status, job.rows_total, job.rows_done) == (ImportStatus.QUEUED, 0, 0)
        assert imports.running_task(job.id) is not None
        assert len(leftovers(_temporary_dir)) == 1
        # and it ends SUCCEEDED with every row done, the copy removed
        done = await finished(job)
        assert (done.status, done.rows_total, done.rows_done, done.created) == (
            ImportStatus.SUCCEEDED,
            3,
            3,
            3,
        )
        assert done.finished_at is not None
        assert await Household.all().count() == count + 3
        assert imports.running_task(job.id) is None
        assert leftovers(_temporary_dir) == []

    async def test_a_failed_job_lists_its_problems_page_by_page(self, db: Database) -> None:
        rows = await household_rows(3)
        rows[1][1] = rows[2][1] = "NOPE"  # two rows name a community that is not there
        count = await Household.all().count()
        done = await finished(await start(rows))
        assert (done.status, done.error_count, done.rows_done) == (ImportStatus.FAILED, 2, 3)
        first = await imports.import_errors(job=done, window=Window(first=1))
        assert [(e.row, e.code) for e in first.items] == [(2, "NOT_FOUND")]
        assert first.has_next
        assert await Household.all().count() == count

    async def test_one_not_an_admin_starts_nothing(
        self, db: Database, _temporary_dir: Path
    ) -> None:
        jobs = await ImportJob.all().count()
        with pytest.raises(Forbidden):
            await imports.import_upload(
                actor=await actor_for("volunteer"),
                kind=ImportKind.HOUSEHOLDS,
                source=csv_bytes(await household_rows(1)),
                file_name="households.csv",
            )
        assert await ImportJob.all().count() == jobs
        assert leftovers(_temporary_dir) == []

    async def test_an_unexpected_failure_is_logged_and_told_to_the_admin(
        self, db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        def broken(*args: object, **kwargs: object) -> object:
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(runs, "read_table", broken)
        with caplog.at_level(logging.ERROR, "gridpoints.imports"):
            done = await finished(await start(await household_rows(1)))
        assert (done.status, done.error_count) == (ImportStatus.FAILED, 1)
        assert [(e.code, e.row) for e in await ImportRowError.filter(job_id=done.id)] == [
            (background.INTERNAL, 1)
        ]
        assert f"import job {done.id} failed" in caplog.text


class TestProgress:
    async def test_counts_are_saved_and_announced_as_the_job_goes(
        self, db: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(runs, "PROGRESS_EVERY", 2)
        saved: list[tuple[int, int]] = []
        moved = background._moved

        async def watched(job: ImportJob, phase: str) -> None:
            await moved(job, phase)
            if phase == "check":  # what a poller now reads from the database
                row = await ImportJob.get(id=job.id)
                saved.append((row.rows_total, row.rows_done))

        monkeypatch.setattr(background, "_moved", watched)
        with broker.subscribe(Topic.IMPORT_JOB) as subscription:
            job = await finished(await start(await household_rows(5)))
            announced: list[Event] = []
            while not subscription.queue.empty():
                announced.append(subscription.queue.get_nowait())
        # rows checked are saved every PROGRESS_EVERY rows, rowsDone staying 0 while checking
        assert saved == [(2, 0), (4, 0)]
        moves = [
            (e.payload["status"], e.payload["rows_total"], e.payload["rows_done"])
            for e in announced
            if e.payload["id"] == job.id
        ]
        # started, two checks saved, one batch written, finished
        assert moves == [
            ("RUNNING", 0, 0),
            ("RUNNING", 2, 0),
            ("RUNNING", 4, 0),
            ("RUNNING", 5, 5),
            ("SUCCEEDED", 5, 5),
        ]

    async def test_checking_a_large_file_lets_other_tasks_run(
        self, db: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # no progress saves (they would yield too): only the checking's own yields are left
        monkeypatch.setattr(runs, "PROGRESS_EVERY", 10**9)
        monkeypatch.setattr(runs, "YIELD_EVERY", 1)
        total = 300
        job = await start(await household_rows(total))
        # wait (turn by turn) until the job has checked its first row
        for _ in range(100_000):
            live = runs.LIVE.get(job.id)
            if live is not None and live.rows_total:
                break
            await asyncio.sleep(0)
        else:
            raise AssertionError("the job never started checking")
        # then this task keeps being served while the rows are checked: it sees them go by
        seen = []
        for _ in range(3):
            seen.append(live.rows_total)
            await asyncio.sleep(0)
        assert 0 < seen[0] < seen[1] < seen[2] < total
        assert live.rows_done == 0
        # and a database read is served meanwhile
        assert await Household.all().count() > 0
        done = await finished(job)
        assert (done.status, done.rows_total, done.rows_done) == (
            ImportStatus.SUCCEEDED,
            total,
            total,
        )

    async def test_a_poll_reads_the_live_counts_of_a_job_running_here(
        self, db: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(runs, "YIELD_EVERY", 1)
        job = await start(await household_rows(50))
        read = await polled_while_counting(job)
        assert read.status is ImportStatus.RUNNING
        assert 0 < read.rows_total <= 50
        await finished(job)

    async def test_what_a_poll_read_stays_as_it_was_while_the_job_goes_on(
        self, db: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # A follower holding the run's own object saw SUCCEEDED set before the commit and its
        # announcement, and ended its stream on a RUNNING event (the flaky subscription test).
        monkeypatch.setattr(runs, "YIELD_EVERY", 1)
        job = await start(await household_rows(50))
        read = await polled_while_counting(job)
        counted = read.rows_total
        the_runs_own = read is runs.LIVE.get(job.id)
        assert (await finished(job)).status is ImportStatus.SUCCEEDED
        assert not the_runs_own
        assert (read.status, read.rows_total) == (ImportStatus.RUNNING, counted)


class TestInterrupted:
    async def test_a_shutdown_fails_the_running_job_and_writes_nothing(
        self, db: Database, _temporary_dir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(runs, "YIELD_EVERY", 1)
        count = await Household.all().count()
        job = await start(await household_rows(200))
        for _ in range(100_000):
            if job.id in runs.LIVE and runs.LIVE[job.id].rows_total:
                break
            await asyncio.sleep(0)
        # when the app shuts down with the job checking
        await imports.stop_imports()
        # then it is FAILED with one INTERRUPTED problem, nothing written, its copy removed
        done = await ImportJob.get(id=job.id)
        assert (done.status, done.error_count, done.created) == (ImportStatus.FAILED, 1, 0)
        [problem] = await ImportRowError.filter(job_id=job.id)
        assert (problem.code, problem.message) == (
            "INTERRUPTED",
            "The service restarted during the import; nothing was written, run it again.",
        )
        assert await Household.all().count() == count
        assert imports.running_task(job.id) is None
        assert leftovers(_temporary_dir) == []

    async def test_a_task_cancelled_before_it_started_is_cleaned_up(
        self, db: Database, _temporary_dir: Path
    ) -> None:
        count = await Household.all().count()
        # when the app shuts down before the job's task had its first turn
        job = await start(await household_rows(2))
        await imports.stop_imports()
        # then it is forgotten, its copy removed, and it is FAILED (INTERRUPTED), not QUEUED
        assert imports.running_task(job.id) is None
        assert job.id not in runs.LIVE
        assert leftovers(_temporary_dir) == []
        done = await ImportJob.get(id=job.id)
        assert (done.status, done.error_count) == (ImportStatus.FAILED, 1)
        assert [p.code for p in await ImportRowError.filter(job_id=job.id)] == ["INTERRUPTED"]
        assert await Household.all().count() == count

    async def test_a_cancellation_at_the_final_save_leaves_data_and_outcome_agreeing(
        self, db: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        count = await Household.all().count()
        save = ImportJob.save

        async def cancelled_at_success(self: ImportJob, *args: Any, **kwargs: Any) -> None:
            if self.status is ImportStatus.SUCCEEDED:
                raise asyncio.CancelledError  # a shutdown landing at the job's last save
            await save(self, *args, **kwargs)

        monkeypatch.setattr(ImportJob, "save", cancelled_at_success)
        # when the job is cancelled as it saves its outcome, the rows all written
        job = await start(await household_rows(3))
        task = imports.running_task(job.id)
        assert task is not None
        await asyncio.gather(task, return_exceptions=True)
        # then "nothing was written" is true: the rows went with the outcome
        done = await ImportJob.get(id=job.id)
        assert done.status is ImportStatus.FAILED
        [problem] = await ImportRowError.filter(job_id=job.id)
        assert problem.code == "INTERRUPTED"
        assert await Household.all().count() == count


class TestSweep:
    async def test_only_jobs_without_a_recent_heartbeat_are_failed_and_announced(
        self, db: Database
    ) -> None:
        admin = await actor_for("community_admin")
        # given, 20 minutes ago, a job left QUEUED and two RUNNING ones
        clock.freeze(clock.now())
        begun = clock.now()
        queued = await runs.new_job(actor=admin, kind=ImportKind.HOUSEHOLDS, dry_run=False)
        gone = await runs.new_job(actor=admin, kind=ImportKind.PEOPLE, dry_run=True)
        alive = await runs.new_job(actor=admin, kind=ImportKind.PEOPLE, dry_run=True)
        await ImportJob.filter(id__in=[gone.id, alive.id]).update(
            status=ImportStatus.RUNNING, rows_total=7, heartbeat_at=begun
        )
        ended = await finished(await start(await household_rows(1)))
        # and one of the running ones (another worker's) beat 5 minutes ago, a job was
        # received 1 minute ago
        clock.freeze(begun + timedelta(minutes=15))
        await ImportJob.filter(id=alive.id).update(heartbeat_at=clock.now())
        clock.freeze(begun + timedelta(minutes=19))
        recent = await runs.new_job(actor=admin, kind=ImportKind.HOUSEHOLDS, dry_run=False)
        clock.freeze(begun + timedelta(minutes=20))
        # when the sweep runs (as the periodic jobs run it)
        with broker.subscribe(Topic.IMPORT_JOB) as subscription:
            assert await run_once({"sweep": JOBS["import_jobs_interrupted"]}) == {"sweep": 2}
            announced = [subscription.queue.get_nowait() for _ in range(2)]
        # then the two without a heartbeat for STALE_AFTER are FAILED (INTERRUPTED), announced
        for job in (queued, gone):
            read = await ImportJob.get(id=job.id)
            assert (read.status, read.error_count, read.finished_at) == (
                ImportStatus.FAILED,
                1,
                clock.now(),
            )
            problems = await ImportRowError.filter(job_id=job.id)
            assert [p.code for p in problems] == ["INTERRUPTED"]
        assert sorted(int(e.payload["id"]) for e in announced) == sorted([queued.id, gone.id])
        assert {e.payload["status"] for e in announced} == {"FAILED"}
        # and the one another worker runs, the finished one and the recent one are left alone
        assert (await ImportJob.get(id=alive.id)).status is ImportStatus.RUNNING
        assert (await ImportJob.get(id=ended.id)).status is ImportStatus.SUCCEEDED
        assert (await ImportJob.get(id=recent.id)).status is ImportStatus.QUEUED
        assert await imports.fail_interrupted_jobs() == 0

    async def test_a_running_job_beats_and_one_swept_meanwhile_keeps_its_own_outcome(
        self, db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.setattr(runs, "PROGRESS_EVERY", 1)
        clock.freeze(clock.now())
        count = await Household.all().count()
        path = write_csv(tmp_path / "h.csv", await household_rows(3))
        job = await runs.new_job(actor=None, kind=ImportKind.HOUSEHOLDS, dry_run=False)
        beats = []

        async def moved(moving: ImportJob, phase: str) -> None:
            if phase != "check":
                return
            saved = await ImportJob.get(id=moving.id)
            beats.append((saved.rows_total, saved.heartbeat_at == clock.now()))
            if moving.rows_total == 1:
                # a sweep elsewhere takes it for gone (its process stalled past STALE_AFTER)
                clock.freeze(clock.now() + background.STALE_AFTER + timedelta(seconds=1))
                assert await imports.fail_interrupted_jobs() == 1

        # when the job runs, swept after its first row
        done = await runs.run_import(actor=None, job=job, path=path, moved=moved)
        # then every progress save touched its heartbeat
        assert beats == [(1, True), (2, True), (3, True)]
        # and it ends with its own outcome: rows written, no stray INTERRUPTED problem
        read = await ImportJob.get(id=done.id)
        assert (read.status, read.created, read.error_count) == (ImportStatus.SUCCEEDED, 3, 0)
        assert await ImportRowError.filter(job_id=job.id).count() == 0
        assert await Household.all().count() == count + 3
