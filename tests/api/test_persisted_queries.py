"""Persisted queries (api.persisted_queries): Apollo's automatic persisted queries over POST and
GET, the registered mode (PERSISTED_QUERIES=only, a manifest checked at start-up), the cache
headers of a persisted GET, on both handlers (FAST_EXECUTION on and off)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from api.app import create_app
from api.graphql_http import GRAPHQL_RESPONSE_JSON
from api.persisted_queries import (
    PersistedQueries,
    PersistedQueryError,
    read_manifest,
    sha256_hex,
)
from services.kit.settings import Settings
from services.models import UserAccount
from tests.api.multipart_support import PREFLIGHT
from tests.conftest import Database, login, websocket_scope

VIEWER = "query Viewer { viewer { username } }"
TYPENAME = "query Typename { __typename }"
SIGN_UP = """
mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) { __typename ... on SignUpSuccess { viewer { username } } }
}
"""


def sign_up_variables(username: str) -> dict[str, Any]:
    return {"input": {"username": username, "password": "kettle-9-harbour-lamp", "name": "试用者"}}


def extension(document: str, version: object = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha256_hex(document)}}


def manifest_file(folder: Path, *documents: str, wrong_id: bool = False) -> Path:
    operations = [
        {
            "id": "0" * 64 if wrong_id else sha256_hex(body),
            "name": f"Op{index}",
            "type": "query",
            "body": body,
        }
        for index, body in enumerate(documents)
    ]
    path = folder / "manifest.json"
    path.write_text(
        json.dumps(
            {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
        )
    )
    return path


async def client_with(**settings: Any) -> httpx.AsyncClient:
    app = create_app(
        Settings(environment="test", throttle_enabled=False, **settings), manage_database=False
    )
    transport = httpx.ASGITransport(app=app, client=("10.0.0.1", 5555))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest.fixture(params=[True, False], ids=["fast", "plain"])
async def apq(request: pytest.FixtureRequest, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The app in the default mode (auto), with each FAST_EXECUTION value."""
    async with await client_with(fast_execution=request.param, persisted_query_max_age=60) as http:
        yield http


async def post(http: httpx.AsyncClient, body: dict[str, Any], **headers: str) -> httpx.Response:
    return await http.post("/graphql", json=body, headers=headers)


async def get(
    http: httpx.AsyncClient,
    extensions: dict[str, Any],
    variables: dict[str, Any] | None = None,
    **headers: str,
) -> httpx.Response:
    params = {"extensions": json.dumps(extensions)}
    if variables is not None:
        params["variables"] = json.dumps(variables)
    return await http.get("/graphql", params=params, headers=headers)


