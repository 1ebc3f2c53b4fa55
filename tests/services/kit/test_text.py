"""Search terms: bounded (SQLite refused LIKE patterns over 50,000 bytes) and taken literally."""

from __future__ import annotations

import pytest

from services import grids, people
from services.errors import InvalidInput
from services.kit.pagination import Window
from services.kit.text import MAX_SEARCH, search_term
from tests.conftest import Database, actor_for


def test_a_search_term_is_stripped_and_bounded() -> None:
    assert search_term(None) is None
    assert search_term("   ") is None
    assert search_term("  颜山 ") == "颜山"
    assert search_term(" " + "x" * MAX_SEARCH + " ") == "x" * MAX_SEARCH
    with pytest.raises(InvalidInput) as refused:
        search_term("x" * (MAX_SEARCH + 1))
    assert refused.value.field == "search"


@pytest.mark.parametrize("term", ["a" * 50_001, "%_" * 24_000, "x" * (MAX_SEARCH + 1)])
async def test_an_overlong_search_is_invalid_input(db: Database, term: str) -> None:
    admin = await actor_for("district_admin")
    with pytest.raises(InvalidInput):
        await grids.list_areas(search=term, window=Window(first=5))
    with pytest.raises(InvalidInput):
        await people.list_people(actor=admin, search=term, window=Window(first=5))


async def test_wildcards_in_a_search_are_literal(db: Database) -> None:
    admin = await actor_for("district_admin")
    assert (await grids.list_areas(search="%_" * 50, window=Window(first=5))).items == []
    assert (await people.list_people(actor=admin, search="%", window=Window(first=5))).items == []
    assert (await grids.list_areas(search="颜山", window=Window(first=5))).items
