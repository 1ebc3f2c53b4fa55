"""Lists are resolved in batches: the number of SQL statements does not grow with the page size.

How statements are counted: every Tortoise client method that sends SQL (`execute_query`,
`execute_query_dict`, `execute_insert`, `execute_many`, `execute_script`, on the SQLite and the
asyncpg clients and on their transaction wrappers alike) logs the statement on the
"tortoise.db_client" logger at DEBUG right before running it, and nothing else logs there with
the "%s: %s" format (connection set-up logs other messages). Patching the methods instead would
miss the transaction wrappers, which are separate classes and objects. Raw SQL through
`services.kit.db.fetch` goes through `execute_query_dict`, so it is counted too. On SQLite the count
is cross-checked against sqlite3's own trace callback, which sees every statement the engine runs.
"""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from tortoise import connections

from services import grids
from services.enums import AreaLevel
from services.kit.pagination import Window
from services.kit.paths import in_subtree
from services.models import Area, Household
from tests.conftest import Database, actor_for, gql, login

QUERY = """
query MicroGrids($under: ID!, $first: Int!) {
  areas(level: MICRO_GRID, under: $under, first: $first) {
    edges { node {
      id name
      coverage {
        households assignedHouseholds unassignedHouseholds
        microGridsWithoutLeader centralHouseholdCoverage
      }
      roleHolders { role person { name } }
    } }
  }
}
"""


class _Statements:
    def __init__(self) -> None:
        self.logged: list[str] = []
        self.traced: list[str] = []


@asynccontextmanager
async def _count_statements(
    caplog: pytest.LogCaptureFixture, backend: str
) -> AsyncIterator[_Statements]:
    seen = _Statements()
    lock = threading.Lock()
    raw: Any = None
    if backend == "sqlite":
        # aiosqlite's connection wraps a sqlite3.Connection, usable on aiosqlite's worker
        # thread only; its trace callback sees each statement the engine actually runs.
        raw = connections.get("default")._connection

        def trace(statement: str) -> None:
            with lock:
                seen.traced.append(statement)

        await raw._execute(raw._conn.set_trace_callback, trace)
    caplog.clear()
    try:
        with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
            yield seen
    finally:
        if raw is not None:
            await raw._execute(raw._conn.set_trace_callback, None)
    seen.logged = [
        str(record.args[0]) if isinstance(record.args, tuple) and record.args else record.msg
        for record in caplog.records
        if record.name == "tortoise.db_client" and record.msg == "%s: %s"
    ]


async def _statements_for(
    http: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    backend: str,
    token: str,
    under: str,
    first: int,
) -> tuple[list[str], int]:
    async with _count_statements(caplog, backend) as seen:
        body = await gql(http, QUERY, {"under": under, "first": first}, token=token)
    assert "errors" not in body, body
    edges = body["data"]["areas"]["edges"]
    for edge in edges:  # the data is all there, so nothing was skipped to save statements
        assert edge["node"]["coverage"]["households"] > 0
        assert {h["role"] for h in edge["node"]["roleHolders"]} >= {"MICRO_GRID_LEADER"}
        assert all(h["person"]["name"] for h in edge["node"]["roleHolders"])
    if backend == "sqlite":
        assert len(seen.traced) == len(seen.logged), (seen.traced, seen.logged)
    return seen.logged, len(edges)


