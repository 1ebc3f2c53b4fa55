"""Import jobs and the real server's lifespan: a job a dead process left RUNNING is marked
FAILED (INTERRUPTED) when the server starts, and one received since is served to the end."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.enums import ImportKind, ImportStatus
from services.models import ImportJob, ImportRowError
from tests.api.servers import Served, opened
from tests.conftest import BACKENDS, _copy, _drop


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_job_left_running_by_a_dead_process_fails_at_startup(
    backend: str, templates: dict[tuple[str, bool], str], tmp_path: Path
) -> None:
    url, pg_name = await _copy(backend, templates[(backend, True)], tmp_path)
    handle = Served(backend=backend, url=url, log=tmp_path / "server.log", workers=1)
    try:
        # given a job a process that has gone left RUNNING, and one that had finished
        async with opened(url):
            left = await ImportJob.create(
                kind=ImportKind.HOUSEHOLDS,
                status=ImportStatus.RUNNING,
                rows_total=1000,
                created_at=datetime(2020, 1, 1, tzinfo=UTC),
            )
            done = await ImportJob.create(
                kind=ImportKind.PEOPLE,
                status=ImportStatus.SUCCEEDED,
                rows_total=3,
                rows_done=3,
                created_at=datetime(2020, 1, 1, tzinfo=UTC),
            )
        # when the server starts
        await handle.start()
        # then the one left running is FAILED with one INTERRUPTED problem; the other unchanged
        async with opened(url):
            failed = await ImportJob.get(id=left.id)
            assert (failed.status, failed.error_count) == (ImportStatus.FAILED, 1)
            assert failed.finished_at is not None
            problems = await ImportRowError.filter(job_id=left.id)
            assert [(p.row, p.code) for p in problems] == [(1, "INTERRUPTED")]
            assert (await ImportJob.get(id=done.id)).status is ImportStatus.SUCCEEDED
    finally:
        await handle.stop()
        await _drop(pg_name)
