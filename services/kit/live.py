"""Live updates as a subscriber sees them: the watch, the pace check, the read shared by the
subscribers of an event.

The watches themselves live with their domains (services.grids.live.area_watch: the events of a
topic under an area; services.points.live.points_watch: one's own points account).

Each watch is opened in two steps. `*_watch` checks who may follow what, before anything is
delivered (a refusal is a typed error at subscribe time), and returns a `Watch`: an async
iterator that subscribes to the broker when it is first read and unsubscribes when it is
closed, and that keeps the check (`Watch.check`), to be run again with the subscriber as they
are now before each delivery: a subscription lives for hours, and a role or session that ended
in the meantime must end it. Events are hints (see services.kit.events): what a subscriber is
shown is read back after the event, so it is never older than the change it announces.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, Generic, TypeVar

from services.errors import FellBehind, Forbidden
from services.kit.auth import Actor
from services.kit.events import Event, Subscription

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


def check_pace(subscription: Subscription) -> None:
    """FellBehind when the subscription has missed events (its queue overflowed)."""
    # A stream of changes with holes in it would mislead: better to say so and let the client
    # re-read everything than to go on as if nothing had been missed.
    if subscription.missed:
        raise FellBehind(
            f"{subscription.missed} events were missed because they were read too slowly; "
            "subscribe again and re-read."
        )


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
