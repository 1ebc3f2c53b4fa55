"""The short path for plain leaf fields answers exactly as graphql-core does, errors included."""

from __future__ import annotations

from enum import Enum
from typing import Any

import httpx
import pytest
import strawberry

import schema.execution
from schema.execution import FastLeafExecutionContext, streamline_resolvers
from tests.conftest import gql, login


@strawberry.enum
class Colour(Enum):
    RED = "RED"
    BLUE = "BLUE"


@strawberry.type
class Thing:
    name: str
    maybe: str | None
    count: int
    share: float
    colour: Colour
    flag: bool

    @strawberry.field
    def loud(self) -> str:
        return self.name.upper()

    @strawberry.field
    def where(self, info: strawberry.Info) -> str:
        return f"{info.path.key}:{info.context['tag']}:{self.count}"

    @strawberry.field
    def broken(self) -> int | None:
        raise ValueError(f"no {self.name}")

    @strawberry.field
    def later(self) -> str:
        async def value() -> str:
            return "later"

        return value()  # type: ignore[return-value]

    @strawberry.field
    def shout(self, times: int = 2) -> str:
        return "!" * times


def _things() -> list[Thing]:
    odd: Any = None
    wrong: Any = "not a number"
    return [
        Thing(name="a", maybe=None, count=1, share=0.5, colour=Colour.RED, flag=True),
        Thing(name=odd, maybe="m", count=2, share=1.0, colour=Colour.BLUE, flag=False),
        Thing(name="c", maybe=None, count=wrong, share=0.0, colour=Colour.RED, flag=False),
    ]


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing | None]:
        return list(_things())


QUERY = "{ things { name maybe count share colour flag loud alias: name } }"
RESOLVERS = "{ things { loud where broken later shout(times: 3) } }"


def test_plain_leaves_answer_as_graphql_core_does() -> None:
    # given the same schema with and without the short path
    plain = strawberry.Schema(query=Query)
    fast = strawberry.Schema(query=Query, execution_context_class=FastLeafExecutionContext)
    # when a list with good values, a null in a non-null field and a bad int is read
    expected = plain.execute_sync(QUERY)
    got = fast.execute_sync(QUERY)
    # then data and errors (messages and paths) are the same
    assert got.data == expected.data
    assert [(e.message, e.path) for e in got.errors or []] == [
        (e.message, e.path) for e in expected.errors or []
    ]
    assert expected.errors and len(expected.errors) == 2


async def test_streamlined_resolvers_answer_as_strawberry_does() -> None:
    # given the same schema with Strawberry's resolvers and with the simple ones streamlined
    plain = strawberry.Schema(query=Query)
    lean = strawberry.Schema(query=Query)
    # (`things`, `loud`, `where`, `broken`, `later`; `shout` has an argument: left to Strawberry)
    assert streamline_resolvers(lean) == 5
    # when fields that use info, raise and return awaitables are read
    expected = await plain.execute(RESOLVERS, context_value={"tag": "t"})
    got = await lean.execute(RESOLVERS, context_value={"tag": "t"})
    # then data and errors are the same
    assert got.data == expected.data
    assert [(e.message, e.path) for e in got.errors or []] == [
        (e.message, e.path) for e in expected.errors or []
    ]
    assert expected.errors


async def test_a_page_reads_the_same_with_and_without_the_short_path(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the district admin reading a page of grids with leaves of every kind
    token = await login(client, "district_admin")
    query = """{ areas(level: GRID, first: 10) { totalCount edges { cursor node { id name level
        kind contactGroupName householdCount coverage { households centralHouseholdCoverage }
        roleHolders { role since until duties person { name phone partyMember } } } } } }"""
    fast = await gql(client, query, token=token)
    # when the short path is switched off
    monkeypatch.setattr(schema.execution, "_plain_leaf", lambda field: None)
    plain = await gql(client, query, token=token)
    # then the answers are identical
    assert "errors" not in fast, fast
    assert fast == plain
