"""Keyset pagination on the primary key: stable under inserts, cheap at any depth."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from services.errors import InvalidInput

M = TypeVar("M", bound=Model)
T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    """One page of a list: the items, whether more follow, and the (lazy) total."""

    items: list[T]
    keys: list[int]
    has_next: bool
    has_previous: bool
    count: Callable[[], Awaitable[int]]


def check_first(first: int, *, max_size: int) -> None:
    """Refuse page sizes outside 0..max_size with a field error."""
    if first < 0 or first > max_size:
        raise InvalidInput(f"`first` must be between 0 and {max_size}.", field="first")


async def paginate(
    query: QuerySet[M], *, first: int, after: int | None, newest_first: bool = False
) -> Page[M]:
    """The `first` rows of `query` after the row `after`, in id order (or newest first)."""
    page_query = query.order_by("-id" if newest_first else "id")
    if after is not None:
        page_query = (
            page_query.filter(id__lt=after) if newest_first else page_query.filter(id__gt=after)
        )
    rows = await page_query.limit(first + 1) if first else []
    items = rows[:first]
    return Page(
        items=items,
        keys=[row.pk for row in items],
        has_next=len(rows) > first,
        has_previous=after is not None,
        count=query.count,
    )


@dataclass(frozen=True)
class PageKey:
    """One nested page request: the owner (parent area, ...), page size and cursor."""

    owner: int
    first: int
    after: int | None


def page_from_rows(
    rows: list[T],
    keys: list[int],
    *,
    first: int,
    after: int | None,
    count: Callable[[], Awaitable[int]],
) -> Page[T]:
    """A page from up to first+1 rows fetched in key order."""
    return Page(
        items=rows[:first],
        keys=keys[:first],
        has_next=len(rows) > first,
        has_previous=after is not None,
        count=count,
    )


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
