"""File uploads over HTTP (api.graphql_multipart, api.graphql.GraphQLApp): the GraphQL multipart
request spec (`operations`, `map`, then the files), for mutations only, behind a preflight
header, within MAX_UPLOAD_BYTES, MAX_UPLOAD_FILES and MAX_MULTIPART_BYTES, each refusal a 4xx
with a code and nothing executed.

The transport is tested on a small schema of its own (below), served by the app's GraphQLApp:
the real schema has no Upload argument yet (imports and photos bring them). The real app is
tried too, with a mutation sent as multipart with no file."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import strawberry
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload

from api.graphql import GraphQLApp
from api.graphql_http import GRAPHQL_RESPONSE_JSON, JSON
from api.graphql_multipart import has_preflight_header, is_multipart_content_type
from services.kit.settings import Settings
from services.models import UserAccount
from tests.api.multipart_support import gql_upload, upload_file
from tests.conftest import Database

PREFLIGHT = {"graphql-preflight": "1"}


@dataclass
class Seen:
    """What a resolver was handed: the upload as it came, and its bytes."""

    upload: UploadFile
    data: bytes
    spooled_to_disk: bool


SEEN: list[Seen] = []


@pytest.fixture(autouse=True)
def _forget_uploads() -> Iterator[None]:
    SEEN.clear()
    yield
    SEEN.clear()


@strawberry.type
class Received:
    """A file as a resolver received it."""

    name: str | None
    content_type: str | None
    size: int
    text: str


async def receive(file: Upload) -> Received:
    assert isinstance(file, UploadFile)
    # A file used at several paths is one UploadFile: each use reads it from the start.
    await file.seek(0)
    data = await file.read()
    # Starlette spools to a temporary file beyond 1 MiB (SpooledTemporaryFile._rolled).
    SEEN.append(Seen(file, data, bool(getattr(file.file, "_rolled", False))))
    return Received(
        name=file.filename,
        content_type=file.content_type,
        size=len(data),
        text=data[:64].decode(errors="replace"),
    )


@strawberry.input
class AttachInput:
    """A note with its files."""

    note: str
    files: list[Upload]


@strawberry.type
class Query:
    """Something to ask as a query."""

    @strawberry.field
    def ping(self) -> str:
        return "pong"


@strawberry.type
class Mutation:
    """Mutations that take files as the real ones will (importData, photos)."""

    @strawberry.mutation
    async def upload(self, file: Upload) -> Received:
        return await receive(file)

    @strawberry.mutation
    async def upload_many(self, files: list[Upload]) -> list[Received]:
        return [await receive(file) for file in files]

    @strawberry.mutation
    async def attach(self, input: AttachInput) -> list[Received]:
        return [await receive(file) for file in input.files]


SCHEMA = strawberry.Schema(query=Query, mutation=Mutation)

UPLOAD = "mutation ($file: Upload!) { upload(file: $file) { name contentType size text } }"
UPLOAD_MANY = (
    "mutation ($files: [Upload!]!) { uploadMany(files: $files) { name contentType size text } }"
)
ATTACH = "mutation ($input: AttachInput!) { attach(input: $input) { name size text } }"


def settings(**values: Any) -> Settings:
    return Settings(environment="test", **values)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """The test schema behind GraphQLApp, with the default limits."""
    async with client_for(settings()) as client:
        yield client


def client_for(app_settings: Settings) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=GraphQLApp(SCHEMA, app_settings))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def upload(
    http: httpx.AsyncClient,
    operations: object,
    files_map: object,
    files: dict[str, tuple[str, bytes, str]] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """A multipart POST as the spec lays it out: `operations`, `map`, then the files."""
    return await http.post(
        "/",
        data={
            "operations": operations if isinstance(operations, str) else json.dumps(operations),
            "map": files_map if isinstance(files_map, str) else json.dumps(files_map),
        },
        # httpx sends multipart only with a file: with none, an unmapped one (which is ignored)
        files=files or {"unused": ("unused.txt", b"", "text/plain")},
        headers=PREFLIGHT if headers is None else headers,
    )


def refusal(response: httpx.Response, status: int, code: str) -> str:
    """Assert a coded refusal, with nothing executed; return its message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"errors"}, body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == code, body
    assert SEEN == []
    message: str = error["message"]
    return message


