"""GraphQL over HTTP as its spec writes it (api.graphql_http, api.graphql.GraphQLApp): the
response media type a client accepts, the status of request errors in each, GET for queries
only, and the transport's bounds (content type, body size, JSON depth), each refused with a
4xx and a code, changing nothing. tests/api/test_graphql_over_http_audit.py runs the spec's
own audit suite against the real server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import GraphQLError, GraphQLInputObjectType, GraphQLList, GraphQLNonNull
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from starlette.applications import Starlette
from strawberry.types.execution import ExecutionResult, PreExecutionError

from api.app import create_app
from api.graphql import is_request_error, request_error_status
from api.graphql_http import (
    GRAPHQL_RESPONSE_JSON,
    JSON,
    is_json_content_type,
    json_depth_exceeds,
    response_media_type,
)
from schema.build import build_schema
from services.errors import Forbidden
from services.kit.settings import Settings, get_settings
from services.models import UserAccount
from tests.conftest import Database, websocket_scope

GRJ = GRAPHQL_RESPONSE_JSON
GRJ_TYPE = f"{GRJ}; charset=utf-8"
APOLLO_ACCEPT = f"{GRJ}, application/json;q=0.9"

SIGN_UP = """
mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) { __typename ... on SignUpSuccess { viewer { username } } }
}
"""


def sign_up(username: str) -> dict[str, Any]:
    """A valid sign-up of `username`: sent as it should be, it creates the account."""
    return {
        "query": SIGN_UP,
        "variables": {
            "input": {"username": username, "password": "kettle-9-harbour-lamp", "name": "试用者"}
        },
    }


def nested(depth: int, leaf: object = 1) -> str:
    """JSON text of `leaf` inside `depth` arrays."""
    return "[" * depth + json.dumps(leaf) + "]" * depth


async def post(
    http: httpx.AsyncClient,
    body: bytes | str | dict[str, Any],
    *,
    accept: str | None = None,
    content_type: str | None = JSON,
) -> httpx.Response:
    headers = {}
    if accept is not None:
        headers["accept"] = accept
    if content_type is not None:
        headers["content-type"] = content_type
    content = json.dumps(body) if isinstance(body, dict) else body
    return await http.post("/graphql", content=content, headers=headers)


def refusal(response: httpx.Response, status: int, code: str) -> str:
    """Assert a coded refusal, `{"errors": [{"message", "extensions": {"code"}}]}` and no data;
    return its message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"errors"}, body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == code, body
    message: str = error["message"]
    return message


def app_with(**settings: Any) -> Starlette:
    return create_app(Settings(environment="test", **settings), manage_database=False)


@pytest.fixture
async def small(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The app with MAX_REQUEST_BYTES=4096 and MAX_JSON_DEPTH=8, on the test's database."""
    transport = httpx.ASGITransport(
        app=app_with(max_request_bytes=4096, max_json_depth=8), client=("10.0.0.1", 5555)
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


# --- which media type ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("", JSON),  # no Accept: the legacy default
        ("*/*", JSON),
        ("application/*", JSON),
        ("application/json", JSON),
        (GRJ, GRJ),
        (GRJ.upper(), GRJ),
        (APOLLO_ACCEPT, GRJ),
        (f"application/json, {GRJ}", GRJ),  # both named with the same quality
        (f"{GRJ};q=0.5, application/json", JSON),
        (f"{GRJ}; charset=utf-8", GRJ),
        (f"{GRJ}; charset=latin-1, application/json;q=0.1", JSON),
        (f"{GRJ}, */*;q=0.8", GRJ),
        ("*/*;q=0.5, application/json;q=0", GRJ),  # application/json refused outright
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", JSON),  # a browser
        ("application/json, text/plain, */*", JSON),  # axios
        (f"{GRJ}, application/graphql+json, application/json, text/event-stream", GRJ),  # urql
        ("text/html", None),
        ("application/xml, text/event-stream", None),
        ("application/json;q=0", None),
        ("application/json;q=2", None),  # not a quality: the range is ignored
    ],
)
def test_the_response_media_type_follows_accept(accept: str, expected: str | None) -> None:
    assert response_media_type(accept) == expected


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("application/json", True),
        ("Application/JSON", True),
        ("application/json; charset=utf-8", True),
        ('application/json;charset="UTF-8"', True),
        ("application/jsonx", False),
        ("application/json-patch+json", False),
        ("text/json", False),
        ("text/plain", False),
        ("application/x-www-form-urlencoded", False),
        ("application/json; charset=latin-1", False),
        ("", False),
    ],
)
def test_only_application_json_is_a_json_body(value: str, accepted: bool) -> None:
    assert is_json_content_type(value) is accepted


