"""The short paths of execution answer exactly as graphql-core does, errors included."""

from __future__ import annotations

import gc
from enum import Enum
from typing import Any

import httpx
import pytest
import strawberry
from strawberry.extensions import ParserCache

import schema.core.execution
from schema.core.execution import FastLeafExecutionContext, streamline_resolvers
from schema.core.validation import DocumentValidationCache
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

    @strawberry.field
    @staticmethod
    def rooted(root: Thing) -> str:
        return f"root {root.count}"

    @strawberry.field
    @classmethod
    def classy(cls, root: Thing, info: strawberry.Info) -> str:
        return f"{cls.__name__} {root.count} at {info.path.key}"


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
RESOLVERS = "{ things { loud where broken later shout(times: 3) rooted classy } }"


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
    # (`things`, `loud`, `where`, `broken`, `later`, `rooted`, `classy`; `shout` has an
    # argument: left to Strawberry)
    assert streamline_resolvers(lean) == 7
    # when fields that use info, raise and return awaitables are read
    expected = await plain.execute(RESOLVERS, context_value={"tag": "t"})
    got = await lean.execute(RESOLVERS, context_value={"tag": "t"})
    # then data and errors are the same
    assert got.data == expected.data
    assert [(e.message, e.path) for e in got.errors or []] == [
        (e.message, e.path) for e in expected.errors or []
    ]
    assert expected.errors


@strawberry.interface
class Named:
    label: str


@strawberry.type
class Leaf(Named):
    size: int

    @strawberry.field
    def fails(self) -> int:
        raise ValueError(f"no size for {self.label}")

    @strawberry.field
    async def slow(self) -> str:
        return f"slow {self.label}"

    @strawberry.field
    async def broken(self) -> str | None:
        raise ValueError(f"broken {self.label}")


@strawberry.type
class Branch:
    label: str
    leaf: Leaf | None
    sure: Leaf
    leaves: list[Leaf]
    maybe_leaves: list[Leaf | None] | None
    named: Named

    @strawberry.field
    def picked(self) -> list[Leaf]:
        return self.leaves[:1]

    @strawberry.field
    def later(self) -> Leaf:
        async def value() -> Leaf:
            return self.sure

        return value()  # type: ignore[return-value]


def _branches() -> list[Branch]:
    a, b = Leaf(label="a", size=1), Leaf(label="b", size=2)
    none: Any = None
    not_a_leaf: Any = Thing(name="x", maybe=None, count=0, share=0, colour=Colour.RED, flag=True)
    return [
        Branch(label="one", leaf=a, sure=b, leaves=[a, b], maybe_leaves=[a, None], named=a),
        Branch(label="two", leaf=None, sure=none, leaves=[a, none], maybe_leaves=None, named=b),
        Branch(label="three", leaf=not_a_leaf, sure=a, leaves=[], maybe_leaves=[], named=a),
    ]


@strawberry.type
class TreeQuery:
    @strawberry.field
    def branches(self) -> list[Branch | None]:
        return _branches()

    @strawberry.field
    def strict(self) -> list[Branch] | None:
        return _branches()[:1]


# Errors, nulls and wrong types bubble up through objects and lists (no awaitables beside them:
# graphql-core abandons those when an error takes their parent).
TREE_ERRORS = """{
  branches { label leaf { label size } sure { label } leaves { label size }
    maybeLeaves { label } named { __typename label } picked { label } }
  again: branches { leaves { fails } }
  strict { leaves { label fails } }
}"""
# Awaitables inside objects and lists, failing or not, where no error takes their parent.
TREE_ASYNC = """{
  strict { label leaves { label slow broken } later { label slow } picked { slow } }
}"""


async def test_objects_and_lists_answer_as_graphql_core_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a schema of nested objects and lists with nulls, wrong types, errors and awaitables
    tree = strawberry.Schema(query=TreeQuery, execution_context_class=FastLeafExecutionContext)
    streamline_resolvers(tree)
    got = [await tree.execute(TREE_ERRORS), await tree.execute(TREE_ASYNC)]
    # when the same queries run on graphql-core's path
    monkeypatch.setattr(schema.core.execution, "_ENABLED", False)
    expected = [await tree.execute(TREE_ERRORS), await tree.execute(TREE_ASYNC)]
    # then data and errors (messages and paths) are the same
    for mine, theirs in zip(got, expected, strict=True):
        assert mine.data == theirs.data
        assert [(e.message, e.path) for e in mine.errors or []] == [
            (e.message, e.path) for e in theirs.errors or []
        ]
    assert expected[0].errors and len(expected[0].errors) >= 5
    assert expected[1].errors and expected[1].data and expected[1].data["strict"]


def test_a_request_leaves_no_garbage_cycles() -> None:
    # given a schema with the parse and validation caches (as the app's), executed once
    fast = strawberry.Schema(
        query=Query,
        execution_context_class=FastLeafExecutionContext,
        extensions=[ParserCache, DocumentValidationCache],
    )
    clean = "{ things { maybe share colour flag } }"
    assert not fast.execute_sync(clean).errors
    gc.collect()
    # when it runs again with the collector off
    gc.disable()
    try:
        before = gc.get_count()[0]
        fast.execute_sync(clean)
        after = gc.get_count()[0]
    finally:
        gc.enable()
    # then the executor and what it holds were freed by reference counting (graphql-core's
    # executor refers to itself through its resolver helpers; that cycle is broken here)
    assert gc.collect() == 0, (before, after)


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
    monkeypatch.setattr(schema.core.execution, "_ENABLED", False)
    plain = await gql(client, query, token=token)
    # then the answers are identical
    assert "errors" not in fast, fast
    assert fast["data"] == plain["data"]
