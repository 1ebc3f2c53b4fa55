"""Live updates as a subscriber sees them: the events of a subtree, and one's own points account.

Each watch is opened in two steps. `*_watch` checks who may follow what, before anything is
delivered (a refusal is a typed error at subscribe time), and returns a `Watch`: an async
iterator that subscribes to the broker when it is first read and unsubscribes when it is
closed, and that keeps the check (`Watch.check`), to be run again with the subscriber as they
are now before each delivery: a subscription lives for hours, and a role or session that ended
in the meantime must end it. Events are hints (see services.kit.events): what a subscriber is shown
is read back after the event, so it is never older than the change it announces.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, Generic, TypeVar

from services import grids
from services.errors import FellBehind, Forbidden
from services.kit.auth import Actor, require_actor
from services.kit.events import Event, Subscription, Topic, broker, next_event
from services.kit.paths import is_under
from services.points import AccountSummary, account_summary

MayWatch = Callable[[Actor, str], bool]
"""Whether an actor may follow the events of the subtree at an area path."""

T = TypeVar("T")


class Watch(Generic[T]):
    """An open watch: the async iterator of what it delivers, and the check of who may still
    follow it."""

    def __init__(
        self, items: AsyncGenerator[T, None], allows: Callable[[Actor], bool], refusal: str
    ) -> None:
        self._items = items
        self._allows = allows
        self._refusal = refusal

    def __aiter__(self) -> Watch[T]:
        return self

    async def __anext__(self) -> T:
        return await anext(self._items)

    async def aclose(self) -> None:
        """Stop watching (unsubscribes from the broker)."""
        await self._items.aclose()

    def check(self, actor: Actor) -> None:
        """Forbidden unless `actor` (as re-read now) may still follow this watch."""
        if not self._allows(actor):
            raise Forbidden(self._refusal, field="under")


def reads(actor: Actor, path: str) -> bool:
    """The default scope: admins and grid/micro-grid leaders, in the subtrees they hold."""
    return actor.reads(path)


def concerns(event: Event, path: str, *, include_above: bool = False) -> bool:
    """Is the event about an area inside the subtree at `path` (or, with `include_above`, about
    an area above it: a notice published to the district reaches every community in it)?"""
    area_path = event.payload.get("area_path")
    if not isinstance(area_path, str):
        return False
    return is_under(area_path, path) or (include_above and is_under(path, area_path))


async def area_watch(
    *,
    actor: Actor | None,
    topic: Topic,
    under_id: int,
    may_watch: MayWatch = reads,
    include_above: bool = False,
) -> Watch[Event]:
    """The events of `topic` under an area, once the actor may follow them there (Unauthenticated,
    NotFound or Forbidden otherwise); an iterator that ends with FellBehind if it lags."""
    watcher = require_actor(actor)
    area = await grids.get_area(area_id=under_id)
    if not may_watch(watcher, area.path):
        raise Forbidden("You may not follow events outside the areas you work in.", field="under")
    return Watch(
        _area_events(topic, area.path, include_above),
        lambda current: may_watch(current, area.path),
        "You may no longer follow the events of this area (your roles there have changed); "
        "subscribe again where you work now.",
    )


async def _area_events(topic: Topic, path: str, include_above: bool) -> AsyncGenerator[Event, None]:
    with broker.subscribe(topic) as subscription:
        while True:
            event = await next_event(subscription)
            _check_pace(subscription)
            if concerns(event, path, include_above=include_above):
                yield event


def _check_pace(subscription: Subscription) -> None:
    # A stream of changes with holes in it would mislead: better to say so and let the client
    # re-read everything than to go on as if nothing had been missed.
    if subscription.missed:
        raise FellBehind(
            f"{subscription.missed} events were missed because they were read too slowly; "
            "subscribe again and re-read."
        )


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


async def read_once(event: Event, key: str, read: Callable[[], Awaitable[Any]]) -> Any:
    """What `read()` returns for this event, read once for all its subscribers (the first one
    starts the read, the others wait for it): an order dispatched to a micro-grid reaches its
    leader, its grid leader, the community's admins..., and each would otherwise read the same
    row again. Only for data that does not depend on the subscriber; what they may see of it is
    checked per subscriber."""
    shared = event.reads.get(key)
    if shared is None:
        shared = asyncio.ensure_future(read())
        event.reads[key] = shared
    # Shielded: a subscriber that goes away must not cancel the read the others wait for.
    return await asyncio.shield(shared)