async def test_graphql_response_json_is_answered_to_who_accepts_it(
    client: httpx.AsyncClient,
) -> None:
    for accept, media_type in ((APOLLO_ACCEPT, GRJ_TYPE), (None, JSON), ("*/*", JSON)):
        response = await post(client, {"query": "{ __typename }"}, accept=accept)
        assert response.status_code == 200, accept
        assert response.headers["content-type"] == media_type, accept
        assert response.json()["data"] == {"__typename": "Query"}


async def test_an_accept_that_allows_neither_type_is_406(client: httpx.AsyncClient) -> None:
    # a POST, and a GET with a query, for a client that reads only HTML
    for response in (
        await post(client, {"query": "{ __typename }"}, accept="text/html"),
        await client.get(
            "/graphql", params={"query": "{ __typename }"}, headers={"accept": "text/html"}
        ),
    ):
        assert "Accept" in refusal(response, 406, "NOT_ACCEPTABLE")
        assert response.headers["content-type"] == JSON
    # while a browser still gets GraphiQL's page
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")


# --- request errors ------------------------------------------------------------------------------

# (name, body, the code of its error: "*" any code, None not checked here: variable coercion
# errors get their codes in schema/, issue 13 part 2)
_REQUEST_ERRORS: list[tuple[str, dict[str, Any], str | None]] = [
    ("document parsing", {"query": "{"}, "*"),
    ("document validation", {"query": "{ noSuchField }"}, "*"),
    (
        "query limits",
        {"query": "{ " + " ".join(f"a{i}: __typename" for i in range(40)) + " }"},
        "*",
    ),
    (
        "variable coercion",
        {"query": "query($id: ID!) { node(id: $id) { id } }", "variables": {"id": None}},
        None,
    ),
    (
        "unknown operation",
        {"query": "query A { __typename }", "operationName": "B"},
        "OPERATION_RESOLUTION_FAILURE",
    ),
    (
        "no operation chosen",
        {"query": "query A { __typename } query B { __typename }"},
        "OPERATION_RESOLUTION_FAILURE",
    ),
    (
        "no operation at all",
        {"query": "fragment F on Query { __typename }"},
        "OPERATION_RESOLUTION_FAILURE",
    ),
]


@pytest.mark.parametrize(
    ("name", "body", "code"), _REQUEST_ERRORS, ids=[case[0] for case in _REQUEST_ERRORS]
)
async def test_request_errors_are_400_without_data_in_graphql_response_json(
    client: httpx.AsyncClient, name: str, body: dict[str, Any], code: str | None
) -> None:
    # when the operation fails before it is executed, for a client that accepts the new type
    response = await post(client, body, accept=APOLLO_ACCEPT)
    # then it is a 400 in that type, with errors and no `data` entry
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == GRJ_TYPE
    answer = response.json()
    assert "data" not in answer
    assert answer["errors"], answer
    if code is not None:
        assert answer["errors"][0]["extensions"]["code"] == code or code == "*", answer
    # and an application/json client gets what it always got: 200, `data: null`, the same errors
    legacy = await post(client, body, accept=JSON)
    assert legacy.status_code == 200
    assert legacy.headers["content-type"] == JSON
    legacy_answer = legacy.json()
    assert legacy_answer["data"] is None and legacy_answer["errors"] == answer["errors"]