def data(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def error_code(response: httpx.Response) -> str:
    body = response.json()
    (error,) = body["errors"]
    code: str = error["extensions"]["code"]
    return code


# --- automatic persisted queries ----------------------------------------------------------------


async def test_an_unknown_hash_is_not_found_then_registered_then_served(
    apq: httpx.AsyncClient,
) -> None:
    # given a hash the server has not seen
    missed = await post(apq, {"extensions": extension(TYPENAME)})
    # then it answers as Apollo's clients expect: 200, PersistedQueryNotFound
    assert missed.status_code == 200, missed.text
    (error,) = missed.json()["errors"]
    assert error["message"] == "PersistedQueryNotFound"
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    # when the client sends the document with its hash, it runs (and is kept)
    registered = await post(apq, {"query": TYPENAME, "extensions": extension(TYPENAME)})
    assert data(registered) == {"__typename": "Query"}
    # then the hash alone runs it, by POST and by GET
    by_post = await post(apq, {"extensions": extension(TYPENAME)})
    assert data(by_post) == {"__typename": "Query"}
    by_get = await get(apq, extension(TYPENAME))
    assert by_get.status_code == 200, by_get.text
    assert data(by_get) == {"__typename": "Query"}


async def test_a_miss_is_a_request_error_in_graphql_response_json(apq: httpx.AsyncClient) -> None:
    missed = await post(apq, {"extensions": extension(TYPENAME)}, accept=GRAPHQL_RESPONSE_JSON)
    assert missed.status_code == 400
    assert set(missed.json()) == {"errors"}
    assert error_code(missed) == "PERSISTED_QUERY_NOT_FOUND"


async def test_variables_and_operation_name_go_with_the_hash(apq: httpx.AsyncClient) -> None:
    document = "query A($n: String!) { __type(name: $n) { name } } query B { __typename }"
    body = {"query": document, "extensions": extension(document), "operationName": "A"}
    first = await post(apq, {**body, "variables": {"n": "Query"}})
    assert data(first) == {"__type": {"name": "Query"}}
    # two operations and none named: the document's own rule, as if it were sent in full
    unnamed = await get(apq, extension(document), {"n": "Viewer"})
    assert error_code(unnamed) == "OPERATION_RESOLUTION_FAILURE"
    response = await apq.get(
        "/graphql",
        params={
            "extensions": json.dumps(extension(document)),
            "variables": json.dumps({"n": "Viewer"}),
            "operationName": "A",
        },
    )
    assert data(response) == {"__type": {"name": "Viewer"}}


async def test_a_document_that_does_not_match_its_hash_is_refused_and_not_kept(
    apq: httpx.AsyncClient,
) -> None:
    wrong = {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex("{ viewer { username } }")}}
    refused = await post(apq, {"query": TYPENAME, "extensions": wrong})
    assert error_code(refused) == "PERSISTED_QUERY_HASH_MISMATCH"
    assert "data" not in refused.json() or refused.json()["data"] is None
    # the hash named was not bound to the document sent
    missed = await post(apq, {"extensions": wrong})
    assert error_code(missed) == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize(
    ("persisted", "code"),
    [
        (
            {"version": 2, "sha256Hash": sha256_hex(TYPENAME)},
            "PERSISTED_QUERY_VERSION_NOT_SUPPORTED",
        ),
        ({"sha256Hash": sha256_hex(TYPENAME)}, "PERSISTED_QUERY_VERSION_NOT_SUPPORTED"),
        (
            {"version": True, "sha256Hash": sha256_hex(TYPENAME)},
            "PERSISTED_QUERY_VERSION_NOT_SUPPORTED",
        ),
        ({"version": 1}, "PERSISTED_QUERY_INVALID"),
        ({"version": 1, "sha256Hash": sha256_hex(TYPENAME).upper()}, "PERSISTED_QUERY_INVALID"),
        ({"version": 1, "sha256Hash": 12}, "PERSISTED_QUERY_INVALID"),
        ("abc", "PERSISTED_QUERY_INVALID"),
    ],
)
async def test_a_malformed_extension_is_refused_with_a_code(
    apq: httpx.AsyncClient, persisted: object, code: str
) -> None:
    response = await post(apq, {"query": TYPENAME, "extensions": {"persistedQuery": persisted}})
    assert response.status_code == 200
    assert error_code(response) == code
    graphql_json = await post(
        apq,
        {"query": TYPENAME, "extensions": {"persistedQuery": persisted}},
        accept=GRAPHQL_RESPONSE_JSON,
    )
    assert graphql_json.status_code == 400


async def test_a_persisted_mutation_is_refused_over_get(apq: httpx.AsyncClient) -> None:
    # given a sign-up registered by POST (where it runs)
    posted = await post(
        apq,
        {
            "query": SIGN_UP,
            "variables": sign_up_variables("by-post"),
            "extensions": extension(SIGN_UP),
        },
    )
    assert posted.json()["data"]["signUp"]["__typename"] == "SignUpSuccess", posted.text
    # when its hash is sent by GET
    response = await get(apq, extension(SIGN_UP), sign_up_variables("by-get"))
    # then it is the wrong method, and nothing is written
    assert response.status_code == 405, response.text
    assert error_code(response) == "METHOD_NOT_ALLOWED"
    assert response.headers["allow"] == "POST"
    assert not await UserAccount.exists(username="by-get")


async def test_limits_apply_to_persisted_documents(db: Database) -> None:
    document = "query Two { a: __typename b: __typename }"
    async with await client_with(max_aliases=1) as http:
        await post(http, {"query": document, "extensions": extension(document)})
        response = await post(http, {"extensions": extension(document)})
        body = response.json()
        assert body.get("data") is None and body["errors"], body


