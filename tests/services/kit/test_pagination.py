"""Windows and pages (services/kit/pagination.py): which rows a window reads, in which order, and
what the page says about the rows around it."""

from __future__ import annotations

import pytest

from services.errors import InvalidInput
from services.kit.pagination import Window, keyset_sql, page_from_rows


async def _no_count() -> int:
    return 0


def _page(
    ids: list[int], window: Window, *, newest_first: bool = False
) -> tuple[list[int], bool, bool]:
    """What a window over `ids` (the list, in its order) gives: read as the database would."""
    low, high = window.bounds(newest_first)
    inside = [
        i
        for i in sorted(ids, reverse=window.descending(newest_first))
        if (low is None or i > low) and (high is None or i < high)
    ]
    rows = inside[: window.size + 1] if window.size else []  # a page of 0 reads nothing
    page = page_from_rows(rows, rows, window, count=_no_count)
    return page.keys, page.has_next, page.has_previous


IDS = [3, 5, 8, 13, 21, 34]


@pytest.mark.parametrize(
    ("window", "newest_first", "expected"),
    [
        (Window(first=2), False, ([3, 5], True, False)),
        (Window(first=2, after=5), False, ([8, 13], True, True)),
        (Window(first=10, after=21), False, ([34], False, True)),
        (Window(last=2), False, ([21, 34], False, True)),
        (Window(last=2, before=21), False, ([8, 13], True, True)),
        (Window(last=10, before=8), False, ([3, 5], True, False)),
        (Window(last=10, after=3, before=21), False, ([5, 8, 13], True, True)),
        (Window(first=2), True, ([34, 21], True, False)),
        (Window(first=2, after=21), True, ([13, 8], True, True)),
        (Window(last=2), True, ([5, 3], False, True)),
        (Window(last=2, before=8), True, ([21, 13], True, True)),
        (Window(first=0), False, ([], False, False)),
        (Window(last=0, before=8), False, ([], True, False)),
    ],
)
def test_a_window_reads_its_part_of_the_list_in_the_lists_order(
    window: Window, newest_first: bool, expected: tuple[list[int], bool, bool]
) -> None:
    assert _page(IDS, window, newest_first=newest_first) == expected


def test_a_window_takes_exactly_one_size() -> None:
    with pytest.raises(InvalidInput) as both:
        Window(first=1, last=1)
    assert both.value.field == "last"
    with pytest.raises(InvalidInput):
        Window()


def test_the_sql_of_a_window_bounds_and_orders_the_rows() -> None:
    back = keyset_sql(Window(last=5, after=2, before=9), "x.id")
    assert (back.bounds, back.params, back.direction, back.limit) == (
        " AND x.id > ? AND x.id < ?",
        [2, 9],
        "DESC",
        6,
    )
    newest = keyset_sql(Window(first=5, after=9), "n.id", newest_first=True)
    assert (newest.bounds, newest.params, newest.direction) == (" AND n.id < ?", [9], "DESC")
    oldest_of_newest = keyset_sql(Window(last=5), "n.id", newest_first=True)
    assert (oldest_of_newest.bounds, oldest_of_newest.direction) == ("", "ASC")
