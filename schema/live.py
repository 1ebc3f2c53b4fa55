"""Helpers for subscription resolvers: open a watch (checked at subscribe time), then deliver
each item read back with fresh loaders.

Wiring a subscription on the events of a subtree (the resolver is a coroutine that returns the
stream, so that a refusal is an `error` message answering `subscribe`):

    @strawberry.subscription(description="...")
    async def work_order_events(
        self, info: Info, under: Annotated[relay.GlobalID, strawberry.argument(description="Area.")]
    ) -> AsyncGenerator[WorkOrderEvent, None]:
        async def load(event: Event) -> WorkOrderEvent | None:
            ...  # read the order back for info.context.actor; None skips the event
        return await area_events(info, topic=Topic.WORK_ORDER, under=under, load=load)
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import TypeVar

from strawberry import relay

from schema.context import Info
from schema.ids import require_key
from services import live
from services.events import Event, Topic

T = TypeVar("T")
R = TypeVar("R")


async def deliver(
    info: Info, source: AsyncIterator[T], load: Callable[[T], Awaitable[R | None] | R | None]
) -> AsyncGenerator[R, None]:
    """`load(item)` for every item of `source` (skipping None), each with fresh loaders: a
    subscription lives for hours, and its context must not serve rows cached hours ago."""
    async with contextlib.aclosing(source):  # type: ignore[type-var]
        async for item in source:
            info.context.refresh_loaders()
            value = load(item)
            if inspect.isawaitable(value):
                value = await value
            if value is not None:
                yield value


async def area_events(
    info: Info,
    *,
    topic: Topic,
    under: relay.GlobalID,
    load: Callable[[Event], Awaitable[R | None] | R | None],
    may_watch: live.MayWatch = live.reads,
    include_above: bool = False,
) -> AsyncGenerator[R, None]:
    """The events of `topic` about areas under `under`, each turned into a GraphQL object by
    `load` (None skips it). Refused at subscribe time with a typed error (UNAUTHENTICATED,
    NOT_FOUND, FORBIDDEN) unless `may_watch(actor, area path)`; default: the actor's
    admin/leader scope. `include_above` also delivers events about the areas above `under`."""
    source = await live.area_watch(
        actor=info.context.actor,
        topic=topic,
        under_id=require_key(under, "Area", "under"),
        may_watch=may_watch,
        include_above=include_above,
    )
    return deliver(info, source, load)