def one(query: str = UPLOAD, **variables: Any) -> dict[str, Any]:
    return {"query": query, "variables": {"file": None, **variables}}


class TestUpload:
    async def test_a_file_reaches_the_resolver_with_its_name_type_and_bytes(
        self, http: httpx.AsyncClient
    ) -> None:
        # given a file sent as the spec says, with the preflight header
        response = await upload(
            http,
            one(),
            {"0": ["variables.file"]},
            {"0": ("名单.csv", "编号,姓名\n".encode(), "text/csv")},
        )
        # then the resolver read it whole, and the answer is the usual JSON
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == JSON
        assert response.json() == {
            "data": {
                "upload": {
                    "name": "名单.csv",
                    "contentType": "text/csv",
                    "size": len("编号,姓名\n".encode()),
                    "text": "编号,姓名\n",
                }
            }
        }
        # and the file was closed once the request was answered
        (seen,) = SEEN
        assert seen.upload.file.closed

    async def test_several_files_in_a_list_and_one_file_used_twice(
        self, http: httpx.AsyncClient
    ) -> None:
        operations = {"query": UPLOAD_MANY, "variables": {"files": [None, None, None]}}
        files_map = {"a": ["variables.files.0", "variables.files.2"], "b": ["variables.files.1"]}
        files = {"a": ("a.txt", b"alpha", "text/plain"), "b": ("b.png", b"\x89PNG", "image/png")}
        response = await upload(http, operations, files_map, files)
        assert response.status_code == 200, response.text
        got = response.json()["data"]["uploadMany"]
        assert [(f["name"], f["size"]) for f in got] == [("a.txt", 5), ("b.png", 4), ("a.txt", 5)]
        assert got[1]["contentType"] == "image/png"

    async def test_files_deep_in_an_input_object(self, http: httpx.AsyncClient) -> None:
        operations = {"query": ATTACH, "variables": {"input": {"note": "n", "files": [None]}}}
        response = await upload(
            http,
            operations,
            {"0": ["variables.input.files.0"]},
            {"0": ("x.txt", b"x", "text/plain")},
        )
        assert response.json() == {"data": {"attach": [{"name": "x.txt", "size": 1, "text": "x"}]}}

    async def test_a_large_file_is_spooled_to_disk_and_arrives_whole(
        self, http: httpx.AsyncClient
    ) -> None:
        data = bytes(range(256)) * 8192  # 2 MiB: over the 1 MiB kept in memory
        response = await upload(
            http, one(), {"0": ["variables.file"]}, {"0": ("big.bin", data, "application/zip")}
        )
        assert response.json()["data"]["upload"]["size"] == len(data)
        (seen,) = SEEN
        assert seen.data == data
        assert seen.spooled_to_disk

    async def test_answers_in_graphql_response_json_when_asked(
        self, http: httpx.AsyncClient
    ) -> None:
        response = await upload(
            http,
            one(),
            {"0": ["variables.file"]},
            {"0": ("a.txt", b"a", "text/plain")},
            headers={**PREFLIGHT, "accept": GRAPHQL_RESPONSE_JSON},
        )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE_JSON)

    @pytest.mark.parametrize(
        "header", ["apollo-require-preflight", "x-apollo-operation-name", "graphql-preflight"]
    )
    async def test_any_preflight_header_will_do(self, http: httpx.AsyncClient, header: str) -> None:
        response = await upload(
            http,
            one(),
            {"0": ["variables.file"]},
            {"0": ("a.txt", b"a", "text/plain")},
            headers={header: "Upload"},
        )
        assert response.json()["data"]["upload"]["size"] == 1

    async def test_a_request_error_is_answered_as_for_json(self, http: httpx.AsyncClient) -> None:
        # a field the schema does not have: a validation error, answered as JSON requests are
        response = await upload(http, {"query": "mutation { nope }"}, {})
        assert response.status_code == 200
        assert response.json()["data"] is None
        assert SEEN == []