async def test_field_errors_keep_200_and_partial_data_in_graphql_response_json(
    client: httpx.AsyncClient,
) -> None:
    # given an anonymous reader of an area: its name is public, its households are not
    query = "{ areas(first: 1) { edges { node { name households(first: 1) { totalCount } } } } }"
    # when it is read by a client accepting application/graphql-response+json
    response = await post(client, {"query": query}, accept=APOLLO_ACCEPT)
    # then the operation ran: 200, the data, and the field's error with its path
    assert response.status_code == 200, response.text
    body = response.json()
    (edge,) = body["data"]["areas"]["edges"]
    assert edge["node"]["name"] and edge["node"]["households"] is None
    (error,) = body["errors"]
    assert error["path"][-1] == "households"
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


def test_which_errors_are_request_errors_and_their_status() -> None:
    field_error = GraphQLError("no", path=["viewer"], extensions={"code": "FORBIDDEN"})
    no_path = GraphQLError("Variable '$id' has invalid value")
    assert is_request_error(PreExecutionError(data=None, errors=[field_error]))
    assert is_request_error(ExecutionResult(data=None, errors=[no_path]))
    assert not is_request_error(ExecutionResult(data=None, errors=[field_error]))
    assert not is_request_error(ExecutionResult(data={"viewer": None}, errors=[no_path]))
    assert request_error_status([no_path]) == 400
    assert request_error_status([GraphQLError("x", extensions={"code": "THROTTLED"})]) == 429
    assert request_error_status([GraphQLError("x", extensions={"code": "INTERNAL"})]) == 500
    unexpected = GraphQLError("maximum recursion depth exceeded", original_error=RecursionError())
    assert request_error_status([unexpected]) == 500
    expected = GraphQLError("not yours", original_error=Forbidden("not yours"))
    assert request_error_status([expected]) == 400


# --- methods -------------------------------------------------------------------------------------


