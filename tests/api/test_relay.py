"""Live updates across processes: two servers on one database, relayed through Redis; a change
made on one reaches a subscription held by the other; what `python -m api run-jobs` changes is
published on the channel too.

Runs when TEST_REDIS_URL is set (`.ci/run` sets it and starts Redis); then an unreachable Redis
fails the test instead of skipping it.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis

from services import workorders
from services.kit import clock
from services.models import WorkOrder
from tests.api.servers import Served
from tests.api.test_subscriptions import MY_POINTS, award, person_id, signed_in
from tests.conftest import BACKENDS, Database, _copy, _drop, actor_for, login

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set"),
]


@pytest.fixture(params=BACKENDS)
async def pair(
    request: pytest.FixtureRequest, templates: dict[tuple[str, bool], str], tmp_path: Path
) -> AsyncIterator[tuple[Served, Served]]:
    """Two servers (two workers each) on one copy of the demo, sharing a relay channel of
    their own."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert await client.ping(), "Redis at TEST_REDIS_URL does not answer"
    finally:
        await client.aclose()
    url, pg_name = await _copy(request.param, templates[(request.param, True)], tmp_path)
    settings = {
        "EVENTS_REDIS_URL": REDIS_URL,
        "EVENTS_CHANNEL": f"gridpoints-test:{uuid.uuid4().hex}",
        "JOBS_INTERVAL_SECONDS": "0",
    }
    servers = tuple(
        Served(
            backend=request.param,
            url=url,
            log=tmp_path / f"server-{name}.log",
            workers=2,
            settings=settings,
        )
        for name in ("a", "b")
    )
    try:
        for server in servers:
            await server.start()
        yield servers[0], servers[1]
    finally:
        for server in servers:
            await server.stop()
        await _drop(pg_name)


async def test_a_change_on_one_server_reaches_a_subscription_on_the_other(
    pair: tuple[Served, Served],
) -> None:
    first, second = pair
    async with first.client(2) as on_first, second.client(2) as on_second:
        admin = await login(on_first, "community_admin")
        volunteer = await login(on_second, "volunteer")
        volunteer_id = await person_id(on_second, volunteer)
        # given the volunteer following their points on the second server
        async with signed_in(second, {"token": volunteer}) as ws:
            await ws.subscribe("p", MY_POINTS)
            # (the first message, the account as it is, comes once the subscription is open)
            start = (await ws.receive())["payload"]["data"]["myPointsChanged"]
            # when the community admin awards them on the first server, twice (whichever worker
            # of the first server answers, the event crosses to the second)
            for n in (1, 2):
                await award(on_first, admin, volunteer_id)
                # then the new balance arrives over the relay
                changed = (await ws.receive())["payload"]["data"]["myPointsChanged"]
                assert changed["balance"] == start["balance"] + 5 * n
    for server in pair:
        assert "Traceback" not in server.log_text(), server.log_tail()


async def _next_message(pubsub: Any) -> dict[str, Any]:
    """The next message published on the channel (the subscription's own notices skipped)."""
    for _ in range(30):
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
        if message is not None:
            body: dict[str, Any] = json.loads(message["data"])
            return body
    pytest.fail("nothing was published on the channel")


async def test_run_jobs_publishes_what_the_jobs_changed(db: Database) -> None:
    # given an order nobody accepted in time
    order = await workorders.place_order(
        actor=await actor_for("resident"), category="WATER_ELECTRIC", description="水管漏水"
    )
    await WorkOrder.filter(id=order.id).update(accept_due=clock.now() - timedelta(days=1))
    channel = f"gridpoints-test:{uuid.uuid4().hex}"
    client = redis.Redis.from_url(REDIS_URL)
    try:
        async with client.pubsub() as pubsub:
            await pubsub.subscribe(channel)
            # when the jobs run from the command line (cron), with the servers' relay settings
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "api",
                "run-jobs",
                env={
                    **os.environ,
                    "DATABASE_URL": db.url,
                    "ENVIRONMENT": "test",
                    "EVENTS_REDIS_URL": REDIS_URL,
                    "EVENTS_CHANNEL": channel,
                },
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            out, _ = await process.communicate()
            assert process.returncode == 0, out.decode()
            assert "work_orders_escalated=1" in out.decode(), out.decode()
            # then the escalation was published on the channel before the command exited
            body = await _next_message(pubsub)
    finally:
        await client.aclose()
    assert [(e["topic"], e["payload"]["id"], e["payload"]["action"]) for e in body["events"]] == [
        ("WORK_ORDER", order.id, "ESCALATE")
    ]