async def test_statements_do_not_grow_with_the_page(
    db: Database, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # given the community admin of 颜山社区 and all its micro-grids
    token = await login(client, "community_admin")
    community = await Area.get(name="颜山社区")
    under = base64.b64encode(f"Area:{community.id}".encode()).decode()
    total = await Area.filter(in_subtree(community.path), level=AreaLevel.MICRO_GRID).count()
    assert total >= 5
    # when one page of 2 and pages holding all of them are read
    small, small_size = await _statements_for(client, caplog, db.backend, token, under, 2)
    every, every_size = await _statements_for(client, caplog, db.backend, token, under, total)
    largest, largest_size = await _statements_for(client, caplog, db.backend, token, under, 100)
    assert (small_size, every_size, largest_size) == (2, total, total)
    # then the same number of statements ran each time (batched by the DataLoaders)
    assert len(small) == len(every) == len(largest), "\n".join(
        ["--- 2:", *small, "--- all:", *every]
    )
    # and that number is small: the viewer, the page, coverage, role holders and their people
    assert len(small) <= 20, "\n".join(small)


NESTED = """
query Nested($first: Int!) {
  areas(level: GRID, first: $first) {
    edges { node {
      id
      children(SIZE: 3) { totalCount edges { node { id name } } pageInfo { MORE } }
      households(SIZE: 4) { totalCount edges { node { id address } } pageInfo { MORE } }
    } }
  }
}
"""


@pytest.mark.parametrize("size", ["first", "last"])
async def test_nested_pages_do_not_grow_with_the_outer_page(
    db: Database, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, size: str
) -> None:
    # given the district admin, who may read every grid's households; nested pages read from
    # the start (`first`) or from the end (`last`)
    token = await login(client, "district_admin")
    more = "hasNextPage" if size == "first" else "hasPreviousPage"
    document = NESTED.replace("SIZE", size).replace("MORE", more)

    def part(ids: list[int], n: int) -> list[int]:
        return ids[:n] if size == "first" else ids[-n:]

    counts = []
    for first in (2, 8):
        # when a page of grids is read with a page of children and households each
        async with _count_statements(caplog, db.backend) as seen:
            body = await gql(client, document, {"first": first}, token=token)
        assert "errors" not in body, body
        edges = body["data"]["areas"]["edges"]
        assert len(edges) == first
        counts.append(len(seen.logged))
        # then every nested page is the right one: the first (last) rows by id, true totals
        for edge in edges:
            grid = await Area.get(
                id=int(base64.b64decode(edge["node"]["id"]).decode().split(":")[1])
            )
            kids = await Area.filter(parent_id=grid.id).order_by("id").values_list("id", flat=True)
            got = [
                int(base64.b64decode(e["node"]["id"]).decode().split(":")[1])
                for e in edge["node"]["children"]["edges"]
            ]
            assert got == part(list(kids), 3)
            assert edge["node"]["children"]["totalCount"] == len(kids)
            assert edge["node"]["children"]["pageInfo"][more] == (len(kids) > 3)
            homes = (
                await Household.filter(in_subtree(grid.path))
                .order_by("id")
                .values_list("id", flat=True)
            )
            got_homes = [
                int(base64.b64decode(e["node"]["id"]).decode().split(":")[1])
                for e in edge["node"]["households"]["edges"]
            ]
            assert got_homes == part(list(homes), 4)
            assert edge["node"]["households"]["totalCount"] == len(homes)
    # and the statements did not grow with the outer page (pages and totals are batched)
    assert counts[0] == counts[1]


MOVES = """
query Moves($first: Int!) {
  areas(level: GRID, first: $first) {
    edges { node {
      id
      moves(first: 2) { totalCount edges { node { id subject } } pageInfo { hasNextPage } }
    } }
  }
}
"""


async def test_the_moves_of_many_areas_are_read_in_batches(
    db: Database, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # given moves between two grids of 颜山社区 (a micro-grid moved away and back, another away)
    admin = await actor_for("district_admin")
    grid, second = await Area.get(name="颜山第一网格"), await Area.get(name="颜山第二网格")
    first_micro, other_micro = await Area.filter(parent_id=grid.id).order_by("id").limit(2)
    await grids.move_area(actor=admin, area_id=first_micro.id, parent_id=second.id)
    await grids.move_area(actor=admin, area_id=first_micro.id, parent_id=grid.id)
    await grids.move_area(actor=admin, area_id=other_micro.id, parent_id=second.id)
    token = await login(client, "district_admin")
    counts = []
    for first in (2, 8):
        # when a page of grids is read with a page of the moves of each
        async with _count_statements(caplog, db.backend) as seen:
            body = await gql(client, MOVES, {"first": first}, token=token)
        assert "errors" not in body, body
        edges = body["data"]["areas"]["edges"]
        assert len(edges) == first
        counts.append(len(seen.logged))
        # then every nested page is the right one: the area's first moves, with true totals
        for edge in edges:
            area_id = int(base64.b64decode(edge["node"]["id"]).decode().split(":")[1])
            every = await grids.area_moves(actor=admin, area_id=area_id, window=Window(first=100))
            got = [
                int(base64.b64decode(e["node"]["id"]).decode().split(":")[1])
                for e in edge["node"]["moves"]["edges"]
            ]
            assert got == [m.id for m in every.items[:2]]
            assert edge["node"]["moves"]["totalCount"] == len(every.items)
            assert edge["node"]["moves"]["pageInfo"]["hasNextPage"] == (len(every.items) > 2)
        # (and the moved grids are among them: the pages are not all empty)
        assert 3 in {e["node"]["moves"]["totalCount"] for e in edges}
    # and the statements did not grow with the outer page (pages and totals are batched)
    assert counts[0] == counts[1]