@pytest.mark.parametrize("accept", [None, JSON, APOLLO_ACCEPT])
async def test_a_mutation_over_get_is_405_and_writes_nothing(
    client: httpx.AsyncClient, accept: str | None
) -> None:
    # given a sign-up sent as a GET (a link or an <img> could send one)
    operation = sign_up("via-get")
    params = {"query": operation["query"], "variables": json.dumps(operation["variables"])}
    headers = {"accept": accept} if accept else {}
    # when it arrives
    response = await client.get("/graphql", params=params, headers=headers)
    # then it is refused as the wrong method for a mutation, and nothing was written
    assert "POST" in refusal(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "POST"
    assert not await UserAccount.exists(username="via-get")
    # while the same operation POSTed signs up (so the refusal is what kept it out)
    posted = await post(client, operation, accept=accept)
    assert posted.json()["data"]["signUp"]["__typename"] == "SignUpSuccess", posted.text
    assert await UserAccount.exists(username="via-get")


async def test_a_query_over_get_in_either_media_type(client: httpx.AsyncClient) -> None:
    params = {"query": "query($n: String!) { __type(name: $n) { name } }"}
    params["variables"] = json.dumps({"n": "Query"})
    for accept, media_type in ((APOLLO_ACCEPT, GRJ_TYPE), (JSON, JSON)):
        response = await client.get("/graphql", params=params, headers={"accept": accept})
        assert response.status_code == 200
        assert response.headers["content-type"] == media_type
        assert response.json()["data"] == {"__type": {"name": "Query"}}
    # an empty parameter is no parameter
    response = await client.get("/graphql", params={"query": "{ __typename }", "variables": ""})
    assert response.json()["data"] == {"__typename": "Query"}


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"])
async def test_other_methods_are_405_with_allow(client: httpx.AsyncClient, method: str) -> None:
    response = await client.request(method, "/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    if method != "HEAD":
        refusal(response, 405, "METHOD_NOT_ALLOWED")


# --- malformed requests --------------------------------------------------------------------------

_MALFORMED: list[tuple[str, bytes]] = [
    ("not JSON", b'{ "not a JSON'),
    ("empty body", b""),
    ("bad utf-8", b'{"query": "\xff"}'),
    ("not an object", b'"{ __typename }"'),
    ("null", b"null"),
    ("batch", b'[{"query": "{ __typename }"}]'),
    ("no query", b'{"qeury": "{ __typename }"}'),
    ("empty query", b'{"query": ""}'),
    ("query not text", b'{"query": {"obj": "ect"}}'),
    ("variables not an object", b'{"query": "{ __typename }", "variables": [7]}'),
    ("extensions not an object", b'{"query": "{ __typename }", "extensions": "x"}'),
    ("operationName a number", b'{"query": "{ __typename }", "operationName": 7}'),
    ("operationName false", b'{"query": "{ __typename }", "operationName": false}'),
    ("operationName an object", b'{"query": "{ __typename }", "operationName": {}}'),
]


@pytest.mark.parametrize(("name", "body"), _MALFORMED, ids=[case[0] for case in _MALFORMED])
@pytest.mark.parametrize("accept", [JSON, APOLLO_ACCEPT])
async def test_malformed_requests_are_400_with_a_code(
    client: httpx.AsyncClient, name: str, body: bytes, accept: str
) -> None:
    response = await post(client, body, accept=accept)
    refusal(response, 400, "BAD_REQUEST")
    assert response.headers["content-type"] == (GRJ_TYPE if accept == APOLLO_ACCEPT else JSON)


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "application/jsonx",
        "text/json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/graphql",
        "application/json; charset=latin-1",
    ],
)
async def test_a_body_that_is_not_application_json_is_415_and_writes_nothing(
    client: httpx.AsyncClient, content_type: str | None
) -> None:
    # given a valid sign-up, sent as something other than application/json
    response = await post(client, sign_up("not-json"), content_type=content_type)
    # then it is refused without being read, and nothing was written
    refusal(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert not await UserAccount.exists(username="not-json")


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "Application/JSON", "application/json; charset=utf-8"],
)
async def test_application_json_with_its_parameters_is_read(
    client: httpx.AsyncClient, content_type: str
) -> None:
    response = await post(client, {"query": "{ __typename }"}, content_type=content_type)
    assert response.json()["data"] == {"__typename": "Query"}


# --- body size -----------------------------------------------------------------------------------


def padded(body: dict[str, Any], size: int) -> bytes:
    """`body` as JSON, padded with spaces to exactly `size` bytes."""
    text = json.dumps(body).encode()
    assert len(text) <= size
    return text + b" " * (size - len(text))


async def test_a_body_over_max_request_bytes_is_413(small: httpx.AsyncClient) -> None:
    # a body of exactly MAX_REQUEST_BYTES is read
    response = await post(small, padded({"query": "{ __typename }"}, 4096))
    assert response.json()["data"] == {"__typename": "Query"}
    # one byte more is refused (its Content-Length says so), and a sign-up in it is not read
    response = await post(small, padded(sign_up("too-large"), 4097))
    assert "4096" in refusal(response, 413, "PAYLOAD_TOO_LARGE")
    assert not await UserAccount.exists(username="too-large")
    # as are a GET's variables over the limit
    response = await small.get(
        "/graphql",
        params={"query": "{ __typename }", "variables": json.dumps({"x": "y" * 4100})},
    )
    refusal(response, 413, "PAYLOAD_TOO_LARGE")


