"""Production posture of the schema: introspection and "did you mean" hints follow the
environment, and with FIELD_SUGGESTIONS off no hint leaks from validation or coercion, for
fields, arguments, enum values, input fields and type names alike, over HTTP and WebSocket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.app import create_app
from services.kit.settings import Settings
from tests.conftest import websocket_scope

STRONG = "s" * 40

# (kind, query, variables, the name a hint would give away)
CASES: list[tuple[str, str, dict[str, Any] | None, str]] = [
    ("field", "{ viewr { id } }", None, "viewer"),
    ("argument", "{ areas(frist: 1) { totalCount } }", None, "first"),
    ("enum value", "{ areas(level: DISTRCT) { totalCount } }", None, "DISTRICT"),
    (
        "enum value in a variable",
        "query($l: AreaLevel) { areas(level: $l) { totalCount } }",
        {"l": "DISTRCT"},
        "DISTRICT",
    ),
    (
        "input field",
        'mutation { signUp(input: {username: "x", password: "y", name: "z", phon: "1"}) '
        "{ __typename } }",
        None,
        "phone",
    ),
    (
        "input field in a variable",
        "mutation($i: SignUpInput!) { signUp(input: $i) { __typename } }",
        {"i": {"username": "x", "password": "y", "name": "z", "phon": "1"}},
        "phone",
    ),
    ("type name", "query($l: AreaLevl) { areas(level: $l) { totalCount } }", None, "AreaLevel"),
    ("type condition", "{ viewer { ... on Viewr { id } } }", None, "Viewer"),
    (
        "directive argument",
        "{ viewer @include(iff: true) { id } }",
        None,
        "if",
    ),
]


@pytest.fixture
async def http_for() -> AsyncIterator[Any]:
    """Clients on apps built from given settings (no database: nothing here executes)."""
    clients: list[httpx.AsyncClient] = []

    def make(settings: Settings) -> httpx.AsyncClient:
        app = create_app(settings, manage_database=False)
        transport = httpx.ASGITransport(app=app, client=("10.0.0.1", 5555))
        client = httpx.AsyncClient(transport=transport, base_url="http://test")
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


def _messages(body: dict[str, Any]) -> list[str]:
    return [error["message"] for error in body.get("errors", [])]


@pytest.mark.parametrize("suggestions", [True, False], ids=["on", "off"])
@pytest.mark.parametrize(
    ("kind", "query", "variables", "hint"), CASES, ids=[case[0] for case in CASES]
)
async def test_hints_follow_the_setting(
    http_for: Any,
    suggestions: bool,
    kind: str,
    query: str,
    variables: dict[str, Any] | None,
    hint: str,
) -> None:
    # given an app with suggestions on or off
    http = http_for(Settings(environment="test", field_suggestions=suggestions))
    # when a request names something that does not exist
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    # then it is refused either way
    body = response.json()
    messages = _messages(body)
    assert messages, body
    # and the near name is suggested only when suggestions are on
    hinted = [m for m in messages if "Did you mean" in m and f"'{hint}'" in m]
    if suggestions:
        assert hinted, messages
    else:
        assert not any("Did you mean" in m for m in messages), messages
        assert not any(f"'{hint}'" in m for m in messages), messages


async def test_no_hint_over_websocket_either() -> None:
    # given an app with suggestions off, driven as raw ASGI over graphql-transport-ws
    app = create_app(Settings(environment="test", field_suggestions=False), manage_database=False)
    incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outgoing: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    scope = websocket_scope()

    async def next_text() -> dict[str, Any]:
        message = await asyncio.wait_for(outgoing.get(), timeout=5)
        decoded: dict[str, Any] = json.loads(message["text"])
        return decoded

    async def say(payload: dict[str, Any]) -> None:
        await incoming.put({"type": "websocket.receive", "text": json.dumps(payload)})

    session = asyncio.create_task(app(scope, incoming.get, outgoing.put))
    try:
        await incoming.put({"type": "websocket.connect"})
        assert (await asyncio.wait_for(outgoing.get(), timeout=5))["type"] == "websocket.accept"
        await say({"type": "connection_init"})
        assert (await next_text())["type"] == "connection_ack"
        # when a subscription misspells an argument
        await say(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": 'subscription { noticePublished(undr: "x") { id } }'},
            }
        )
        answer = await next_text()
        # then the error names the mistake, and no near name
        assert answer["type"] == "error", answer
        messages = [error["message"] for error in answer["payload"]]
        assert any("Unknown argument 'undr'" in m for m in messages), messages
        assert not any("Did you mean" in m for m in messages), messages
    finally:
        await incoming.put({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(session, timeout=5)


INTROSPECTION = "{ __schema { queryType { name } } }"
TYPO = "{ areas(frist: 1) { totalCount } }"


async def test_production_turns_introspection_hints_and_graphiql_off(http_for: Any) -> None:
    # given production settings that say nothing of the three switches
    settings = Settings(environment="production", jwt_secret=STRONG, clock_start=None)
    assert (settings.graphiql, settings.introspection, settings.field_suggestions) == (
        False,
        False,
        False,
    )
    http = http_for(settings)
    # then introspection is refused,
    body = (await http.post("/graphql", json={"query": INTROSPECTION})).json()
    assert "data" not in body or body["data"] is None, body
    assert body["errors"][0]["extensions"]["code"], body
    # no hint is given,
    body = (await http.post("/graphql", json={"query": TYPO})).json()
    assert not any("Did you mean" in m for m in _messages(body)), body
    # and browsers get no GraphiQL page (nor its files)
    page = await http.get("/graphql", headers={"Accept": "text/html"})
    assert "graphiql" not in page.text.lower()
    assert (await http.get("/graphiql/graphiql.min.js")).status_code == 404


async def test_dev_and_test_keep_them_on(http_for: Any) -> None:
    for environment in ("dev", "test"):
        settings = Settings(environment=environment)
        assert (settings.graphiql, settings.introspection, settings.field_suggestions) == (
            True,
            True,
            True,
        )
        body = (await http_for(settings).post("/graphql", json={"query": INTROSPECTION})).json()
        assert body["data"] == {"__schema": {"queryType": {"name": "Query"}}}


async def test_production_can_switch_them_on(
    http_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given production with the switches set explicitly, in the environment
    monkeypatch.setenv("GRAPHIQL", "true")
    monkeypatch.setenv("INTROSPECTION", "true")
    monkeypatch.setenv("FIELD_SUGGESTIONS", "true")
    settings = Settings(environment="production", jwt_secret=STRONG, clock_start=None)
    http = http_for(settings)
    # then each is on
    body = (await http.post("/graphql", json={"query": INTROSPECTION})).json()
    assert body["data"] == {"__schema": {"queryType": {"name": "Query"}}}
    body = (await http.post("/graphql", json={"query": TYPO})).json()
    assert any("Did you mean 'first'" in m for m in _messages(body)), body
    page = await http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