def test_the_store_keeps_the_most_recently_used_documents() -> None:
    store = PersistedQueries("auto", capacity=2)
    documents = ["{ a }", "{ b }", "{ c }"]
    for document in documents[:2]:
        store.document(document, extension(document))
    store.document(None, extension(documents[0]))  # a is used again: b is now the oldest
    store.document(documents[2], extension(documents[2]))
    assert len(store) == 2
    assert store.document(None, extension(documents[0])) == documents[0]
    with pytest.raises(PersistedQueryError) as missed:
        store.document(None, extension(documents[1]))
    assert missed.value.code == "PERSISTED_QUERY_NOT_FOUND"


# --- cache headers ------------------------------------------------------------------------------


async def test_an_anonymous_persisted_get_may_be_cached_by_a_shared_cache(
    apq: httpx.AsyncClient,
) -> None:
    await post(apq, {"query": VIEWER, "extensions": extension(VIEWER)})
    response = await get(apq, extension(VIEWER))
    assert data(response) == {"viewer": None}
    assert response.headers["cache-control"] == "public, max-age=60"
    assert set(response.headers["vary"].replace(" ", "").split(",")) >= {
        "Accept",
        "Authorization",
        "Cookie",
    }


async def test_a_persisted_get_with_credentials_is_never_stored(apq: httpx.AsyncClient) -> None:
    token = await login(apq, "volunteer")
    await post(apq, {"query": VIEWER, "extensions": extension(VIEWER)})
    response = await get(apq, extension(VIEWER), authorization=f"Bearer {token}")
    assert data(response) == {"viewer": {"username": "volunteer"}}
    assert response.headers["cache-control"] == "private, no-store"
    assert "Authorization" in response.headers["vary"]
    with_cookie = await get(apq, extension(VIEWER), cookie="session=x")
    assert with_cookie.headers["cache-control"] == "private, no-store"


async def test_errors_and_posts_are_never_stored(apq: httpx.AsyncClient) -> None:
    missed = await get(apq, extension("{ __typename }"))
    assert error_code(missed) == "PERSISTED_QUERY_NOT_FOUND"
    assert missed.headers["cache-control"] == "private, no-store"
    posted = await post(apq, {"query": TYPENAME, "extensions": extension(TYPENAME)})
    assert posted.headers["cache-control"] == "no-store"
    plain_get = await apq.get("/graphql", params={"query": TYPENAME})
    assert plain_get.headers["cache-control"] == "no-store"


async def test_without_a_max_age_nothing_is_stored(db: Database) -> None:
    async with await client_with() as http:
        await post(http, {"query": TYPENAME, "extensions": extension(TYPENAME)})
        response = await get(http, extension(TYPENAME))
        assert data(response) == {"__typename": "Query"}
        assert response.headers["cache-control"] == "private, no-store"


# --- registered operations (PERSISTED_QUERIES=only) and off -------------------------------------


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "plain"])
async def test_only_mode_runs_the_manifest_and_nothing_else(
    db: Database, tmp_path: Path, fast: bool
) -> None:
    manifest = manifest_file(tmp_path, TYPENAME)
    async with await client_with(
        fast_execution=fast, persisted_queries="only", persisted_queries_manifest=str(manifest)
    ) as http:
        # a listed operation runs by hash (POST and GET) and in full
        by_hash = await post(http, {"extensions": extension(TYPENAME)})
        assert data(by_hash) == {"__typename": "Query"}
        by_get = await get(http, extension(TYPENAME))
        assert data(by_get) == {"__typename": "Query"}
        in_full = await post(http, {"query": TYPENAME})
        assert data(in_full) == {"__typename": "Query"}
        # any other document is refused, sent plainly or with its hash (it is not registered)
        plain = await post(http, {"query": VIEWER})
        assert error_code(plain) == "PERSISTED_QUERY_NOT_ALLOWED"
        offered = await post(http, {"query": VIEWER, "extensions": extension(VIEWER)})
        assert error_code(offered) == "PERSISTED_QUERY_NOT_ALLOWED"
        unknown = await post(http, {"extensions": extension(VIEWER)})
        assert error_code(unknown) == "PERSISTED_QUERY_NOT_FOUND"
        refused_get = await http.get("/graphql", params={"query": VIEWER})
        assert error_code(refused_get) == "PERSISTED_QUERY_NOT_ALLOWED"


