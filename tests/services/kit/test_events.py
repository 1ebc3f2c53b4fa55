"""The event outbox and broker, the ledger's POINTS events, and the watches (services.kit.live,
services.grids.live, services.points.live)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from seed.demo import DEMO_COMMUNITY, DEMO_GRID
from services import grids, points
from services.errors import FellBehind, Forbidden, NotFound, Unauthenticated
from services.kit import events
from services.kit.events import Event, Topic, broker
from services.models import Area
from tests.conftest import Database, actor_for


async def until_subscribed(topic: Topic) -> None:
    """Let other tasks run until `topic` has a subscriber (a readiness wait, timing nothing:
    subscribing reads the database first, in a thread on SQLite, so on a busy machine a number
    of bare turns of the loop is not enough; it polls for up to 30 s)."""
    for _ in range(3000):
        if broker.subscriber_count(topic):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"nothing subscribed to {topic}")


def queued(subscription: events.Subscription) -> list[Event]:
    """Everything waiting in a subscription's queue (taken out)."""
    found = []
    while not subscription.queue.empty():
        found.append(subscription.queue.get_nowait())
    return found


async def test_events_go_out_when_the_block_succeeds() -> None:
    with broker.subscribe(Topic.NOTICE) as seen, broker.subscribe(Topic.POINTS) as other:
        async with events.collecting():
            events.emit(Topic.NOTICE, id=1, area_path="/1/")
            events.emit(Topic.NOTICE, id=1, area_path="/1/")  # the same hint twice goes once
            assert queued(seen) == []  # nothing before the block ends
        assert queued(seen) == [Event(Topic.NOTICE, {"id": 1, "area_path": "/1/"})]
        assert queued(other) == []


async def test_events_of_a_failed_block_are_dropped() -> None:
    with broker.subscribe(Topic.NOTICE) as seen:
        with pytest.raises(RuntimeError):
            async with events.collecting():
                events.emit(Topic.NOTICE, id=1, area_path="/1/")
                raise RuntimeError("the transaction rolled back")
        assert queued(seen) == []


async def test_nested_blocks_publish_with_the_outermost() -> None:
    with broker.subscribe(Topic.NOTICE) as seen:
        async with events.collecting():
            async with events.collecting():
                events.emit(Topic.NOTICE, id=1, area_path="/1/")
            assert queued(seen) == []  # handed to the outer block, not yet published
            with pytest.raises(RuntimeError):
                async with events.collecting():
                    events.emit(Topic.NOTICE, id=2, area_path="/1/")
                    raise RuntimeError("a savepoint rolled back")
            events.emit(Topic.NOTICE, id=3, area_path="/1/")
        assert [e.payload["id"] for e in queued(seen)] == [1, 3]


async def test_an_outer_failure_drops_what_inner_blocks_handed_up() -> None:
    with broker.subscribe(Topic.NOTICE) as seen:
        with pytest.raises(RuntimeError):
            async with events.collecting():
                async with events.collecting():
                    events.emit(Topic.NOTICE, id=1, area_path="/1/")
                raise RuntimeError("the enclosing transaction rolled back")
        assert queued(seen) == []


async def test_emit_outside_a_block_publishes_nothing() -> None:
    with broker.subscribe(Topic.NOTICE) as seen:
        events.emit(Topic.NOTICE, id=1, area_path="/1/")
        assert queued(seen) == []


async def test_a_full_queue_drops_the_oldest_and_counts_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(events, "QUEUE_SIZE", 3)
    with broker.subscribe(Topic.NOTICE) as seen:
        async with events.collecting():
            for i in range(5):
                events.emit(Topic.NOTICE, id=i, area_path="/1/")
        assert [e.payload["id"] for e in queued(seen)] == [2, 3, 4]
        assert seen.missed == 2


async def test_unsubscribing_ends_delivery() -> None:
    with broker.subscribe(Topic.NOTICE) as seen:
        assert broker.subscriber_count(Topic.NOTICE) >= 1
    before = broker.subscriber_count(Topic.NOTICE)
    async with events.collecting():
        events.emit(Topic.NOTICE, id=1, area_path="/1/")
    assert queued(seen) == []
    assert broker.subscriber_count(Topic.NOTICE) == before


# The ledger's events.


async def _award(username: str, person_username: str, *, key: str | None = None) -> int:
    admin = await actor_for(username)
    person = await actor_for(person_username)
    await points.award_points(
        actor=admin,
        person_id=person.person_id,
        rule_code="MONTHLY_MEETING",
        quantity=1,
        reason="例会",
        source=None,
        idempotency_key=key or uuid.uuid4().hex,
    )
    return person.person_id


async def test_a_posting_announces_each_person_account_it_touches(db: Database) -> None:
    with broker.subscribe(Topic.POINTS) as seen:
        async with events.collecting():
            person_id = await _award("community_admin", "volunteer")
        # The pool's side of the posting announces nothing: only the person's account.
        assert queued(seen) == [Event(Topic.POINTS, {"person_id": person_id})]


async def test_a_posting_rolled_back_announces_nothing(db: Database) -> None:
    volunteer = await actor_for("volunteer")
    before = await points.account_summary(person_id=volunteer.person_id)
    with broker.subscribe(Topic.POINTS) as seen:
        with pytest.raises(RuntimeError):
            async with events.collecting(), in_transaction():
                await _award("community_admin", "volunteer")
                raise RuntimeError("something after the posting failed")
        assert queued(seen) == []
    assert await points.account_summary(person_id=volunteer.person_id) == before


# the watches


