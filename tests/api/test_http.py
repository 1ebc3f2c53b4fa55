"""The HTTP surface: health, readiness, metrics, GraphiQL, GET queries and request ids."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from tortoise.context import TortoiseContext

from api.app import create_app
from services.kit.db import tortoise_config
from services.kit.settings import Settings, get_settings
from services.models import UserAccount
from tests.conftest import (
    BACKENDS,
    Database,
    _drop,
    _pg_admin,
    _pg_url,
    gql,
    scrape,
    websocket_scope,
)


async def test_healthz_checks_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_migrations_applied(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "detail": "ok"}


@pytest.mark.parametrize("backend", BACKENDS)
async def test_readyz_is_503_before_migrations(backend: str, tmp_path: Path) -> None:
    # given a reachable database that was never migrated
    name = None
    if backend == "sqlite":
        url = f"sqlite://{tmp_path / 'blank.sqlite3'}"
    else:
        name = f"gp_blank_{uuid.uuid4().hex[:12]}"
        admin = await _pg_admin()
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        url = _pg_url(name)
    try:
        async with TortoiseContext() as ctx:
            await ctx.init(config=tortoise_config(url))
            app = create_app(get_settings(), manage_database=False)
            transport = httpx.ASGITransport(app=app, client=("10.0.0.1", 5555))
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                # when liveness and readiness are asked
                live = await http.get("/healthz")
                ready = await http.get("/readyz")
        # then it is alive but not ready
        assert live.status_code == 200
        assert ready.status_code == 503
        assert ready.json()["status"] == "not ready"
    finally:
        await _drop(name)


async def test_metrics_count_requests_by_route(client: httpx.AsyncClient) -> None:
    # given a few requests, one of them to a path that does not exist
    await client.get("/healthz")
    await gql(client, "{ viewer { id } }")
    missing = await client.get("/no-such-page-8c1f")
    assert missing.status_code == 404
    # when the metrics are scraped
    response = await scrape(client)
    # then they are in Prometheus text format, labelled by route
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert "# TYPE gridpoints_http_requests_total counter" in text
    assert re.search(
        r'gridpoints_http_requests_total\{method="GET",path="/healthz",status="200"\} \d', text
    )
    assert re.search(
        r'gridpoints_http_requests_total\{method="POST",path="/graphql",status="200"\} \d', text
    )
    assert "gridpoints_http_request_seconds_bucket" in text
    # and a made-up path does not become a label of its own (clients could grow them forever)
    assert "no-such-page-8c1f" not in text


async def test_made_up_methods_do_not_become_labels(client: httpx.AsyncClient) -> None:
    await client.request("BREW", "/healthz")
    text = (await scrape(client)).text
    assert 'method="BREW"' not in text


async def test_graphiql_is_served_to_browsers(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


async def test_graphiql_can_be_switched_off(db: Database) -> None:
    app = create_app(Settings(environment="test", graphiql=False), manage_database=False)
    transport = httpx.ASGITransport(app=app, client=("10.0.0.1", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/graphql", headers={"Accept": "text/html"})
        assert "graphiql" not in response.text.lower()
        assert response.status_code in (400, 404, 405)
        # while the API itself still answers
        assert (await gql(http, "{ viewer { id } }"))["data"] == {"viewer": None}


async def test_a_query_over_get(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "{ viewer { id } }"})
    assert response.status_code == 200
    assert response.json()["data"] == {"viewer": None}
    response = await client.get(
        "/graphql",
        params={
            "query": "query($n: Int) { areas(first: $n) { edges { node { name } } } }",
            "variables": json.dumps({"n": 1}),
        },
    )
    assert response.status_code == 200
    assert response.json()["data"] == {"areas": {"edges": [{"node": {"name": "博山区"}}]}}


async def test_a_mutation_over_get_is_refused(client: httpx.AsyncClient) -> None:
    # given a sign-up sent as a GET (a link or an <img> could trigger it)
    mutation = (
        'mutation { signUp(input: {username: "via-get", password: "long-enough-pw", '
        'name: "某人"}) { __typename } }'
    )
    # when it arrives
    response = await client.get("/graphql", params={"query": mutation})
    # then it is refused, and nothing was written
    assert response.status_code in (400, 405), response.text
    assert not await UserAccount.exists(username="via-get")


async def test_post_to_graphql_is_answered_in_place(client: httpx.AsyncClient) -> None:
    # no redirect to /graphql/: clients POST to the path in the docs
    response = await client.post("/graphql", json={"query": "{ viewer { id } }"})
    assert response.status_code == 200
    assert response.json()["data"] == {"viewer": None}


# POST bodies of every shape: the short path takes the plain ones, Strawberry's view the rest.
_GRJ = "application/graphql-response+json, application/json;q=0.9"
_POSTS: list[tuple[str, dict[str, str], bytes]] = [
    ("json", {"content-type": "application/json"}, b'{"query": "{ viewer { id } }"}'),
    (
        "variables and operation name",
        {"content-type": "application/json; charset=utf-8"},
        json.dumps(
            {
                "query": "query A($n: Int) { areas(first: $n) { edges { node { name } } } } "
                "query B { viewer { id } }",
                "variables": {"n": 2},
                "operationName": "A",
                "extensions": {},
            }
        ).encode(),
    ),
    (
        "no operation chosen",
        {"content-type": "application/json"},
        b'{"query": "query A { viewer { id } } query B { viewer { id } }"}',
    ),
    (
        "unknown operation",
        {"content-type": "application/json"},
        b'{"query": "query A { viewer { id } }", "operationName": "Z"}',
    ),
    (
        "odd operation name",
        {"content-type": "application/json"},
        b'{"query": "{ viewer { id } }", "operationName": 7}',
    ),
    ("syntax error", {"content-type": "application/json"}, b'{"query": "{ viewer { id "}'),
    ("validation error", {"content-type": "application/json"}, b'{"query": "{ nope }"}'),
    (
        "field error",
        {"content-type": "application/json"},
        b'{"query": "{ areas(first: 101) { edges { cursor } } }"}',
    ),
    ("no query", {"content-type": "application/json"}, b'{"variables": {}}'),
    ("null query", {"content-type": "application/json"}, b'{"query": null}'),
    ("query not text", {"content-type": "application/json"}, b'{"query": 1}'),
    (
        "variables not an object",
        {"content-type": "application/json"},
        b'{"query": "{ viewer { id } }", "variables": [1]}',
    ),
    (
        "extensions not an object",
        {"content-type": "application/json"},
        b'{"query": "{ viewer { id } }", "extensions": "x"}',
    ),
    ("batch", {"content-type": "application/json"}, b'[{"query": "{ viewer { id } }"}]'),
    ("not an object", {"content-type": "application/json"}, b'"text"'),
    ("bad json", {"content-type": "application/json"}, b'{"query": '),
    ("bad utf-8", {"content-type": "application/json"}, b'{"query": "\xff"}'),
    ("no content type", {}, b'{"query": "{ viewer { id } }"}'),
    (
        "form",
        {"content-type": "application/x-www-form-urlencoded"},
        b"query=%7B%20viewer%20%7B%20id%20%7D%20%7D",
    ),
    (
        "event stream",
        {"content-type": "application/json", "accept": "text/event-stream"},
        b'{"query": "{ viewer { id } }"}',
    ),
    (
        "subscription",
        {"content-type": "application/json"},
        b'{"query": "subscription { myPointsChanged { balance } }"}',
    ),
    (
        "mutation",
        {"content-type": "application/json"},
        b'{"query": "mutation { logout(input: {refreshToken: "nope"}) { __typename } }"}',
    ),
    # GraphQL over HTTP's own media type, and the transport's refusals (api.graphql_http)
    (
        "graphql-response+json",
        {"content-type": "application/json", "accept": _GRJ},
        b'{"query": "{ viewer { id } }"}',
    ),
    (
        "graphql-response+json, syntax error",
        {"content-type": "application/json", "accept": _GRJ},
        b'{"query": "{ viewer { id "}',
    ),
    (
        "graphql-response+json, several operations",
        {"content-type": "application/json", "accept": _GRJ},
        b'{"query": "query A { viewer { id } } query B { viewer { id } }"}',
    ),
    (
        "graphql-response+json, variables that do not coerce",
        {"content-type": "application/json", "accept": _GRJ},
        b'{"query": "query($id: ID!) { node(id: $id) { id } }", "variables": {"id": null}}',
    ),
    (
        "graphql-response+json, bad operation name",
        {"content-type": "application/json", "accept": _GRJ},
        b'{"query": "{ viewer { id } }", "operationName": ["A"]}',
    ),
    (
        "not acceptable",
        {"content-type": "application/json", "accept": "text/html"},
        b'{"query": "{ viewer { id } }"}',
    ),
    ("jsonx", {"content-type": "application/jsonx"}, b'{"query": "{ viewer { id } }"}'),
    (
        "json with charset",
        {"content-type": "Application/JSON; charset=UTF-8"},
        b'{"query": "{ viewer { id } }"}',
    ),
    (
        "nested too deeply",
        {"content-type": "application/json"},
        b'{"query": "{ viewer { id } }", "variables": {"x": ' + b"[" * 900 + b"]" * 900 + b"}}",
    ),
]


@pytest.mark.parametrize(("name", "headers", "body"), _POSTS, ids=[p[0] for p in _POSTS])
async def test_posts_are_answered_as_strawberrys_view_answers(
    db: Database, monkeypatch: pytest.MonkeyPatch, name: str, headers: dict[str, str], body: bytes
) -> None:
    # given the app, and the same app with every POST sent through Strawberry's view
    def app(short: bool) -> httpx.AsyncClient:
        made = create_app(get_settings(), manage_database=False)
        if not short:
            graphql = next(r for r in made.routes if getattr(r, "path", "") == "/graphql")
            monkeypatch.setattr(graphql.app, "_short_posts", False)  # type: ignore[attr-defined]
        # (were a body to fail the app, it would fail both ways: compared, not raised)
        transport = httpx.ASGITransport(
            app=made, client=("10.0.0.1", 5555), raise_app_exceptions=False
        )
        return httpx.AsyncClient(transport=transport, base_url="http://test")

    answers = []
    for short in (True, False):
        async with app(short) as http:
            # when the same body is POSTed
            response = await http.post(
                "/graphql", content=body, headers={**headers, "X-Request-ID": "same-id"}
            )
            answers.append(
                (
                    response.status_code,
                    response.headers.get("content-type"),
                    response.content,
                )
            )
    # then status, content type and body are byte for byte the same
    assert answers[0] == answers[1], name


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    # given a client-chosen request id, it comes back
    response = await client.get("/healthz", headers={"X-Request-ID": "abc-123-def"})
    assert response.headers["x-request-id"] == "abc-123-def"
    # without one, the server makes one per request
    first = (await client.get("/healthz")).headers["x-request-id"]
    second = (await client.get("/healthz")).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second
    # and a malformed one (header injection, log forging) is replaced
    response = await client.get("/healthz", headers={"X-Request-ID": "bad id\\r\\nx: y"})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
    # also on GraphQL responses
    response = await client.post(
        "/graphql", json={"query": "{ viewer { id } }"}, headers={"X-Request-ID": "gql-7"}
    )
    assert response.headers["x-request-id"] == "gql-7"


async def test_graphql_websocket_handshake(db: Database) -> None:
    # given the app driven as raw ASGI (httpx speaks no WebSocket; Starlette's TestClient warns)
    app = create_app(get_settings(), manage_database=False)
    incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outgoing: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    scope = websocket_scope()

    async def next_message() -> dict[str, Any]:
        return await asyncio.wait_for(outgoing.get(), timeout=5)

    async def say(payload: dict[str, Any]) -> None:
        await incoming.put({"type": "websocket.receive", "text": json.dumps(payload)})

    session = asyncio.create_task(app(scope, incoming.get, outgoing.put))
    try:
        # when a graphql-transport-ws client connects to /graphql and says hello
        await incoming.put({"type": "websocket.connect"})
        accepted = await next_message()
        # then the handshake is accepted with that protocol, and the server acknowledges
        assert accepted["type"] == "websocket.accept", accepted
        assert accepted.get("subprotocol") == "graphql-transport-ws"
        await say({"type": "connection_init"})
        ack = await next_message()
        assert json.loads(ack["text"]) == {"type": "connection_ack"}
        await say({"type": "ping"})
        pong = await next_message()
        assert json.loads(pong["text"])["type"] == "pong"
    finally:
        await incoming.put({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(session, timeout=5)


def _sample(text: str, name: str) -> float:
    match = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert match, f"{name} is not in /metrics"
    return float(match[1])


async def test_metrics_show_the_ledger_held_points_and_work_orders(
    client: httpx.AsyncClient,
) -> None:
    from api.figures import read_figures

    figures = await read_figures()
    text = (await scrape(client)).text
    # the demo has a ledger, a redemption waiting for pickup and open (some overdue) orders
    assert _sample(text, "gridpoints_ledger_transactions") == figures.ledger_transactions > 0
    assert _sample(text, "gridpoints_held_points") == figures.held_points > 0
    assert _sample(text, "gridpoints_open_work_orders") == figures.open_work_orders > 0
    assert _sample(text, "gridpoints_overdue_work_orders") == figures.overdue_work_orders > 0
    assert figures.overdue_work_orders <= figures.open_work_orders
    assert "gridpoints_db_statement_seconds_bucket" in text
    if figures.pool_size is not None:  # PostgreSQL: the pool of this process
        assert 'gridpoints_db_pool_connections{state="in_use"}' in text


async def test_metrics_count_operations_by_name_and_errors_by_code(
    client: httpx.AsyncClient,
) -> None:
    await gql(client, "query BrowseAreas { viewer { id } }")
    # a typed error in a mutation's result, and a GraphQL (validation) error
    await gql(
        client,
        'mutation SignIn { login(input: {username: "nobody", password: "wrong-password"}) '
        "{ __typename } }",
    )
    await gql(client, "query Broken { noSuchField }")
    await gql(client, "query " + "x" * 100 + " { __typename }")  # not a label of its own
    text = (await scrape(client)).text
    assert re.search(
        r'gridpoints_graphql_operations_total\{operation="BrowseAreas",outcome="ok",'
        r'type="query"\} [1-9]',
        text,
    ), text
    assert re.search(r'gridpoints_graphql_errors_total\{code="INVALID_CREDENTIALS"\} [1-9]', text)
    assert re.search(
        r'gridpoints_graphql_errors_total\{code="GRAPHQL_VALIDATION_FAILED"\} [1-9]', text
    )
    assert 'operation="Broken",outcome="error"' in text
    assert "x" * 100 not in text
    assert 'gridpoints_graphql_operation_seconds_bucket{le="0.005",operation="BrowseAreas"' in text
