"""Test databases built from the committed migrations (so DB-level guards exist), per test.

Every data test runs on SQLite and, when TEST_POSTGRES_URL is set, on PostgreSQL too; then an
unreachable server fails the run instead of skipping. Templates (migrated, optionally seeded with
the demo district) are built once per session and copied per test.

No test depends on the day it runs: the service clock (services.kit.clock) is pinned. The demo
templates are seeded with the clock standing at TEST_NOW, and every test starts with the clock
at TEST_NOW, running on from there. GRIDPOINTS_TEST_NOW moves TEST_NOW (an ISO 8601 moment with
its UTC offset), e.g. to a calendar edge (`make test-calendar`); servers the tests start get it
as CLOCK_START.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

os.environ.setdefault("ENVIRONMENT", "test")
os.environ.setdefault("JWT_SECRET", "test-secret-" + "x" * 40)
# The test clients are not on loopback (10.0.0.1): /metrics wants this token from them.
os.environ.setdefault("METRICS_TOKEN", "test-metrics-token-" + "m" * 20)
# Mid-quarter, mid-month, mid-week, mid-morning in Asia/Shanghai: nothing near an edge.
os.environ["CLOCK_START"] = os.environ.get("GRIDPOINTS_TEST_NOW") or "2026-05-13T10:00:00+08:00"

import asyncpg
import httpx
import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.context import TortoiseContext

from services.accounts import load_actor
from services.imports import stop_imports
from services.kit import clock
from services.kit import db as database
from services.kit.auth import Actor
from services.models import UserAccount

TEST_NOW = datetime.fromisoformat(os.environ["CLOCK_START"])
if TEST_NOW.tzinfo is None:
    raise RuntimeError("GRIDPOINTS_TEST_NOW needs a UTC offset, e.g. 2027-12-31T23:59:00+08:00")

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])


@dataclass
class Database:
    """A ready database for one test."""

    backend: str
    url: str


def _pg_url(name: str) -> str:
    assert POSTGRES_URL
    parts = urlsplit(POSTGRES_URL)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _pg_admin() -> asyncpg.Connection:
    assert POSTGRES_URL
    return await asyncpg.connect(POSTGRES_URL.replace("postgres://", "postgresql://", 1))


def _fresh_statement_cache() -> None:
    # Tortoise caches prepared INSERTs per connection name for the whole process: SQLite's
    # `?` statements must not be reused on PostgreSQL (or the other way round).
    EXECUTOR_CACHE.clear()


async def _build(url: str, *, demo: bool) -> None:
    _fresh_statement_cache()
    # The demo's story is told at TEST_NOW (its "last week" and "last quarter" count from there).
    with clock.frozen(TEST_NOW):
        await _build_at_test_now(url, demo=demo)


async def _build_at_test_now(url: str, *, demo: bool) -> None:
    async with TortoiseContext() as ctx:
        await ctx.init(config=database.tortoise_config(url))
        await database.migrate()
        if demo:
            from seed.demo import seed_demo

            assert await seed_demo()


async def _pg_template(name: str, *, demo: bool) -> None:
    conn = await _pg_admin()
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    await _build(_pg_url(name), demo=demo)


@pytest.fixture(autouse=True)
def _clock_at_test_now() -> Iterator[None]:
    """Every test starts with the service clock at TEST_NOW (and it runs on from there)."""
    clock.start_at(TEST_NOW)
    yield
    clock.reset()


@pytest.fixture
def media_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The test's own MEDIA_DIR (services.kit.media), empty; the settings are read again."""
    from services.kit.settings import get_settings

    folder = tmp_path / "media"
    monkeypatch.setenv("MEDIA_DIR", str(folder))
    get_settings.cache_clear()
    yield folder
    monkeypatch.delenv("MEDIA_DIR")
    get_settings.cache_clear()


S3_TEST_BUCKET = "gridpoints-media"
S3_TEST_PREFIX = "district-1"


@pytest.fixture
def s3_media(media_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """MEDIA_STORE=s3 on moto's in-process S3 (its bucket made, keys under S3_TEST_PREFIX);
    the S3 client that sees it. MEDIA_DIR stays set, so a test can show nothing lands there."""
    import boto3
    from moto import mock_aws

    from services.kit.settings import get_settings

    monkeypatch.setenv("MEDIA_STORE", "s3")
    monkeypatch.setenv("S3_BUCKET", S3_TEST_BUCKET)
    monkeypatch.setenv("S3_REGION", "us-east-1")
    monkeypatch.setenv("S3_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("S3_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("S3_PREFIX", S3_TEST_PREFIX)
    get_settings.cache_clear()
    with mock_aws():
        s3 = boto3.client(
            "s3",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        s3.create_bucket(Bucket=S3_TEST_BUCKET)
        yield s3
    get_settings.cache_clear()


def s3_keys(s3: Any) -> list[str]:
    """The keys in the test bucket, below the test prefix, without it."""
    listed = s3.list_objects_v2(Bucket=S3_TEST_BUCKET).get("Contents", [])
    cut = len(S3_TEST_PREFIX) + 1
    return sorted(str(item["Key"])[cut:] for item in listed)


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, bool], str]]:
    """Migrated (and demo-seeded) template databases, one per backend and flavour."""
    made: dict[tuple[str, bool], str] = {}
    base = tmp_path_factory.mktemp("templates")
    try:
        for demo in (False, True):
            path = base / f"template-{'demo' if demo else 'empty'}.sqlite3"
            asyncio.run(_build(f"sqlite://{path}", demo=demo))
            made[("sqlite", demo)] = str(path)
        if POSTGRES_URL:
            run = uuid.uuid4().hex[:8]
            for demo in (False, True):
                name = f"gp_tpl_{run}_{'demo' if demo else 'empty'}"
                made[("postgres", demo)] = name  # recorded first, so a failed build is dropped
                asyncio.run(_pg_template(name, demo=demo))
        yield made
    finally:
        if POSTGRES_URL:
            asyncio.run(_drop_templates(made))