async def _raw_post(
    app: Starlette, headers: list[tuple[bytes, bytes]], chunks: list[bytes]
) -> tuple[int, dict[str, str], bytes]:
    """POST /graphql as raw ASGI, the body in `chunks` with whatever headers are given (httpx
    always sends a true Content-Length)."""
    pending = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"test"), (b"content-type", b"application/json"), *headers],
        "client": ("10.0.0.1", 5555),
        "server": ("test", 80),
    }
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    head = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], head, body


@pytest.mark.parametrize("content_length", [None, b"100"], ids=["chunked", "lying"])
async def test_a_streamed_body_is_cut_off_at_max_request_bytes(
    db: Database, content_length: bytes | None
) -> None:
    # given a sign-up padded past the limit, streamed in pieces with no Content-Length (a
    # chunked upload) or with one that claims less than is sent
    body = padded(sign_up("streamed"), 3 * 2000)
    chunks = [body[i : i + 2000] for i in range(0, len(body), 2000)]
    headers = [] if content_length is None else [(b"content-length", content_length)]
    # when it is sent
    status, head, answer = await _raw_post(app_with(max_request_bytes=4096), headers, chunks)
    # then it is refused once the limit is passed, and nothing was written
    assert status == 413, answer
    assert head["content-type"] == JSON
    assert json.loads(answer)["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert not await UserAccount.exists(username="streamed")


# --- JSON depth ----------------------------------------------------------------------------------


def _depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


_TRICKY_TEXT = st.text(alphabet='[]{}"\\ a\n', max_size=6)
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | _TRICKY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TRICKY_TEXT, inner, max_size=3),
    max_leaves=30,
)


@given(value=_JSON_VALUES, bound=st.integers(0, 14), copies=st.sampled_from([1, 400]))
def test_the_depth_scan_agrees_with_the_parsed_depth(
    value: object, bound: int, copies: int
) -> None:
    # (400 copies make the text long enough for the scan's passes over many brackets)
    document = [value] * copies if copies > 1 else value
    text = json.dumps(document, ensure_ascii=False)
    assert json_depth_exceeds(text, bound) is (_depth(document) > bound)
    assert json_depth_exceeds(text.encode(), bound) is (_depth(document) > bound)


@pytest.mark.parametrize("depth", [31, 32, 33, 2000, 200_000])
def test_the_depth_scan_on_long_chains_and_wide_arrays(depth: int) -> None:
    assert json_depth_exceeds(nested(depth), 32) is (depth > 32)
    wide = "[" + ",".join([nested(depth - 1)] * 50) + "]"
    assert json_depth_exceeds(wide, 32) is (depth > 32)
    # brackets inside strings do not count, escaped quotes do not end a string
    assert not json_depth_exceeds(json.dumps(['\\"' + "[" * 100, "{" * 100]), 2)
    # malformed text that does not nest deeply is left to the parser, short or long
    assert not json_depth_exceeds("[]]" * 40, 32)
    assert not json_depth_exceeds("[1]]" * 4000, 32)
    assert json_depth_exceeds("[" * 40 + "1", 32)  # a truncated text that did nest deeply


@pytest.mark.parametrize("depth", [33, 300, 600, 1100, 5000, 100_000])
@pytest.mark.parametrize("accept", [JSON, APOLLO_ACCEPT])
async def test_variables_nested_too_deeply_are_400_not_500(
    client: httpx.AsyncClient, depth: int, accept: str
) -> None:
    # given a variable nested deeper than MAX_JSON_DEPTH (32), beside a valid sign-up's
    operation = sign_up("deep")
    variables = json.dumps(operation["variables"])[:-1] + f', "junk": {nested(depth)}}}'
    body = f'{{"query": {json.dumps(operation["query"])}, "variables": {variables}}}'
    # when they are sent
    response = await post(client, body, accept=accept)
    # then the request is refused before any parsing, with its code, and nothing was written
    assert "MAX_JSON_DEPTH" in refusal(response, 400, "JSON_TOO_DEEP")
    assert not await UserAccount.exists(username="deep")


