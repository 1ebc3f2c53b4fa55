"""Lists are resolved in batches: the number of SQL statements does not grow with the page size.

How statements are counted: every Tortoise client method that sends SQL (`execute_query`,
`execute_query_dict`, `execute_insert`, `execute_many`, `execute_script`, on the SQLite and the
asyncpg clients and on their transaction wrappers alike) logs the statement on the
"tortoise.db_client" logger at DEBUG right before running it, and nothing else logs there with
the "%s: %s" format (connection set-up logs other messages). Patching the methods instead would
miss the transaction wrappers, which are separate classes and objects. Raw SQL through
`services.db.fetch` goes through `execute_query_dict`, so it is counted too. On SQLite the count
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

from services.enums import AreaLevel
from services.grids import in_subtree
from services.models import Area
from tests.conftest import Database, gql, login

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
