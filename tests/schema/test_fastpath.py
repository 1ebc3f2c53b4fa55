"""The fast path is fenced: checked against the pinned releases, and switched off by
FAST_EXECUTION without changing an answer (`make test-slow-path` runs the schema and API tests
with it off)."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

import schema.core.fastpath
from api.app import create_app
from schema.build import build_schema
from schema.core.execution import FastLeafExecutionContext
from schema.core.fastpath import CHECKED, INTERNALS, check_versions, version_mismatches
from services.kit.settings import Settings, get_settings
from services.models import Area
from tests.api.servers import ROOT
from tests.conftest import Database, gql, login

LOCK = Path(__file__).resolve().parents[2] / "requirements.lock"


def test_the_checked_releases_are_the_pinned_ones() -> None:
    # An upgrade in requirements.lock fails here: set FAST_EXECUTION=false, upgrade, re-check
    # each entry of schema.core.fastpath.INTERNALS, then update CHECKED.
    pins = dict(re.findall(r"^([a-z0-9-]+)==(\S+)$", LOCK.read_text(), re.MULTILINE))
    assert {name: pins.get(name) for name in CHECKED} == CHECKED


def test_the_installed_releases_are_the_checked_ones() -> None:
    assert version_mismatches() == {}


def test_every_internal_says_where_what_for_and_on_what() -> None:
    assert INTERNALS
    for internal in INTERNALS:
        assert internal.where and internal.what_for and internal.relies_on


def test_start_up_refuses_the_fast_path_on_unchecked_releases(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(schema.core.fastpath, "CHECKED", {**CHECKED, "graphql-core": "0.0.1"})
    with pytest.raises(RuntimeError, match=r"set FAST_EXECUTION=false"):
        check_versions(Settings(environment="test", fast_execution=True))
    with pytest.raises(RuntimeError, match=r"graphql-core 3\.\d+\.\d+ \(checked: 0\.0\.1\)"):
        build_schema(Settings(environment="test", fast_execution=True))
    # with the switch off, plain Strawberry and graphql-core run on any release
    check_versions(Settings(environment="test", fast_execution=False))
    build_schema(Settings(environment="test", fast_execution=False))


# Run in a fresh interpreter: the internals the fast path leans on are taken away before the app
# is imported, as a Strawberry or graphql-core release without them would.
_WITHOUT_THE_INTERNALS = """
import asyncio, sys
import strawberry.subscriptions.protocols.graphql_transport_ws.handlers as transport_ws
del transport_ws._OperationStreamClosed
sys.modules["schema.core.execution"] = None  # importing it raises ImportError
from api.app import create_app
from schema.build import build_schema
from services.kit.settings import Settings
settings = Settings(environment="test", fast_execution=False)
create_app(settings, manage_database=False)
answer = asyncio.run(build_schema(settings).execute("{ __typename }"))
assert answer.errors is None and answer.data == {"__typename": "Query"}, answer
print("started")
"""


def test_switched_off_the_app_starts_without_the_internals() -> None:
    # given an interpreter in which the private symbols are gone, when the app is built and
    # asked with FAST_EXECUTION=false, then it starts and answers
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_THE_INTERNALS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("started")


def test_switched_off_the_schema_is_plain_strawberry() -> None:
    fast = build_schema(Settings(environment="test", fast_execution=True))
    plain = build_schema(Settings(environment="test", fast_execution=False))
    assert fast.execution_context_class is FastLeafExecutionContext
    assert plain.execution_context_class is StrawberryGraphQLCoreExecutionContext

    def streamlined(built: Any) -> int:
        return sum(
            hasattr(getattr(field, "resolve", None), "_takes_no_info")
            for graphql_type in built._schema.type_map.values()
            for field in getattr(graphql_type, "fields", {}).values()
            if not graphql_type.name.startswith("__")
        )

    assert streamlined(fast) > 0
    assert streamlined(plain) == 0


def _gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


AREAS = """
query Areas($under: ID!) {
  areas(under: $under) {
    totalCount
    edges { cursor node {
      id name level kind
      parent { id name }
      coverage { households assignedHouseholds microGrids centralHouseholdCoverage }
      roleHolders { role person { name } }
      children(first: 3) { edges { node { name } } }
    } }
  }
}
"""
NODE = "query($id: ID!) { node(id: $id) { id ... on Area { name coverage { households } } } }"
BROKEN = "query { areas(first: -1) { edges { node { name } } } }"
INVALID = "query { areas { edges { node { nope } } } }"


@pytest.fixture
async def both(db: Database) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """HTTP clients on two apps over the test's database: the fast path on, and off (the
    throttle off, so that `extensions.cost` does not depend on the time between requests)."""
    clients = []
    for fast in (True, False):
        settings = get_settings().model_copy(
            update={"fast_execution": fast, "throttle_enabled": False}
        )
        app = create_app(settings, manage_database=False)
        transport = httpx.ASGITransport(app=app, client=("10.0.0.1", 5555))
        clients.append(httpx.AsyncClient(transport=transport, base_url="http://test"))
    async with clients[0] as fast_http, clients[1] as plain_http:
        yield fast_http, plain_http


async def test_the_answers_are_the_same_with_the_fast_path_on_or_off(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    # given the same database served with the fast path on and off
    fast, plain = both
    community = await Area.get(name="颜山社区")
    grid = await Area.get(name="颜山第一网格")
    asked: list[tuple[str, dict[str, Any], str | None]] = []
    for username in ("community_admin", "grid_leader", "resident", None):
        token = await login(fast, username) if username else None
        asked += [
            (AREAS, {"under": _gid("Area", community.id)}, token),
            (NODE, {"id": _gid("Area", grid.id)}, token),
            (BROKEN, {}, token),
            (INVALID, {}, token),
        ]
    # when each operation is asked of both
    answers = []
    for query, variables, token in asked:
        fast_body = await gql(fast, query, variables, token=token)
        plain_body = await gql(plain, query, variables, token=token)
        # then the answers are the same, data, errors and extensions (the cost) alike
        assert fast_body == plain_body
        answers.append(fast_body)
    # (among them figures read ahead, errors at field paths, request errors, and costs)
    assert any(
        edge["node"]["coverage"] and edge["node"]["roleHolders"]
        for body in answers
        if (body.get("data") or {}).get("areas")
        for edge in body["data"]["areas"]["edges"]
    )
    assert any(error.get("path") for body in answers for error in body.get("errors", ()))
    assert any(body.get("data") is None and body.get("errors") for body in answers)
    assert any("cost" in body.get("extensions", {}) for body in answers)