def test_a_manifest_with_a_wrong_id_refuses_to_start(tmp_path: Path) -> None:
    manifest = manifest_file(tmp_path, TYPENAME, wrong_id=True)
    with pytest.raises(ValueError, match="not the sha256 of its body"):
        create_app(
            Settings(
                environment="test",
                persisted_queries="only",
                persisted_queries_manifest=str(manifest),
            ),
            manage_database=False,
        )


def test_a_manifest_must_be_one(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"operations": []}))
    with pytest.raises(ValueError, match="not a manifest"):
        read_manifest(path)
    with pytest.raises(ValueError, match="cannot read it"):
        read_manifest(tmp_path / "missing.json")
    assert read_manifest(manifest_file(tmp_path, TYPENAME)) == {sha256_hex(TYPENAME): TYPENAME}


def test_only_mode_needs_a_manifest() -> None:
    with pytest.raises(ValidationError, match="PERSISTED_QUERIES_MANIFEST"):
        Settings(environment="test", persisted_queries="only")


async def test_auto_mode_serves_the_manifest_too(db: Database, tmp_path: Path) -> None:
    manifest = manifest_file(tmp_path, TYPENAME)
    async with await client_with(persisted_queries_manifest=str(manifest)) as http:
        first = await post(http, {"extensions": extension(TYPENAME)})
        assert data(first) == {"__typename": "Query"}


async def test_off_mode_refuses_the_extension(db: Database) -> None:
    async with await client_with(persisted_queries="off") as http:
        refused = await post(http, {"query": TYPENAME, "extensions": extension(TYPENAME)})
        (error,) = refused.json()["errors"]
        assert error["message"] == "PersistedQueryNotSupported"
        assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"
        plain = await post(http, {"query": TYPENAME})
        assert data(plain) == {"__typename": "Query"}


INTROSPECTION = "{ __schema { queryType { name } } }"


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "plain"])
async def test_only_mode_holds_over_the_websocket(db: Database, tmp_path: Path, fast: bool) -> None:
    # given the registered mode with one operation, driven as raw ASGI over graphql-transport-ws
    manifest = manifest_file(tmp_path, TYPENAME)
    app = create_app(
        Settings(
            environment="test",
            throttle_enabled=False,
            fast_execution=fast,
            persisted_queries="only",
            persisted_queries_manifest=str(manifest),
        ),
        manage_database=False,
    )
    incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outgoing: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def say(payload: dict[str, Any]) -> None:
        await incoming.put({"type": "websocket.receive", "text": json.dumps(payload)})

    async def heard() -> dict[str, Any]:
        message = await asyncio.wait_for(outgoing.get(), timeout=10)
        return dict(json.loads(message["text"]))

    session = asyncio.create_task(app(websocket_scope(), incoming.get, outgoing.put))
    try:
        await incoming.put({"type": "websocket.connect"})
        assert (await asyncio.wait_for(outgoing.get(), timeout=10))["type"] == "websocket.accept"
        await say({"type": "connection_init"})
        assert (await heard())["type"] == "connection_ack"
        # when a document outside the manifest (introspection) is sent over the socket
        await say({"id": "1", "type": "subscribe", "payload": {"query": INTROSPECTION}})
        refused = await heard()
        # then it is refused as over HTTP, and a listed one runs by hash
        assert refused["type"] == "error", refused
        assert refused["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"
        await say({"id": "2", "type": "subscribe", "payload": {"extensions": extension(TYPENAME)}})
        answer = await heard()
        assert answer["type"] == "next", answer
        assert answer["payload"]["data"] == {"__typename": "Query"}
    finally:
        await incoming.put({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(session, timeout=10)


async def test_a_query_by_hash_is_not_taken_as_multipart(apq: httpx.AsyncClient) -> None:
    # given a registered query
    await post(apq, {"query": TYPENAME, "extensions": extension(TYPENAME)})
    # when it is sent by hash as multipart/form-data
    operations = json.dumps({"extensions": extension(TYPENAME)})
    response = await apq.post(
        "/graphql",
        files={"operations": (None, operations), "map": (None, "{}")},
        headers=PREFLIGHT,
    )
    # then it is refused as the query it names
    assert response.status_code == 400
    assert error_code(response) == "MULTIPART_MUTATION_ONLY"
