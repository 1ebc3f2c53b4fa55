"""Live updates of the territory: the events of a topic under an area, for those who may follow
them there (the watch itself: services.kit.live)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from services.errors import Forbidden
from services.grids.areas import get_area
from services.kit.auth import Actor, require_actor
from services.kit.events import Event, Topic, broker, next_event
from services.kit.live import MayWatch, Watch, check_pace, reads
from services.kit.paths import is_under


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
    area = await get_area(area_id=under_id)
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
            check_pace(subscription)
            if concerns(event, path, include_above=include_above):
                yield event
