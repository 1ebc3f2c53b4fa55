"""The service's one clock: every date and time the service decides on is read here.

`now()` is the current instant (aware, UTC) and `today()` the current date in the configured
time zone. Nothing else reads the wall clock for a date (Tortoise's `auto_now_add` included:
models take `default=clock.now`). Durations that never become dates (timeouts, latency, how
long ago a subscriber was re-read) may use `time.monotonic()`.

The clock can be moved, which is what makes calendar edges testable:

- `start_at(moment)`: the clock reads `moment` now and runs on from there at the wall clock's
  pace (tests start every test at one pinned moment; a server process started with the
  `CLOCK_START` setting, dev and test only, does the same);
- `frozen(moment)`: the clock stands still at `moment` inside the block (the demo seed tells
  a story that happened in the past, step by step);
- `reset()`: back to the wall clock (or to `CLOCK_START`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta


@dataclass(frozen=True)
class _Reading:
    """How now() is derived: a fixed instant, or the wall clock moved by an offset."""

    fixed: datetime | None = None
    offset: timedelta = timedelta(0)


_WALL = _Reading()
# None until first read: then taken from CLOCK_START (settings are read once, lazily, so that
# every entry point - server, jobs, seed, command line - honours it without wiring).
_reading: _Reading | None = None


def _configured() -> _Reading:
    from services.kit.settings import get_settings

    start = get_settings().clock_start
    return _started(start) if start is not None else _WALL


def _started(moment: datetime) -> _Reading:
    return _Reading(offset=_aware(moment) - datetime.now(UTC))


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("the clock takes aware datetimes (with a UTC offset)")
    return moment.astimezone(UTC)


def now() -> datetime:
    """The current instant (UTC, aware)."""
    global _reading
    reading = _reading
    if reading is None:
        reading = _reading = _configured()
    if reading.fixed is not None:
        return reading.fixed
    if reading.offset:
        return datetime.now(UTC) + reading.offset
    return datetime.now(UTC)


def today() -> date:
    """The current date in the configured time zone (TIMEZONE)."""
    from services.kit.settings import get_settings

    return now().astimezone(get_settings().tz).date()


def start_at(moment: datetime) -> None:
    """From now on the clock reads `moment` and runs on at the wall clock's pace."""
    global _reading
    _reading = _started(moment)


def freeze(moment: datetime) -> None:
    """The clock stands still at `moment` until moved again."""
    global _reading
    _reading = _Reading(fixed=_aware(moment))


def reset() -> None:
    """Back to the configured clock (the wall clock, or CLOCK_START)."""
    global _reading
    _reading = None


@contextmanager
def frozen(moment: datetime) -> Iterator[None]:
    """The clock stands at `moment` inside the block, then reads as it did before."""
    global _reading
    before = _reading
    _reading = _Reading(fixed=_aware(moment))
    try:
        yield
    finally:
        _reading = before
