"""`last`/`before` on connections (Relay): paging back from the end gives the same items in the
same order as paging forward, with the page info a client needs, on lists in id order, newest
first and by start time, top-level and nested (batched) ones; bad arguments are typed errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from services.models import Area
from tests.conftest import gql, login
from tests.schema.grids_support import YANSHAN, area, gid

ARGS = "first: $first, after: $after, last: $last, before: $before"
VARS = "$first: Int, $after: String, $last: Int, $before: String"
CONN = "totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor }"


@dataclass(frozen=True)
class Case:
    """One connection: its document (with the paging variables), the path to it in `data`,
    who reads it and the other variables."""

    name: str
    document: str
    path: tuple[str, ...]
    username: str | None = None
    under: str | None = None  # an area name, sent as $under
    size: int = 3  # the page size to walk it with


CASES = [
    Case("areas", f"query({VARS}) {{ areas({ARGS}) {{ {CONN} }} }}", ("areas",)),
    Case(
        "areas by filter",
        f"query({VARS}, $under: ID) {{ areas(under: $under, level: MICRO_GRID, {ARGS}) "
        f"{{ {CONN} }} }}",
        ("areas",),
        under=YANSHAN,
    ),
    Case(
        "children (nested, batched)",
        f"query({VARS}, $under: ID!) {{ node(id: $under) {{ ... on Area {{ children({ARGS}) "
        f"{{ {CONN} }} }} }} }}",
        ("node", "children"),
        under=YANSHAN,
    ),
    Case(
        "households (nested, batched)",
        f"query({VARS}, $under: ID!) {{ node(id: $under) {{ ... on Area {{ households({ARGS}) "
        f"{{ {CONN} }} }} }} }}",
        ("node", "households"),
        username="community_admin",
        under=YANSHAN,
        size=40,
    ),
    Case(
        "people",
        f"query({VARS}, $under: ID) {{ people(under: $under, {ARGS}) {{ {CONN} }} }}",
        ("people",),
        username="community_admin",
        under=YANSHAN,
        size=40,
    ),
    Case(
        "work orders (newest first)",
        f"query({VARS}, $under: ID) {{ workOrders(under: $under, {ARGS}) {{ {CONN} }} }}",
        ("workOrders",),
        username="community_admin",
        under=YANSHAN,
    ),
    Case(
        "activities (by start time, latest first)",
        f"query({VARS}, $under: ID!) {{ activities(under: $under, {ARGS}) {{ {CONN} }} }}",
        ("activities",),
        username="volunteer",
        under="博山区",
    ),
]


async def _read(http: httpx.AsyncClient, case: Case, token: str | None, **paging: Any) -> Any:
    variables: dict[str, Any] = dict(paging)
    if case.under is not None:
        variables["under"] = gid("Area", (await area(case.under)).id)
    body = await gql(http, case.document, variables, token=token)
    assert "errors" not in body, body
    found = body["data"]
    for step in case.path:
        found = found[step]
    return found


async def _forward(http: httpx.AsyncClient, case: Case, token: str | None) -> list[str]:
    cursors: list[str] = []
    after = None
    while True:
        conn = await _read(http, case, token, first=case.size, after=after)
        cursors += [e["cursor"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            return cursors
        after = conn["pageInfo"]["endCursor"]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_paging_back_from_the_end_meets_every_item_in_the_same_order(
    client: httpx.AsyncClient, case: Case
) -> None:
    # given a list of several pages, walked forward a few at a time
    token = await login(client, case.username) if case.username else None
    forward = await _forward(client, case, token)
    assert len(forward) > case.size, f"the demo should list a few items for {case.name}"
    # when it is walked back from the end, as many at a time
    backward: list[str] = []
    before = None
    pages = 0
    while True:
        conn = await _read(client, case, token, last=case.size, before=before)
        edges, info = conn["edges"], conn["pageInfo"]
        # then each page is in the list's order, full unless it is the first, and says that
        # items follow it exactly when it was asked for those before a cursor
        assert info["hasNextPage"] is (before is not None)
        if edges:
            assert info["startCursor"] == edges[0]["cursor"]
            assert info["endCursor"] == edges[-1]["cursor"]
        backward = [e["cursor"] for e in edges] + backward
        pages += 1
        assert pages <= 100, "paging back does not end"
        if not info["hasPreviousPage"]:
            break
        assert len(edges) == case.size
        before = info["startCursor"]
    # and the walk back meets every item once, in the order of the walk forward
    assert backward == forward
    assert conn["totalCount"] == len(forward)


@pytest.mark.parametrize("case", CASES[:4], ids=[c.name for c in CASES[:4]])
async def test_a_window_between_two_cursors(client: httpx.AsyncClient, case: Case) -> None:
    token = await login(client, case.username) if case.username else None
    cursors = await _forward(client, case, token)
    assert len(cursors) >= 4
    between = {"after": cursors[0], "before": cursors[3]}
    # `first` from the lower bound, `last` from the upper one; both say items lie beyond them
    head = await _read(client, case, token, first=1, **between)
    assert [e["cursor"] for e in head["edges"]] == cursors[1:2]
    assert head["pageInfo"]["hasNextPage"] and head["pageInfo"]["hasPreviousPage"]
    tail = await _read(client, case, token, last=1, **between)
    assert [e["cursor"] for e in tail["edges"]] == cursors[2:3]
    assert tail["pageInfo"]["hasNextPage"] and tail["pageInfo"]["hasPreviousPage"]
    for size in ("first", "last"):
        everything = await _read(client, case, token, **{size: 100}, **between)
        assert [e["cursor"] for e in everything["edges"]] == cursors[1:3], size


async def test_last_alone_reads_the_end_of_the_list(client: httpx.AsyncClient) -> None:
    ids = sorted(await Area.all().values_list("id", flat=True))
    conn = await _read(client, CASES[0], None, last=2)
    assert [e["cursor"] for e in conn["edges"]] == (await _forward(client, CASES[0], None))[-2:]
    assert conn["pageInfo"]["hasPreviousPage"] is True
    assert conn["pageInfo"]["hasNextPage"] is False
    assert conn["totalCount"] == len(ids)
    # a page of zero from the end is empty and well formed
    empty = await _read(client, CASES[0], None, last=0)
    assert empty["edges"] == [] and empty["pageInfo"]["startCursor"] is None


async def test_before_alone_pages_back_by_the_default_size(client: httpx.AsyncClient) -> None:
    cursors = await _forward(client, CASES[0], None)
    assert len(cursors) > 30
    conn = await _read(client, CASES[0], None, before=cursors[30])
    assert [e["cursor"] for e in conn["edges"]] == cursors[10:30]
    assert conn["pageInfo"]["hasPreviousPage"] and conn["pageInfo"]["hasNextPage"]


async def test_a_page_of_zero_says_the_same_batched_or_alone(client: httpx.AsyncClient) -> None:
    # one area's households read alone, and many areas' read in one batch (ROW_NUMBER)
    token = await login(client, "district_admin")
    document = """query($n: Int!, $size: Int) { areas(level: GRID, first: $n) { edges { node {
      households(first: $size) { edges { cursor } pageInfo { hasNextPage hasPreviousPage } }
      children(last: $size) { edges { cursor } pageInfo { hasNextPage hasPreviousPage } }
    } } } }"""
    infos = []
    for n in (1, 4):
        body = await gql(client, document, {"n": n, "size": 0}, token=token)
        assert "errors" not in body, body
        for edge in body["data"]["areas"]["edges"]:
            for field in ("households", "children"):
                assert edge["node"][field]["edges"] == []
                infos.append(edge["node"][field]["pageInfo"])
    assert infos and all(i == {"hasNextPage": False, "hasPreviousPage": False} for i in infos)


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"first": 2, "last": 2}, "last"),
        ({"last": -1}, "last"),
        ({"last": 101}, "last"),
        ({"last": 2, "before": "not-a-cursor"}, "before"),
    ],
)
async def test_bad_backward_arguments_are_invalid_input(
    client: httpx.AsyncClient, variables: dict[str, Any], field: str
) -> None:
    body = await gql(client, CASES[0].document, variables)
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert error["extensions"]["field"] == field


async def test_both_sizes_on_a_nested_connection_are_refused_before_anything_runs(
    client: httpx.AsyncClient,
) -> None:
    body = await gql(
        client,
        "{ areas(first: 1) { edges { node { children(first: 2, last: 2) { totalCount } } } } }",
    )
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "INVALID_INPUT", "field": "last"}


async def test_last_costs_what_first_costs(client: httpx.AsyncClient) -> None:
    costs = []
    for size in ("first", "last"):
        body = await gql(
            client,
            f"{{ areas({size}: 50) {{ edges {{ node {{ children({size}: 30) {{ "
            "edges { node { name } } } } } } }",
        )
        assert "errors" not in body, body
        costs.append(body["extensions"]["cost"]["requestedQueryCost"])
    assert costs[0] == costs[1] > 50 * 30