class TestRefusals:
    @pytest.mark.parametrize("headers", [{}, {"graphql-preflight": ""}, {"x-requested-with": "x"}])
    async def test_without_a_preflight_header_it_is_refused_as_csrf(
        self, http: httpx.AsyncClient, headers: dict[str, str]
    ) -> None:
        response = await upload(
            http,
            one(),
            {"0": ["variables.file"]},
            {"0": ("a.txt", b"a", "text/plain")},
            headers=headers,
        )
        assert "graphql-preflight" in refusal(response, 400, "CSRF_PREVENTED")

    @pytest.mark.parametrize(
        "query",
        ["query { ping }", "{ ping }", "subscription { ping }"],
    )
    async def test_only_mutations_may_be_sent_as_multipart(
        self, http: httpx.AsyncClient, query: str
    ) -> None:
        response = await upload(http, {"query": query}, {})
        refusal(response, 400, "MULTIPART_MUTATION_ONLY")

    async def test_the_named_operation_decides(self, http: httpx.AsyncClient) -> None:
        document = f"query Q {{ ping }} {UPLOAD.replace('mutation', 'mutation M', 1)}"
        files = {"0": ("a.txt", b"a", "text/plain")}
        response = await upload(
            http, {"query": document, "operationName": "Q"}, {}, headers=PREFLIGHT
        )
        refusal(response, 400, "MULTIPART_MUTATION_ONLY")
        response = await upload(
            http,
            {"query": document, "operationName": "M", "variables": {"file": None}},
            {"0": ["variables.file"]},
            files,
        )
        assert response.json()["data"]["upload"]["size"] == 1

    @pytest.mark.parametrize(
        ("name", "operations", "files_map"),
        [
            ("operations not JSON", "{query", {"0": ["variables.file"]}),
            ("map not JSON", one(), "{0: nope"),
            ("operations not an object", '"mutation"', {}),
            ("operations a batch", [one(), one()], {"0": ["0.variables.file"]}),
            ("map not an object", one(), [["variables.file"]]),
            ("map to a missing file", one(), {"1": ["variables.file"]}),
            ("map with no paths", one(), {"0": []}),
            ("map paths not a list", one(), {"0": "variables.file"}),
            ("a path not a string", one(), {"0": [0]}),
            ("a path not in variables", one(), {"0": ["variables.other"]}),
            ("a path outside variables", one(), {"0": ["query"]}),
            (
                "a path past the end of a list",
                {"query": UPLOAD_MANY, "variables": {"files": [None]}},
                {"0": ["variables.files.1"]},
            ),
            ("a path to a value that is not null", one(file="x"), {"0": ["variables.file"]}),
            (
                "variables not an object",
                {"query": UPLOAD, "variables": [None]},
                {"0": ["variables.0"]},
            ),
        ],
    )
    async def test_malformed_requests_are_400_and_run_nothing(
        self, http: httpx.AsyncClient, name: str, operations: object, files_map: object
    ) -> None:
        files = {"0": ("a.txt", b"a", "text/plain")}
        refusal(await upload(http, operations, files_map, files), 400, "BAD_REQUEST")

    @pytest.mark.parametrize("missing", ["operations", "map"])
    async def test_a_missing_field_is_400(self, http: httpx.AsyncClient, missing: str) -> None:
        data = {"operations": json.dumps(one()), "map": json.dumps({"0": ["variables.file"]})}
        del data[missing]
        response = await http.post(
            "/", data=data, files={"0": ("a.txt", b"a", "text/plain")}, headers=PREFLIGHT
        )
        assert f"`{missing}`" in refusal(response, 400, "BAD_REQUEST")

    async def test_operations_sent_as_a_file_is_400(self, http: httpx.AsyncClient) -> None:
        response = await http.post(
            "/",
            data={"map": "{}"},
            files={"operations": ("o.json", json.dumps(one()).encode(), JSON)},
            headers=PREFLIGHT,
        )
        refusal(response, 400, "BAD_REQUEST")

    @pytest.mark.parametrize(
        "body",
        [
            b"",
            b"not multipart at all",
            b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n",
        ],
    )
    async def test_a_body_that_is_not_multipart_is_400(
        self, http: httpx.AsyncClient, body: bytes
    ) -> None:
        response = await http.post(
            "/",
            content=body,
            headers={**PREFLIGHT, "content-type": "multipart/form-data; boundary=b"},
        )
        refusal(response, 400, "BAD_REQUEST")

    async def test_no_boundary_is_400(self, http: httpx.AsyncClient) -> None:
        response = await http.post(
            "/", content=b"x", headers={**PREFLIGHT, "content-type": "multipart/form-data"}
        )
        refusal(response, 400, "BAD_REQUEST")


