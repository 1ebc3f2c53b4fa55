"""Live-update events across processes and hosts, through Redis pub/sub.

With several workers (or hosts) a change made in one process must reach the subscribers of
every other. Each process publishes the events it collected (services.kit.events) to one Redis
channel and listens on it; an event from another process is handed to its local subscribers,
its own are skipped (they were delivered locally at once, so one slow or missing Redis never
holds up a local subscriber, nor a mutation, which has committed by then).

Why Redis and not PostgreSQL LISTEN/NOTIFY: it works the same whether the database is SQLite
(several workers on one host) or PostgreSQL, and a listener does not hold a database
connection of its own in every worker. Events are hints that subscribers re-read, so a message
lost while Redis restarts costs a late update, never a wrong one; the listener reconnects by
itself. Off when EVENTS_REDIS_URL is empty (one process).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from typing import Any

import redis.asyncio as redis
from prometheus_client import Counter

from services.kit.events import Event, Topic, broker

logger = logging.getLogger("gridpoints.events")

RELAYED = Counter(
    "gridpoints_events_relayed_total",
    "Live-update events sent to or received from other processes",
    ["direction"],
)
RELAY_ERRORS = Counter(
    "gridpoints_events_relay_errors_total", "Failures talking to the event relay", ["stage"]
)
RECONNECT_SECONDS = 1.0


class RedisRelay:
    """Publishes this process's events to a Redis channel and delivers the others' locally."""

    def __init__(self, url: str, channel: str) -> None:
        self.url = url
        self.channel = channel
        self.origin = uuid.uuid4().hex
        self._client: redis.Redis | None = None
        self._listener: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self.listening = asyncio.Event()

    async def start(self, *, listen: bool = True) -> None:
        """Connect and start listening (returns once subscribed, or after a first failure,
        in which case the listener keeps trying in the background). `listen=False` only
        publishes: for a process without subscribers (`python -m api run-jobs`)."""
        self._client = redis.Redis.from_url(self.url)
        broker.relay = self.send
        if not listen:
            return
        self._listener = asyncio.create_task(self._listen(), name="gridpoints-event-relay")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.listening.wait(), timeout=5)

    async def stop(self, *, grace_seconds: float = 2) -> None:
        """Stop listening and sending (pending sends get up to `grace_seconds` to finish)."""
        if broker.relay == self.send:
            broker.relay = None
        if self._sending:
            await asyncio.wait(self._sending, timeout=grace_seconds)
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        if self._client is not None:
            await self._client.aclose()

    def send(self, events: list[Event]) -> None:
        """Publish events in the background (the caller has committed and must not wait)."""
        message = json.dumps(
            {
                "origin": self.origin,
                "events": [{"topic": e.topic.value, "payload": e.payload} for e in events],
            },
            separators=(",", ":"),
        )
        task = asyncio.get_running_loop().create_task(self._publish(message, len(events)))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _publish(self, message: str, count: int) -> None:
        assert self._client is not None
        try:
            await self._client.publish(self.channel, message)
            RELAYED.labels("sent").inc(count)
        except Exception:
            RELAY_ERRORS.labels("publish").inc()
            logger.warning("could not relay %s events to other processes", count, exc_info=True)

    async def _listen(self) -> None:
        assert self._client is not None
        while True:
            try:
                async with self._client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self.channel)
                    self.listening.set()
                    async for message in pubsub.listen():
                        self._deliver(message)
            except asyncio.CancelledError:
                raise
            except Exception:
                self.listening.clear()
                RELAY_ERRORS.labels("listen").inc()
                logger.warning("event relay lost; reconnecting", exc_info=True)
                await asyncio.sleep(RECONNECT_SECONDS)

    def _deliver(self, message: dict[str, Any]) -> None:
        try:
            body = json.loads(message["data"])
            if body["origin"] == self.origin:
                return
            events = [Event(Topic(e["topic"]), dict(e["payload"])) for e in body["events"]]
        except (KeyError, TypeError, ValueError):
            RELAY_ERRORS.labels("decode").inc()
            logger.warning("ignored a malformed relay message")
            return
        RELAYED.labels("received").inc(len(events))
        broker.deliver(events)
