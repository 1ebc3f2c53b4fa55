"""Keyset pagination on the primary key: stable under inserts, cheap at any depth.

A `Window` says which part of a list to read, as Relay does: the `first` rows after the row
`after`, or the `last` rows before the row `before` (both bounds may be given with either).
Rows are read in the list's order for `first` and in reverse for `last`, so both cost one
indexed range scan; a page's items are always in the list's order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from services.errors import InvalidInput

M = TypeVar("M", bound=Model)
T = TypeVar("T")


@dataclass(frozen=True)
class Window:
    """Which page of a list to read: `first` rows (from the start, or after `after`) or `last`
    rows (from the end, or before `before`); keys are the list's cursor column (the row id)."""

    first: int | None = None
    after: int | None = None
    last: int | None = None
    before: int | None = None

    def __post_init__(self) -> None:
        if (self.first is None) == (self.last is None):
            raise InvalidInput("Give one of `first` and `last`.", field="last")

    @property
    def size(self) -> int:
        """How many items the page holds at most."""
        return self.last if self.last is not None else (self.first or 0)

    @property
    def backward(self) -> bool:
        """Read from the end (`last`)."""
        return self.last is not None

    def descending(self, newest_first: bool) -> bool:
        """Read the rows in descending key order? (The list's order, reversed for `last`.)"""
        return newest_first != self.backward

    def bounds(self, descending_list: bool) -> tuple[int | None, int | None]:
        """(exclusive lower key, exclusive upper key) of the rows the window may hold, for a
        list in ascending or (newest first) descending key order."""
        if descending_list:
            return self.before, self.after
        return self.after, self.before


@dataclass
class Page(Generic[T]):
    """One page of a list: the items, whether more follow or precede, and the (lazy) total."""

    items: list[T]
    keys: list[int]
    has_next: bool
    has_previous: bool
    count: Callable[[], Awaitable[int]]


def check_size(value: int | None, *, max_size: int, field: str) -> None:
    """Refuse page sizes outside 0..max_size with a field error."""
    if value is not None and (value < 0 or value > max_size):
        raise InvalidInput(f"`{field}` must be between 0 and {max_size}.", field=field)


def page_from_rows(
    rows: list[T],
    keys: list[int],
    window: Window,
    *,
    count: Callable[[], Awaitable[int]],
) -> Page[T]:
    """A page from up to size+1 rows fetched in the window's reading order (the list's order,
    reversed for `last`): cut at the size, put back in the list's order, with Relay's
    `hasNextPage`/`hasPreviousPage` (a bound given means items lie beyond it)."""
    size = window.size
    more = len(rows) > size
    items, item_keys = rows[:size], keys[:size]
    if window.backward:
        items, item_keys = items[::-1], item_keys[::-1]
    return Page(
        items=items,
        keys=item_keys,
        has_next=(more and not window.backward) or window.before is not None,
        has_previous=(more and window.backward) or window.after is not None,
        count=count,
    )


async def paginate(
    query: QuerySet[M], window: Window, *, newest_first: bool = False, key: str = "id"
) -> Page[M]:
    """The window's rows of `query` ordered by `key` (ascending, or newest first)."""
    descending = window.descending(newest_first)
    page_query = query.order_by(f"-{key}" if descending else key)
    low, high = window.bounds(newest_first)
    if low is not None:
        page_query = page_query.filter(**{f"{key}__gt": low})
    if high is not None:
        page_query = page_query.filter(**{f"{key}__lt": high})
    rows = await page_query.limit(window.size + 1) if window.size else []
    return page_from_rows(
        rows, [int(getattr(row, key) or 0) for row in rows], window, count=query.count
    )


@dataclass(frozen=True)
class KeysetSql:
    """A window as SQL fragments for hand-written list queries over `column`: `bounds` to AND
    into the WHERE clause (with `params`), `direction` (ASC/DESC) to order by, and `limit`."""

    bounds: str
    params: list[Any]
    direction: str
    limit: int


def keyset_sql(window: Window, column: str, *, newest_first: bool = False) -> KeysetSql:
    """The SQL of a window over `column`; see KeysetSql."""
    low, high = window.bounds(newest_first)
    bounds, params = "", []
    if low is not None:
        bounds += f" AND {column} > ?"
        params.append(low)
    if high is not None:
        bounds += f" AND {column} < ?"
        params.append(high)
    direction = "DESC" if window.descending(newest_first) else "ASC"
    return KeysetSql(bounds, params, direction, window.size + 1)


@dataclass(frozen=True)
class PageKey:
    """One nested page request: the owner (parent area, ...) and the window."""

    owner: int
    window: Window


def batched_counts(
    read: Callable[[], Awaitable[dict[int, int]]],
) -> Callable[[int], Callable[[], Awaitable[int]]]:
    """Totals for a batch of nested pages, read together: `count_of(owner)` is one page's
    `count`; the first awaited runs `read` (one grouped query for every owner of the batch),
    the others wait for it and reuse its answer; none runs if no total is asked for."""
    lock = asyncio.Lock()
    found: dict[int, int] | None = None

    async def read_once() -> dict[int, int]:
        nonlocal found
        async with lock:
            if found is None:
                found = await read()
        return found

    def count_of(owner: int) -> Callable[[], Awaitable[int]]:
        async def count() -> int:
            return (await read_once()).get(owner, 0)

        return count

    return count_of