class TestLimits:
    async def test_a_file_over_max_upload_bytes_is_413(self) -> None:
        async with client_for(settings(max_upload_bytes=100)) as http:
            # exactly the limit is read
            response = await upload(
                http, one(), {"0": ["variables.file"]}, {"0": ("a.bin", b"a" * 100, "text/plain")}
            )
            assert response.json()["data"]["upload"]["size"] == 100
            SEEN.clear()
            # one byte more is refused
            response = await upload(
                http, one(), {"0": ["variables.file"]}, {"0": ("a.bin", b"a" * 101, "text/plain")}
            )
            assert "MAX_UPLOAD_BYTES" in refusal(response, 413, "FILE_TOO_LARGE")

    async def test_more_than_max_upload_files_is_413(self) -> None:
        async with client_for(settings(max_upload_files=2)) as http:
            operations = {"query": UPLOAD_MANY, "variables": {"files": [None, None, None]}}
            files = {str(i): (f"{i}.txt", b"x", "text/plain") for i in range(3)}
            files_map = {str(i): [f"variables.files.{i}"] for i in range(3)}
            response = await upload(http, operations, files_map, files)
            assert "MAX_UPLOAD_FILES" in refusal(response, 413, "TOO_MANY_FILES")
            # two are read
            operations = {"query": UPLOAD_MANY, "variables": {"files": [None, None]}}
            del files["2"], files_map["2"]
            response = await upload(http, operations, files_map, files)
            assert len(response.json()["data"]["uploadMany"]) == 2

    async def test_a_body_over_max_multipart_bytes_is_413(self) -> None:
        limits = settings(max_upload_bytes=2048, max_multipart_bytes=4096)
        async with client_for(limits) as http:
            operations = {"query": UPLOAD_MANY, "variables": {"files": [None, None, None]}}
            files = {str(i): (f"{i}.txt", b"x" * 2000, "text/plain") for i in range(3)}
            files_map = {str(i): [f"variables.files.{i}"] for i in range(3)}
            response = await upload(http, operations, files_map, files)
            assert "MAX_MULTIPART_BYTES" in refusal(response, 413, "PAYLOAD_TOO_LARGE")

    async def test_a_streamed_body_is_cut_off_at_max_multipart_bytes(self) -> None:
        # no Content-Length (chunked): the body is counted as it comes in
        limits = settings(max_upload_bytes=2048, max_multipart_bytes=4096)
        body = _multipart_body(one(), {"0": ["variables.file"]}, b"y" * 2000) + b"z" * 5000

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(body), 1000):
                yield body[start : start + 1000]

        async with client_for(limits) as http:
            response = await http.post(
                "/",
                content=chunks(),
                headers={**PREFLIGHT, "content-type": "multipart/form-data; boundary=BOUNDARY"},
            )
            refusal(response, 413, "PAYLOAD_TOO_LARGE")

    async def test_operations_over_max_request_bytes_is_413(self) -> None:
        async with client_for(settings(max_request_bytes=2048)) as http:
            operations = one()
            operations["extensions"] = {"pad": "p" * 3000}
            response = await upload(
                http, operations, {"0": ["variables.file"]}, {"0": ("a.txt", b"a", "text/plain")}
            )
            refusal(response, 413, "PAYLOAD_TOO_LARGE")

    async def test_json_keeps_its_own_small_limit(self) -> None:
        async with client_for(settings(max_request_bytes=2048)) as http:
            body = json.dumps({"query": "{ ping }", "extensions": {"pad": "p" * 3000}})
            response = await http.post("/", content=body, headers={"content-type": JSON})
            assert "MAX_REQUEST_BYTES" in refusal(response, 413, "PAYLOAD_TOO_LARGE")

    def test_the_limits_are_settings_with_sane_bounds(self) -> None:
        defaults = settings()
        assert defaults.max_upload_bytes == 20 * 1024 * 1024
        assert defaults.max_upload_files == 10
        assert defaults.max_multipart_bytes == 50 * 1024 * 1024
        with pytest.raises(ValidationError, match="MAX_MULTIPART_BYTES"):
            settings(max_upload_bytes=10_000, max_multipart_bytes=5_000)
        with pytest.raises(ValidationError):
            settings(max_upload_files=0)


