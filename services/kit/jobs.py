"""Periodic jobs: expire points lots and unclaimed redemption holds, close forgotten
check-ins of volunteer activities, escalate overdue work orders and auto-confirm resolved requests.

Each job is idempotent and safe on several instances at once (see services.points.expiry,
services.market.redemptions.expire_holds, services.volunteering.attendance.auto_check_out,
services.workorders.timers), so every worker may run the loop.

Each job runs inside `events.collecting()`: what it changed is announced to live subscribers once
the job has finished without an error (a failed job announces nothing; subscribers see its
committed part on their next re-read).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from services import market, points, volunteering, workorders
from services.kit import events

logger = logging.getLogger("gridpoints.jobs")


JOBS: dict[str, Callable[[], Awaitable[int]]] = {
    "expired_points": points.expire_lots,
    "expired_holds": market.expire_holds,
    "auto_checked_out": volunteering.auto_check_out,
    "work_orders_escalated": workorders.escalate_overdue,
    "work_orders_auto_confirmed": workorders.auto_confirm,
}


async def run_once() -> dict[str, int]:
    """Run every job once; returns what each did."""
    done: dict[str, int] = {}
    for name, job in JOBS.items():
        async with events.collecting():
            done[name] = await job()
    return done


async def run_forever(interval_seconds: int) -> None:
    """Run the jobs every `interval_seconds` until cancelled; a failed round is logged and the
    next one runs as planned (nothing a round did is lost: each lot and hold commits alone)."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            done = await run_once()
            if any(done.values()):
                logger.info("jobs: %s", done)
        except Exception:
            logger.exception("periodic jobs failed; retrying in %s s", interval_seconds)