async def _drop_templates(made: dict[tuple[str, bool], str]) -> None:
    conn = await _pg_admin()
    try:
        for (backend, _), name in made.items():
            if backend == "postgres":
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def _copy(backend: str, template: str, tmp_path: Path) -> tuple[str, str | None]:
    if backend == "sqlite":
        target = tmp_path / "test.sqlite3"
        shutil.copyfile(template, target)
        return f"sqlite://{target}", None
    name = f"gp_test_{uuid.uuid4().hex[:12]}"
    conn = await _pg_admin()
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await conn.close()
    return _pg_url(name), name


async def _drop(name: str | None) -> None:
    if name is None:
        return
    conn = await _pg_admin()
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def _open(backend: str, template: str, tmp_path: Path) -> AsyncIterator[Database]:
    url, pg_name = await _copy(backend, template, tmp_path)
    _fresh_statement_cache()
    try:
        async with TortoiseContext() as ctx:
            await ctx.init(config=database.tortoise_config(url))
            try:
                yield Database(backend=backend, url=url)
            finally:
                # Background imports a test started end before its database does.
                await stop_imports()
    finally:
        await _drop(pg_name)


@pytest.fixture(params=BACKENDS)
async def db(
    request: pytest.FixtureRequest, templates: dict[tuple[str, bool], str], tmp_path: Path
) -> AsyncIterator[Database]:
    """The demo district (see seed/demo.py), fresh for this test."""
    async for handle in _open(request.param, templates[(request.param, True)], tmp_path):
        yield handle


@pytest.fixture(params=BACKENDS)
async def empty_db(
    request: pytest.FixtureRequest, templates: dict[tuple[str, bool], str], tmp_path: Path
) -> AsyncIterator[Database]:
    """A migrated, empty database, fresh for this test."""
    async for handle in _open(request.param, templates[(request.param, False)], tmp_path):
        yield handle


async def actor_for(username: str) -> Actor:
    """The actor of a demo account."""
    account = await UserAccount.get(username=username)
    actor = await load_actor(account_id=account.id)
    assert actor is not None
    return actor


@pytest.fixture
async def client(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app, sharing the test's database."""
    from api.app import create_app
    from services.kit.settings import get_settings

    app = create_app(get_settings(), manage_database=False)
    transport = httpx.ASGITransport(app=app, client=("10.0.0.1", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def gql(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """POST a GraphQL operation and return the decoded body."""
    sent = dict(headers or {})
    if token:
        sent["Authorization"] = f"Bearer {token}"
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=sent
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def scrape(http: httpx.AsyncClient) -> httpx.Response:
    """GET /metrics with the METRICS_TOKEN of the tests' settings."""
    token = os.environ["METRICS_TOKEN"]
    return await http.get("/metrics", headers={"Authorization": f"Bearer {token}"})


def websocket_scope() -> dict[str, Any]:
    """The ASGI scope of a graphql-transport-ws handshake on /graphql from a remote client (to
    drive the app as raw ASGI: httpx speaks no WebSocket)."""
    return {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "scheme": "ws",
        "headers": [(b"host", b"test"), (b"sec-websocket-protocol", b"graphql-transport-ws")],
        "subprotocols": ["graphql-transport-ws"],
        "client": ("10.0.0.1", 5555),
        "server": ("test", 80),
    }


LOGIN = """
mutation Login($u: String!, $p: String!) {
  login(input: {username: $u, password: $p}) {
    __typename
    ... on LoginSuccess { accessToken refreshToken expiresAt viewer { username } }
    ... on Error { code message }
    ... on TooManyAttempts { retryAfterSeconds }
  }
}
"""


async def login(http: httpx.AsyncClient, username: str, password: str = "gridpoints-demo") -> str:
    """Sign a demo account in and return its access token."""
    body = await gql(http, LOGIN, {"u": username, "p": password})
    result = body["data"]["login"]
    assert result["__typename"] == "LoginSuccess", result
    token: str = result["accessToken"]
    return token