def _multipart_body(operations: object, files_map: object, data: bytes) -> bytes:
    parts = [
        b'--BOUNDARY\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
        + json.dumps(operations).encode(),
        b'--BOUNDARY\r\nContent-Disposition: form-data; name="map"\r\n\r\n'
        + json.dumps(files_map).encode(),
        b'--BOUNDARY\r\nContent-Disposition: form-data; name="0"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\n" + data,
    ]
    return b"\r\n".join(parts) + b"\r\n--BOUNDARY--\r\n"


@pytest.mark.parametrize(
    ("value", "multipart"),
    [
        ("multipart/form-data; boundary=x", True),
        ("Multipart/Form-Data", True),
        ("multipart/mixed; boundary=x", False),
        ("application/json", False),
        ("", False),
    ],
)
def test_which_content_types_are_multipart(value: str, multipart: bool) -> None:
    assert is_multipart_content_type(value) is multipart


def test_preflight_headers_need_a_value() -> None:
    assert has_preflight_header({"apollo-require-preflight": "true"})
    assert not has_preflight_header({"apollo-require-preflight": " "})
    assert not has_preflight_header({"content-type": "multipart/form-data"})


class TestTheRealApp:
    """The app as it runs (api.app), on the test's database: multipart reaches its schema."""

    SIGN_UP = "mutation ($input: SignUpInput!) { signUp(input: $input) { __typename } }"

    async def test_a_mutation_sent_as_multipart_runs(
        self, client: httpx.AsyncClient, db: Database
    ) -> None:
        sign_up = {
            "input": {
                "username": "multipart-user",
                "password": "kettle-9-harbour-lamp",
                "name": "试用者",
            }
        }
        response = await gql_upload(client, self.SIGN_UP, sign_up)
        assert response.json()["data"] == {"signUp": {"__typename": "SignUpSuccess"}}
        assert await UserAccount.exists(username="multipart-user")

    async def test_without_the_preflight_header_nothing_is_written(
        self, client: httpx.AsyncClient, db: Database
    ) -> None:
        operations = {
            "query": self.SIGN_UP,
            "variables": {
                "input": {
                    "username": "csrf-victim",
                    "password": "kettle-9-harbour-lamp",
                    "name": "试用者",
                }
            },
        }
        response = await _real(client, operations, {})
        refusal(response, 400, "CSRF_PREVENTED")
        assert not await UserAccount.exists(username="csrf-victim")

    async def test_a_query_sent_as_multipart_is_refused(
        self, client: httpx.AsyncClient, db: Database
    ) -> None:
        response = await _real(client, {"query": "{ __typename }"}, PREFLIGHT)
        refusal(response, 400, "MULTIPART_MUTATION_ONLY")


async def _real(
    client: httpx.AsyncClient, operations: dict[str, Any], headers: dict[str, str]
) -> httpx.Response:
    """A multipart POST with no file to the real app's /graphql (httpx needs a file part to
    send multipart: an unmapped one, which the spec lets the server ignore)."""
    return await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": "{}"},
        files={"unused": ("unused.txt", b"", "text/plain")},
        headers=headers,
    )


class TestSupport:
    """tests/api/multipart_support.py, which the tests of upload fields use."""

    async def test_gql_upload_places_files_at_their_paths(self, http: httpx.AsyncClient) -> None:
        response = await gql_upload(
            http,
            ATTACH,
            {"input": {"note": "n"}},
            {
                "input.files.0": ("a.txt", b"a", "text/plain"),
                "input.files.1": ("b.txt", b"bb", "text/plain"),
            },
            url="/",
        )
        assert response.json() == {
            "data": {
                "attach": [
                    {"name": "a.txt", "size": 1, "text": "a"},
                    {"name": "b.txt", "size": 2, "text": "bb"},
                ]
            }
        }

    async def test_upload_file_runs_a_schema_directly(self) -> None:
        result = await SCHEMA.execute(
            UPLOAD, variable_values={"file": upload_file("a.csv", b"x,y", "text/csv")}
        )
        assert result.errors is None
        assert result.data == {
            "upload": {"name": "a.csv", "contentType": "text/csv", "size": 3, "text": "x,y"}
        }