async def test_json_depth_is_a_setting(small: httpx.AsyncClient) -> None:
    query = "query($id: ID!) { node(id: $id) { id } }"
    # 7 arrays in the variables object are 8 levels: within MAX_JSON_DEPTH=8, so GraphQL reads
    # them (and refuses the value as an id)
    within = f'{{"query": "{query}", "variables": {{"id": {nested(6)}}}}}'
    response = await post(small, within)
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    # one more is refused unread, in a body and in a GET's variables alike
    response = await post(small, f'{{"query": "{query}", "variables": {{"id": {nested(8)}}}}}')
    refusal(response, 400, "JSON_TOO_DEEP")
    response = await small.get(
        "/graphql", params={"query": query, "variables": f'{{"id": {nested(8)}}}'}
    )
    refusal(response, 400, "JSON_TOO_DEEP")


def _input_depth(kind: Any, seen: frozenset[str] = frozenset()) -> int:
    """How deeply arrays and objects nest in a value of this input type."""
    while isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    if isinstance(kind, GraphQLList):
        return 1 + _input_depth(kind.of_type, seen)
    if isinstance(kind, GraphQLInputObjectType):
        assert kind.name not in seen, f"{kind.name} contains itself: its depth has no bound"
        fields = kind.fields.values()
        return 1 + max((_input_depth(f.type, seen | {kind.name}) for f in fields), default=0)
    return 0


def test_the_default_depth_fits_the_deepest_input_of_the_schema() -> None:
    # given every argument of every field of every type in the schema
    schema = build_schema(get_settings())._schema
    deepest = max(
        _input_depth(argument.type)
        for named in schema.type_map.values()
        for field in getattr(named, "fields", {}).values()
        for argument in getattr(field, "args", {}).values()
    )
    # then a request carrying the deepest (the body's object and `variables` around it) is
    # well within the default MAX_JSON_DEPTH
    assert deepest > 1
    assert 2 + deepest <= get_settings().max_json_depth // 2, deepest


def test_the_bounds_themselves_are_bounded() -> None:
    with pytest.raises(ValidationError):
        Settings(environment="test", max_json_depth=500)  # the stack would not hold it
    with pytest.raises(ValidationError):
        Settings(environment="test", max_request_bytes=100)


# --- WebSocket messages --------------------------------------------------------------------------


@pytest.mark.parametrize("message", ["deep", "large"])
async def test_a_websocket_message_too_deep_or_too_large_closes_the_connection(
    db: Database, message: str
) -> None:
    # given a graphql-transport-ws connection to the app (MAX_REQUEST_BYTES=4096, depth 8)
    app = app_with(max_request_bytes=4096, max_json_depth=8)
    incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outgoing: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    scope = websocket_scope()

    async def next_message() -> dict[str, Any]:
        return await asyncio.wait_for(outgoing.get(), timeout=5)

    session = asyncio.create_task(app(scope, incoming.get, outgoing.put))
    try:
        await incoming.put({"type": "websocket.connect"})
        assert (await next_message())["type"] == "websocket.accept"
        await incoming.put({"type": "websocket.receive", "text": '{"type": "connection_init"}'})
        assert json.loads((await next_message())["text"]) == {"type": "connection_ack"}
        # when a message nested deeper than MAX_JSON_DEPTH, or larger than MAX_REQUEST_BYTES,
        # is sent
        payload = {"query": "{ __typename }", "variables": {"x": "y" * 5000}}
        text = json.dumps({"id": "1", "type": "subscribe", "payload": payload})
        if message == "deep":
            text = f'{{"id": "1", "type": "subscribe", "payload": {nested(12, {})}}}'
        await incoming.put({"type": "websocket.receive", "text": text})
        # then the server closes the connection as for any invalid message (4400)
        closed = await next_message()
        assert closed["type"] == "websocket.close", closed
        assert closed["code"] == 4400
    finally:
        await incoming.put({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(session, timeout=5)
