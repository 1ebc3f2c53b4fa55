"""Relay connections over keyset pages (cursor = the row's id, opaque to clients)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Generic, TypeVar

import strawberry

from schema.core.context import Info
from services.errors import InvalidInput
from services.kit.pagination import Page, Window, check_size

T = TypeVar("T")
M = TypeVar("M")

_PREFIX = "cursor:"
MAX_KEY = 2**31 - 1  # row ids are 32-bit integers on both databases


def parse_key(text: str) -> int:
    """A row key from client text: a decimal in 1..2^31-1 (ValueError otherwise)."""
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        raise ValueError(text)
    key = int(text)
    if not 1 <= key <= MAX_KEY:
        raise ValueError(text)
    return key


def encode_cursor(key: int) -> str:
    """An opaque cursor for a row key."""
    return base64.b64encode(f"{_PREFIX}{key}".encode()).decode()


def decode_cursor(cursor: str | None, field: str = "after") -> int | None:
    """The row key inside a cursor (InvalidInput when it was not made here)."""
    if cursor is None:
        return None
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
        if not text.startswith(_PREFIX):
            raise ValueError(text)
        return parse_key(text[len(_PREFIX) :])
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput("That cursor is not valid.", field=field) from exc


First = Annotated[
    int | None,
    strawberry.argument(
        description="Page size from the start (or after `after`): 20 when neither `first` nor "
        "`last` is given, at most 100."
    ),
]
After = Annotated[
    str | None,
    strawberry.argument(description="Cursor of the item to continue after (`endCursor`)."),
]
Last = Annotated[
    int | None,
    strawberry.argument(
        description="Page size from the end (or before `before`), at most 100; not with `first`. "
        "20 when neither is given and only `before` is."
    ),
]
Before = Annotated[
    str | None,
    strawberry.argument(description="Cursor of the item to page back from (`startCursor`)."),
]


def page_window(
    info: Info,
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
) -> Window:
    """The validated window of a connection's arguments: sizes within the configured cap,
    both sizes together refused (by `Window`), cursors decoded. Without a size, a page of the
    configured default: the `last` ones before `before` when only `before` is given (paging
    back), else the `first` ones."""
    settings = info.context.settings
    check_size(first, max_size=settings.max_page_size, field="first")
    check_size(last, max_size=settings.max_page_size, field="last")
    if first is None and last is None:
        if before is not None and after is None:
            last = settings.default_page_size
        else:
            first = settings.default_page_size
    return Window(
        first=first,
        after=decode_cursor(after, "after"),
        last=last,
        before=decode_cursor(before, "before"),
    )


async def paged(
    info: Info,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    fetch: Callable[[Window], Awaitable[Page[M]]],
    convert: Callable[[M], T],
) -> Connection[T]:
    """The list query's block in one call: validate the connection's arguments, fetch the
    service's page (`fetch(window)`), convert its items into a connection. For example:

        return await paged(info, first, after, last, before, lambda window: notices.list_notices(
            actor=info.context.actor, under_id=area_id, window=window), Notice.from_model)
    """
    return Connection.build(await fetch(page_window(info, first, after, last, before)), convert)


@strawberry.type(description="Where a page sits in its list (Relay).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(description="Items precede this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first item.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last item.")


@strawberry.type(description="One item of a list with its cursor.")
class Edge(Generic[T]):
    node: T = strawberry.field(description="The item.")
    cursor: str = strawberry.field(
        description="Pass as `after` to continue after this item, or as `before` to page back."
    )


@strawberry.type(description="A page of a list (Relay connection) with the total count.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Paging state.")
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many items the whole list holds.")
    async def total_count(self) -> int:
        return await self._count()

    @classmethod
    def build(cls, page: Page[M], convert: Callable[[M], T]) -> Connection[T]:
        """Wrap a service page, converting each item."""
        return cls.of(page, [convert(item) for item in page.items])

    @classmethod
    def of(cls, page: Page[M], nodes: Sequence[T]) -> Connection[T]:
        """Wrap a service page whose items are already converted."""
        cursors = [encode_cursor(key) for key in page.keys]
        return Connection(
            edges=[Edge(node=node, cursor=c) for node, c in zip(nodes, cursors, strict=True)],
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=page.has_previous,
                start_cursor=cursors[0] if cursors else None,
                end_cursor=cursors[-1] if cursors else None,
            ),
            _count=page.count,
        )
