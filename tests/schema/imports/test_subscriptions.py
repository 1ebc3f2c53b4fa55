"""importJobUpdated through the schema (in-process): the runner follows a job from QUEUED
through its progress to the end, when the stream completes; another admin may not follow it."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

import pytest
from strawberry import relay
from strawberry.types.execution import PreExecutionError

from services import imports
from services.enums import ImportKind
from services.imports import background, runs
from services.models import ImportJob
from tests.conftest import Database, actor_for
from tests.schema.core.test_live import next_result, subscribe
from tests.services.imports.test_imports import household_rows

UPDATED = """
subscription Updated($id: ID!) {
  importJobUpdated(id: $id) { id status rowsTotal rowsDone created errorCount }
}
"""


def job_id(job: ImportJob) -> str:
    return str(relay.GlobalID("ImportJob", str(job.id)))


async def start(rows: int) -> ImportJob:
    out = io.StringIO()
    csv.writer(out).writerows(await household_rows(rows))
    return await imports.import_upload(
        actor=await actor_for("community_admin"),
        kind=ImportKind.HOUSEHOLDS,
        source=io.BytesIO(out.getvalue().encode("utf-8")),
        file_name="households.csv",
    )


class TestImportJobUpdated:
    async def test_the_runner_follows_the_job_to_its_end(
        self, db: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(runs, "PROGRESS_EVERY", 2)
        # the job waits at each saved check until the follower has been shown it, so that
        # every progress save is seen before the job moves on (ordering, not timing)
        shown_totals: set[int] = set()
        shown = asyncio.Event()
        moved = background._moved

        async def paced(job: ImportJob, phase: str) -> None:
            await moved(job, phase)
            while phase == "check" and job.rows_total not in shown_totals:
                shown.clear()
                await shown.wait()

        monkeypatch.setattr(background, "_moved", paced)
        job = await start(5)
        stream = await subscribe(UPDATED, await actor_for("community_admin"), id=job_id(job))
        seen: list[dict[str, Any]] = []
        try:
            while True:
                try:
                    result = await next_result(stream)
                except StopAsyncIteration:
                    break
                assert result.errors is None, result.errors
                seen.append(result.data["importJobUpdated"])
                shown_totals.add(seen[-1]["rowsTotal"])
                shown.set()
        finally:
            await stream.aclose()  # type: ignore[attr-defined]
        # first as it was, then its progress while checking, then finished: the stream ended
        assert seen[0]["id"] == job_id(job)
        assert seen[0]["status"] in ("QUEUED", "RUNNING")
        checking = [(j["rowsTotal"], j["rowsDone"]) for j in seen if j["status"] == "RUNNING"]
        assert {(2, 0), (4, 0)} <= set(checking), seen
        assert seen[-1] == {
            "id": job_id(job),
            "status": "SUCCEEDED",
            "rowsTotal": 5,
            "rowsDone": 5,
            "created": 5,
            "errorCount": 0,
        }
        assert [j["status"] for j in seen].count("SUCCEEDED") == 1
        assert imports.running_task(job.id) is None

    async def test_another_admin_may_not_follow_it(self, db: Database) -> None:
        job = await start(1)
        stream = await subscribe(UPDATED, await actor_for("street_admin"), id=job_id(job))
        result = await next_result(stream)
        assert isinstance(result, PreExecutionError)
        assert result.errors is not None
        assert result.errors[0].extensions == {"code": "NOT_FOUND", "field": "id"}
        await (imports.running_task(job.id) or asyncio.sleep(0))