async def _next(source: AsyncIterator[Any]) -> Any:
    return await asyncio.wait_for(anext(source), 30)


async def test_points_watch_needs_a_person(db: Database) -> None:
    with pytest.raises(Unauthenticated):
        await points.points_watch(actor=None)


async def test_points_watch_shows_the_account_then_each_change_of_its_own(db: Database) -> None:
    volunteer = await actor_for("volunteer")
    source = await points.points_watch(actor=volunteer)
    try:
        first = await _next(source)
        async with events.collecting():
            await _award("community_admin", "resident")  # someone else's points
        async with events.collecting():
            events.emit(Topic.POINTS, person_id=volunteer.person_id)  # a hint, nothing changed
        async with events.collecting():
            await _award("community_admin", "volunteer")
        # Neither the other person's award nor the empty hint showed: the next item is the award.
        changed = await _next(source)
        assert changed.balance == first.balance + 5
        assert changed.person_id == volunteer.person_id
    finally:
        await source.aclose()  # type: ignore[attr-defined]
    assert broker.subscriber_count(Topic.POINTS) == 0


async def _area(name: str) -> Area:
    return await Area.get(name=name)


async def test_area_watch_checks_scope_when_subscribing(db: Database) -> None:
    community = await _area(DEMO_COMMUNITY)
    with pytest.raises(Unauthenticated):
        await grids.area_watch(actor=None, topic=Topic.WORK_ORDER, under_id=community.id)
    with pytest.raises(Forbidden):
        await grids.area_watch(
            actor=await actor_for("resident"), topic=Topic.WORK_ORDER, under_id=community.id
        )
    with pytest.raises(Forbidden):  # a grid leader may not follow the whole community
        await grids.area_watch(
            actor=await actor_for("grid_leader"), topic=Topic.WORK_ORDER, under_id=community.id
        )
    with pytest.raises(NotFound):
        await grids.area_watch(
            actor=await actor_for("community_admin"), topic=Topic.WORK_ORDER, under_id=10**9
        )
    assert broker.subscriber_count() == 0


async def test_area_watch_yields_the_events_of_its_subtree(db: Database) -> None:
    community = await _area(DEMO_COMMUNITY)
    grid = await _area(DEMO_GRID)
    outside = await Area.exclude(path__startswith=grid.path).filter(level=grid.level).first()
    assert outside is not None
    source = await grids.area_watch(
        actor=await actor_for("grid_leader"), topic=Topic.WORK_ORDER, under_id=grid.id
    )
    try:
        waiting = asyncio.ensure_future(_next(source))  # subscribes on its first read
        await until_subscribed(Topic.WORK_ORDER)
        async with events.collecting():
            events.emit(Topic.WORK_ORDER, id=1, action="A", status="S", area_path=outside.path)
            events.emit(Topic.WORK_ORDER, id=2, action="A", status="S", area_path=community.path)
            events.emit(Topic.NOTICE, id=3, area_path=grid.path)
            events.emit(Topic.WORK_ORDER, id=4, action="A", status="S", area_path=grid.path + "9/")
        event = await waiting
        assert event.payload["id"] == 4
    finally:
        await source.aclose()  # type: ignore[attr-defined]


async def test_include_above_also_yields_events_of_the_areas_above(db: Database) -> None:
    community = await _area(DEMO_COMMUNITY)
    grid = await _area(DEMO_GRID)
    source = await grids.area_watch(
        actor=await actor_for("grid_leader"),
        topic=Topic.NOTICE,
        under_id=grid.id,
        include_above=True,
    )
    try:
        waiting = asyncio.ensure_future(_next(source))
        await until_subscribed(Topic.NOTICE)
        async with events.collecting():
            events.emit(Topic.NOTICE, id=1, area_path=community.path)
        assert (await waiting).payload["id"] == 1
    finally:
        await source.aclose()  # type: ignore[attr-defined]


async def test_a_lagging_area_watch_ends_with_fell_behind(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events, "QUEUE_SIZE", 2)
    grid = await _area(DEMO_GRID)
    source = await grids.area_watch(
        actor=await actor_for("grid_leader"), topic=Topic.WORK_ORDER, under_id=grid.id
    )
    try:
        waiting = asyncio.ensure_future(_next(source))
        await until_subscribed(Topic.WORK_ORDER)
        async with events.collecting():  # published at once: the reader had no turn between
            for i in range(4):
                events.emit(Topic.WORK_ORDER, id=i, action="A", status="S", area_path=grid.path)
        with pytest.raises(FellBehind):
            await waiting
    finally:
        await source.aclose()  # type: ignore[attr-defined]


async def test_subscribers_of_one_event_share_one_read_of_it() -> None:
    from services.kit.live import read_once

    event = Event(Topic.WORK_ORDER, {"id": 1})
    calls = 0
    started = asyncio.Event()
    release = asyncio.Event()

    async def read() -> str:
        nonlocal calls
        calls += 1
        started.set()
        await release.wait()
        return "the order"

    first = asyncio.ensure_future(read_once(event, "order", read))
    await started.wait()
    second = asyncio.ensure_future(read_once(event, "order", read))
    leaving = asyncio.ensure_future(read_once(event, "order", read))
    await asyncio.sleep(0)
    leaving.cancel()  # a subscriber that goes away does not cancel the others' read
    release.set()
    assert await first == await second == "the order"
    assert calls == 1
    # another event reads for itself
    assert await read_once(Event(Topic.WORK_ORDER, {"id": 1}), "order", read) == "the order"
    assert calls == 2
