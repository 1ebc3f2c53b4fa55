"""A cost budget over time per client: a leaky bucket, as GitHub's and Shopify's GraphQL APIs keep.

Each client (the signed-in account, else the client address) has a bucket of `capacity` points
that refills at `restore_rate` points per second up to `capacity`. An operation's estimated cost
is taken from it before the operation runs; one that does not fit is refused and told how long
to wait. Rates are durations, not dates: the bucket reads `time.monotonic` (tests pass their own
`now`).

Memory is bounded: at most `max_clients` buckets are kept. A bucket that has refilled is the
same as no bucket, so those are dropped first when the table is full; if it is still full, the
least recently used ones go (their clients start again with a full bucket, which is what a new
client gets anyway: dropping a bucket never refuses anyone).

The state lives in the process: with WORKERS=N each worker keeps its own buckets, so a client
whose requests are spread over the workers gets up to N times the rate (see README).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Taken:
    """The answer of a bucket: whether the cost was taken, what is left, when to retry."""

    allowed: bool
    available: float
    retry_after: float  # seconds until the cost fits (0 when allowed)

    @property
    def retry_after_seconds(self) -> int:
        """The wait in whole seconds, rounded up (at least 1 when refused)."""
        return max(1, math.ceil(self.retry_after)) if not self.allowed else 0


class Throttle:
    """Per-client leaky buckets of cost points (see the module's doc)."""

    def __init__(
        self,
        *,
        capacity: int,
        restore_rate: float,
        max_clients: int,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        if capacity < 1 or restore_rate <= 0 or max_clients < 1:
            raise ValueError("capacity, restore_rate and max_clients must be positive")
        self.capacity = capacity
        self.restore_rate = restore_rate
        self.max_clients = max_clients
        self.now = now
        # client -> (points left, when they were counted); oldest use first.
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def _level(self, client: str, moment: float) -> float:
        found = self._buckets.get(client)
        if found is None:
            return float(self.capacity)
        left, at = found
        return min(float(self.capacity), left + max(0.0, moment - at) * self.restore_rate)

    def available(self, client: str) -> float:
        """What the client could spend now (nothing is taken)."""
        return self._level(client, self.now())

    def take(self, client: str, cost: int) -> Taken:
        """Take `cost` points from the client's bucket if they are there; nothing otherwise."""
        moment = self.now()
        level = self._level(client, moment)
        if cost > level:
            wait = (cost - level) / self.restore_rate
            return Taken(allowed=False, available=level, retry_after=wait)
        left = level - cost
        if left >= self.capacity:
            # Still full (a free operation): no need to remember the client.
            self._buckets.pop(client, None)
        else:
            self._buckets[client] = (left, moment)
            self._buckets.move_to_end(client)
            if len(self._buckets) > self.max_clients:
                self._evict(moment)
        return Taken(allowed=True, available=left, retry_after=0.0)

    def _evict(self, moment: float) -> None:
        # Full buckets first (forgetting them changes nothing), then the least recently used,
        # down to 90% of the table: the sweep reads every bucket, so it runs at most once per
        # tenth of the table's worth of new clients, not on every one.
        full = [c for c, (left, at) in self._buckets.items() if self._refilled(left, at, moment)]
        for client in full:
            del self._buckets[client]
        keep = self.max_clients - self.max_clients // 10
        while len(self._buckets) > keep:
            self._buckets.popitem(last=False)

    def _refilled(self, left: float, at: float, moment: float) -> bool:
        return left + max(0.0, moment - at) * self.restore_rate >= self.capacity
