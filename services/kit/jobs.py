"""Periodic jobs: the runner. Which jobs there are is composed where the app is (api/jobs.py:
expiry of points lots and unclaimed holds, forgotten check-ins, work-order timers), since they
come from several domains and the kit imports none.

Each job is idempotent and safe on several instances at once, so every worker may run the loop.

Each job runs inside `events.collecting()`: what it changed is announced to live subscribers once
the job has finished without an error (a failed job announces nothing; subscribers see its
committed part on their next re-read).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from services.kit import events

logger = logging.getLogger("gridpoints.jobs")

Job = Callable[[], Awaitable[int]]
"""A periodic job: does what is due, returns how many things it changed."""


async def run_once(jobs: Mapping[str, Job]) -> dict[str, int]:
    """Run every job once; returns what each did."""
    done: dict[str, int] = {}
    for name, job in jobs.items():
        async with events.collecting():
            done[name] = await job()
    return done


async def run_forever(jobs: Mapping[str, Job], interval_seconds: int) -> None:
    """Run the jobs every `interval_seconds` until cancelled; a failed round is logged and the
    next one runs as planned (nothing a round did is lost: each lot and hold commits alone)."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            done = await run_once(jobs)
            if any(done.values()):
                logger.info("jobs: %s", done)
        except Exception:
            logger.exception("periodic jobs failed; retrying in %s s", interval_seconds)
