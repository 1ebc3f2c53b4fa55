"""Live points: the signed-in person's account as it is, then as it changes."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from services.kit.auth import Actor, require_actor
from services.kit.events import Topic, broker, next_event
from services.kit.live import Watch
from services.points.statements import AccountSummary, account_summary


async def points_watch(*, actor: Actor | None) -> Watch[AccountSummary]:
    """The actor's points account as it is, then again after every change of its balance or
    held points (Unauthenticated for anonymous callers)."""
    person_id = require_actor(actor).person_id
    return Watch(
        _account_changes(person_id),
        lambda current: current.person_id == person_id,
        "This points account is no longer yours.",
    )


async def _account_changes(person_id: int) -> AsyncGenerator[AccountSummary, None]:
    # Subscribed before the first read, so no change after that read goes unannounced.
    with broker.subscribe(Topic.POINTS) as subscription:
        last = await account_summary(person_id=person_id)
        yield last
        while True:
            event = await next_event(subscription)
            relevant = event.payload.get("person_id") == person_id or subscription.missed > 0
            # Whatever else is already waiting is covered by the one read below.
            while not subscription.queue.empty():
                queued = subscription.queue.get_nowait()
                relevant = relevant or queued.payload.get("person_id") == person_id
            # Dropped events may have been this person's: a re-read covers them.
            subscription.missed = 0
            if not relevant:
                continue
            current = await account_summary(person_id=person_id)
            if (current.balance, current.held) != (last.balance, last.held):
                last = current
                yield current
