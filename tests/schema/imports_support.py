"""Import jobs over GraphQL in tests: `importData` returns a QUEUED job at once; these wait for
it to finish by polling `importJob`, as the admin console does."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.conftest import gql

JOB_FIELDS = (
    "id kind status dryRun rowsTotal rowsDone created updated unchanged errorCount "
    "errors(first: 10) { totalCount edges { node { row column code message } } }"
)
FINISHED = ("SUCCEEDED", "DRY_RUN_DONE", "FAILED")
POLLS = 4000  # a bound, not a timing claim: a job that never ends fails the test
POLL_SECONDS = 0.005


async def wait_for_job(
    client: httpx.AsyncClient, token: str, job_id: str, fields: str = JOB_FIELDS
) -> dict[str, Any]:
    """The job once it has finished (SUCCEEDED, DRY_RUN_DONE or FAILED), read by its runner."""
    query = f"query ($id: ID!) {{ importJob(id: $id) {{ status {fields} }} }}"
    job: dict[str, Any] | None = None
    for _ in range(POLLS):
        body = await gql(client, query, {"id": job_id}, token=token)
        job = body["data"]["importJob"]
        assert job is not None, body
        if job["status"] in FINISHED:
            return job
        await asyncio.sleep(POLL_SECONDS)
    raise AssertionError(f"import job {job_id} has not finished: {job}")
