"""Events for live updates (GraphQL subscriptions): what changed, published after it committed.

Topics and payloads (plain JSON values, so that a broker across processes can carry them):
- WORK_ORDER  {"id": work order id, "action": timeline action, "status": status after it,
               "area_path": path of the area now handling the order; a transfer is also
               announced with the path of the area it left}
- NOTICE      {"id": notice id, "area_path": path of the area it was published to}
- POINTS      {"person_id": person whose account changed}
- IMPORT_JOB  {"id": import job id, and while the job exists "status", "rows_total",
               "rows_done": its counts as they are now (rows written are saved only when the
               import's transaction commits); published directly as a job moves on}

Services record events with `emit` while they work, inside `async with collecting():` around
their transaction; the events go out when the block ends without an error, that is after the
transaction committed, so a subscriber that reads the object back sees the change. An event is
a hint to re-read, never the data itself: a subscriber that reads something it has already seen
skips it. Outside `collecting()` (seeds, scripts) `emit` publishes nothing.

The broker delivers in-process (one asyncio queue per subscriber, bounded so that a slow
subscriber never holds up a writer: the oldest events are dropped and the subscriber is told),
and, with EVENTS_REDIS_URL set, to the other processes through services.kit.relay.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Topic(StrEnum):
    """What an event is about."""

    WORK_ORDER = "WORK_ORDER"
    NOTICE = "NOTICE"
    POINTS = "POINTS"
    IMPORT_JOB = "IMPORT_JOB"


@dataclass(frozen=True)
class Event:
    """One change: its topic and a JSON-able payload. `reads` holds what subscribers read back
    for it, shared by all of them (services.kit.live.read_once): every subscriber of a process is
    handed the same Event object."""

    topic: Topic
    payload: dict[str, Any]
    reads: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


QUEUE_SIZE = 1000


@dataclass(eq=False)
class Subscription:
    """A subscriber's queue of events; `missed` counts events dropped because it fell behind."""

    topic: Topic
    queue: asyncio.Queue[Event] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    missed: int = 0

    def offer(self, event: Event) -> None:
        """Queue an event without waiting; when full, the oldest one gives way."""
        while True:
            try:
                self.queue.put_nowait(event)
                return
            except asyncio.QueueFull:
                with contextlib.suppress(asyncio.QueueEmpty):
                    self.queue.get_nowait()
                    self.missed += 1


class Broker:
    """Publish/subscribe by topic: delivered in-process at once, and handed to the relay to
    other processes when one is set (services.kit.relay)."""

    def __init__(self) -> None:
        self._subscriptions: dict[Topic, set[Subscription]] = {topic: set() for topic in Topic}
        self.relay: Callable[[list[Event]], None] | None = None

    def publish(self, events: list[Event]) -> None:
        """Hand each event to every subscriber of its topic, here and in other processes."""
        self.deliver(events)
        if self.relay is not None and events:
            self.relay(events)

    def deliver(self, events: list[Event]) -> None:
        """Hand each event to every subscriber of its topic in this process."""
        for event in events:
            for subscription in tuple(self._subscriptions[event.topic]):
                subscription.offer(event)

    @contextlib.contextmanager
    def subscribe(self, topic: Topic) -> Iterator[Subscription]:
        """A subscription for as long as the block runs."""
        subscription = Subscription(topic)
        self._subscriptions[topic].add(subscription)
        try:
            yield subscription
        finally:
            self._subscriptions[topic].discard(subscription)

    def subscriber_count(self, topic: Topic | None = None) -> int:
        """How many subscriptions are open (on one topic, or on all)."""
        topics = [topic] if topic else list(Topic)
        return sum(len(self._subscriptions[t]) for t in topics)


broker = Broker()

_outbox: contextvars.ContextVar[list[Event] | None] = contextvars.ContextVar(
    "gridpoints_event_outbox", default=None
)


def emit(topic: Topic, **payload: Any) -> None:
    """Record an event to publish when the enclosing `collecting()` block succeeds."""
    outbox = _outbox.get()
    if outbox is not None:
        outbox.append(Event(topic, payload))


@contextlib.asynccontextmanager
async def collecting() -> AsyncIterator[list[Event]]:
    """Collect the events emitted inside the block. When the block ends without an error they
    are published (once each), or handed to the enclosing block, which publishes them when it
    succeeds in turn; when it ends with an error (its transaction rolled back) they are dropped."""
    outer = _outbox.get()
    outbox: list[Event] = []
    token = _outbox.set(outbox)
    try:
        yield outbox
    finally:
        _outbox.reset(token)
    if outer is not None:
        outer.extend(outbox)
        return
    unique: dict[str, Event] = {}
    for event in outbox:
        unique.setdefault(repr((event.topic, sorted(event.payload.items()))), event)
    broker.publish(list(unique.values()))


async def next_event(subscription: Subscription) -> Event:
    """The subscriber's next event (waits for one)."""
    return await subscription.queue.get()
