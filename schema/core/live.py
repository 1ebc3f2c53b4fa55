"""Helpers for subscription resolvers: open a watch (checked at subscribe time), then deliver
each item read back with fresh loaders, for as long as the subscriber may still see it.

Wiring a subscription on the events of a subtree (the resolver is a coroutine that returns the
stream, so that a refusal is an `error` message answering `subscribe`):

    @strawberry.subscription(description="...")
    async def work_order_events(
        self, info: Info, under: Annotated[relay.GlobalID, strawberry.argument(description="Area.")]
    ) -> AsyncGenerator[WorkOrderEvent, None]:
        async def load(event: Event) -> WorkOrderEvent | None:
            ...  # read the order back for info.context.actor; None skips the event
        return await area_events(info, topic=Topic.WORK_ORDER, under=under, load=load)

A subscription outlives the token and the roles it started with, so before each delivery the
context is revalidated (token expiry; the actor re-read from the database every few seconds)
and the watch's own check runs again with the actor as they are now; while waiting for events,
a timer ends the stream when the token expires. Any of these ends the stream with a typed error
(UNAUTHENTICATED, FORBIDDEN), which the WebSocket handler sends as an `error` message.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TypeVar

from strawberry import relay

from schema.core.context import Info
from schema.core.ids import require_key
from services import grids
from services.kit import live
from services.kit.auth import require_actor
from services.kit.events import Event, Topic

T = TypeVar("T")
R = TypeVar("R")


async def deliver(
    info: Info, watch: live.Watch[T], load: Callable[[T], Awaitable[R | None] | R | None]
) -> AsyncGenerator[R, None]:
    """`load(item)` for every item of `watch` (skipping None), each with fresh loaders and the
    subscriber re-checked: a subscription lives for hours, and must neither serve rows cached
    hours ago nor someone whose token, session or role has gone since."""
    context = info.context
    # The next item is awaited in a task of its own, so that waiting for it can be interrupted
    # by the token check without cancelling (and so ending) the watch.
    pending: asyncio.Future[T] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(watch))
            done, _ = await asyncio.wait({pending}, timeout=context.seconds_to_token_check())
            if not done:
                context.check_token()
                continue
            ready, pending = pending, None
            try:
                item = ready.result()
            except StopAsyncIteration:
                return
            await context.revalidate()
            watch.check(require_actor(context.actor))
            context.refresh_loaders()
            value = load(item)
            if inspect.isawaitable(value):
                value = await value
            if value is not None:
                yield value
    finally:
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await pending
        await watch.aclose()


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
    admin/leader scope. `include_above` also delivers events about the areas above `under`.
    Ends with FORBIDDEN once `may_watch` no longer holds for the subscriber (roles re-read),
    with UNAUTHENTICATED once their token expires or their session ends."""
    await info.context.revalidate()  # the connection may be hours old
    watch = await grids.area_watch(
        actor=info.context.actor,
        topic=topic,
        under_id=require_key(under, "Area", "under"),
        may_watch=may_watch,
        include_above=include_above,
    )
    return deliver(info, watch, load)
