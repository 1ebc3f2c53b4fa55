"""Fuzzing every query and mutation from the schema (hypothesis-graphql), over HTTP.

For every root field of Query and Mutation, operations are generated from the live schema:
random arguments (with realistic ids, numbers, codes and times most of the time, so that most
of them get past validation and run), random selections. Each is sent to the app as the
district admin and anonymously, and every answer must be an ordinary GraphQL answer: no 5xx,
no INTERNAL, and a code on every error. A new operation is fuzzed without anyone listing it.

The cases are generated with a fixed seed (hypothesis `derandomize`), so CI sees the same ones
every run: FUZZ_EXAMPLES per operation and identity (default 6, 1,452 requests); `make fuzz`
runs many more. Each operation gets a fresh demo database, so one operation's changes (an admin
ending their own role) do not blind the others.

`make test` fuzzes on SQLite only: on PostgreSQL each operation's fresh database (a copy of the
template) costs about a second, which would add some 3.5 minutes to the suite for the same
schema and service code; the database-specific ways input used to fail (NUL, lone surrogates,
over-long text, LIKE patterns, timestamps out of range) have their own tests on both databases.
With FUZZ_EXAMPLES set (`make fuzz`), every database of the run is fuzzed.
"""

from __future__ import annotations

import base64
import json
import os
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import graphql
import httpx
import pytest
from graphql import (
    GraphQLInputObjectType,
    StringValueNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_named_type,
    print_ast,
    visit,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries

from schema.build import default_schema
from schema.core.ids import declared_types, node_type_names
from tests.conftest import BACKENDS, Database, _open, login

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
GRAPHQL = default_schema()._schema
NODE_TYPES = sorted(node_type_names(GRAPHQL))
OPERATIONS = [("query", name) for name in GRAPHQL.query_type.fields] + [  # type: ignore[union-attr]
    ("mutation", name)
    for name in GRAPHQL.mutation_type.fields  # type: ignore[union-attr]
]

# --- what the generator puts in arguments --------------------------------------------------------

_MARK = "\x1fid:"  # an ID placeholder, filled in by position (see _IdFiller)
_MALFORMED = [
    "",
    "171",
    "-247589",
    "not base64!",
    base64.b64encode(b"Area:0").decode(),
    base64.b64encode(b"NoSuchType:1").decode(),
    base64.b64encode(b"Area:007").decode(),
    "QXJlYTox" * 40,
]
_WORDS = [
    "VOLUNTEER_HOUR",
    "GOOD_DEED",
    "LATE_REPORT",
    "WATER_ELECTRIC",
    "SANITATION",
    "2026Q2",
    "2026Q5",
    "2026-05",
    "2026-05-13",
    "month",
    "resident",
    "district_admin",
    "gridpoints-demo",
    "颜山社区",
    "123456",
    "%_",
    " ",
]
# Text refused before execution, now and then: NUL, a lone surrogate (JSON carries it as
# \ud800, UTF-8 cannot), a LIKE pattern too long for SQLite.
_HAZARDS = ["a\x00b", "a\ud800b", "%_" * 24_000]
_ZONES = [
    UTC,
    timezone(timedelta(hours=8)),
    timezone(timedelta(hours=-12)),
    timezone(timedelta(hours=14)),
]


def _text() -> st.SearchStrategy[str]:
    # No surrogates (JSON cannot carry them) and no NUL (refused before execution, as a word
    # above now and then); anything else goes.
    readable = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
    words, short = st.sampled_from(_WORDS), st.text(readable, max_size=12)
    long = st.text(readable, min_size=90, max_size=400)
    return st.one_of(words, short, words, short, words, short, long, st.sampled_from(_HAZARDS))


def _moments() -> st.SearchStrategy[str]:
    aware = st.datetimes(
        min_value=datetime(1999, 1, 1),
        max_value=datetime(2101, 12, 31),
        timezones=st.sampled_from(_ZONES),
    ).map(datetime.isoformat)
    near = st.integers(-400, 400).map(
        lambda days: (
            datetime(2026, 5, 13, 10, tzinfo=_ZONES[1]) + timedelta(days=days)
        ).isoformat()
    )
    odd = st.sampled_from(
        ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "2026-05-13T10:00:00", "soon"]
    )
    # Hypothesis starts with the first strategy: the times that run come first.
    return st.one_of(near, near, near, aware, odd)


def _dates() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(-400, 400).map(
            lambda days: (datetime(2026, 5, 13) + timedelta(days=days)).date().isoformat()
        ),
        st.dates(
            min_value=datetime(1999, 1, 1).date(), max_value=datetime(2101, 12, 31).date()
        ).map(lambda d: d.isoformat()),
        st.sampled_from(["2026-05-13", "0001-01-01", "2026-02-30", "tomorrow"]),
    )


def _ints() -> st.SearchStrategy[int]:
    small = st.integers(0, 20)  # mostly: page sizes and quantities that run
    edges = st.sampled_from([-1, 101, 1_001, 10**6, 2**31 - 1, -(2**31)])
    return st.one_of(small, small, small, small, small, st.integers(-2, 120), edges)


CUSTOM_SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "ID": st.tuples(st.integers(0, 39), st.integers(1, 30), st.integers(0, 99)).map(
        lambda t: nodes.String(f"{_MARK}{t[0]}:{t[1]}:{t[2]}")
    ),
    "String": _text().map(nodes.String),
    "Int": _ints().map(nodes.Int),
    "DateTime": _moments().map(nodes.String),
    "Date": _dates().map(nodes.String),
    # A JSON request cannot carry a file: whatever text stands in for one is refused as input.
    "Upload": _text().map(nodes.String),
}


def gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


class _IdFiller(Visitor):
    """Turns each ID placeholder into an id for its position: mostly of a type the argument
    declares (so the operation runs), sometimes of another type or malformed."""

    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self.type_info = type_info
        self.expected: list[tuple[str, ...]] = []

    def enter_argument(self, node: Any, *_: Any) -> Any:
        argument = self.type_info.get_argument()
        self.expected.append((declared_types(argument) if argument else None) or ())
        value = node.value
        if not isinstance(value, StringValueNode) or value.value == "%_":
            return None
        # Arguments with a format of their own get one mostly (random text is refused before
        # anything runs): a cursor of the list, a period.
        pick = len(value.value)
        if node.name.value == "after":
            text = base64.b64encode(f"cursor:{pick % 30 + 1}".encode()).decode()
        elif node.name.value == "period":
            text = ["2026Q2", "2026-05", "2026-04-01..2026-05-31", "2025Q4"][pick % 4]
        else:
            return None
        return node.__class__(name=node.name, value=StringValueNode(value=text))

    def leave_argument(self, *_: Any) -> None:
        self.expected.pop()

    def enter_object_field(self, node: Any, *_: Any) -> None:
        parent = get_named_type(self.type_info.get_parent_input_type())
        field = (
            parent.fields.get(node.name.value)
            if isinstance(parent, GraphQLInputObjectType)
            else None
        )
        self.expected.append((declared_types(field) if field else None) or ())

    def leave_object_field(self, *_: Any) -> None:
        self.expected.pop()

    def enter_string_value(self, node: StringValueNode, *_: Any) -> StringValueNode | None:
        if not node.value.startswith(_MARK):
            return None
        kind, key, pick = (int(part) for part in node.value[len(_MARK) :].split(":"))
        expected = self.expected[-1] if self.expected else ()
        # Hypothesis starts from the simplest values (0): those are the ids that run.
        if kind == 39:
            value = _MALFORMED[pick % len(_MALFORMED)]
        elif kind == 38 or not expected:
            value = gid(NODE_TYPES[pick % len(NODE_TYPES)], key)
        else:
            value = gid(expected[pick % len(expected)], key)
        return StringValueNode(value=value)


def _hoisted(document: graphql.DocumentNode) -> tuple[str, dict[str, Any]]:
    """The operation with its root fields' arguments moved into variables."""
    (operation,) = document.definitions
    assert isinstance(operation, graphql.OperationDefinitionNode)
    root = GRAPHQL.get_root_type(operation.operation)
    assert root is not None
    definitions, variables, selections = [], {}, []
    for selection in operation.selection_set.selections:
        if not isinstance(selection, graphql.FieldNode) or not selection.arguments:
            selections.append(selection)
            continue
        arguments = []
        for argument in selection.arguments:
            name = f"v{len(variables)}"
            arg_type = root.fields[selection.name.value].args[argument.name.value].type
            variables[name] = graphql.value_from_ast_untyped(argument.value)
            variable = graphql.VariableNode(name=graphql.NameNode(value=name))
            definitions.append(
                graphql.VariableDefinitionNode(
                    variable=variable, type=graphql.parse_type(str(arg_type)), directives=()
                )
            )
            arguments.append(graphql.ArgumentNode(name=argument.name, value=variable))
        selections.append(
            graphql.FieldNode(
                alias=selection.alias,
                name=selection.name,
                arguments=tuple(arguments),
                directives=selection.directives,
                selection_set=selection.selection_set,
            )
        )
    hoisted = graphql.OperationDefinitionNode(
        operation=operation.operation,
        name=graphql.NameNode(value="Fuzz"),
        variable_definitions=tuple(definitions),
        directives=(),
        selection_set=graphql.SelectionSetNode(selections=tuple(selections)),
    )
    return print_ast(graphql.DocumentNode(definitions=(hoisted,))), variables


def _printed(document: graphql.DocumentNode) -> tuple[str, dict[str, Any]]:
    """The operation with its ids filled in: every other one with its arguments inline, the
    others with them in variables (which take another way through coercion and the checks)."""
    type_info = TypeInfo(GRAPHQL)
    filled = visit(document, TypeInfoVisitor(type_info, _IdFiller(type_info)))
    text = print_ast(filled)
    if zlib.crc32(text.encode("utf-8", "surrogatepass")) % 2:
        return _hoisted(filled)
    return text, {}


def generate(kind: str, name: str, count: int) -> list[tuple[str, dict[str, Any]]]:
    """`count` operations on the root field `name`, the same ones on every run."""
    build = queries if kind == "query" else mutations
    strategy = build(GRAPHQL, fields=[name], custom_scalars=CUSTOM_SCALARS, print_ast=_printed)
    found: list[tuple[str, dict[str, Any]]] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(strategy)
    def collect(operation: tuple[str, dict[str, Any]]) -> None:
        found.append(operation)

    collect()
    return found


# --- the check -----------------------------------------------------------------------------------


def problems(response: httpx.Response) -> list[str]:
    """What is wrong with an answer: a 5xx, an INTERNAL, an error without a code."""
    if response.status_code >= 500:
        return [f"HTTP {response.status_code}: {response.text[:300]}"]
    try:
        body = response.json()
    except ValueError:
        return [f"HTTP {response.status_code}, not JSON: {response.text[:300]}"]
    found = []
    for error in body.get("errors") or ():
        code = (error.get("extensions") or {}).get("code")
        message = error.get("message", "")
        if code is None or code == "INTERNAL" or len(message) > 600:
            found.append(f"{code}: {message[:300]}")
    return found


def reached_execution(response: httpx.Response) -> bool:
    """The operation ran: its answer has data (refusals before execution have none)."""
    try:
        return response.json().get("data") is not None
    except ValueError:  # a transport refusal (4xx)
        return False


FUZZ_BACKENDS = BACKENDS if "FUZZ_EXAMPLES" in os.environ else ["sqlite"]


@pytest.fixture(params=FUZZ_BACKENDS)
async def fuzz_db(
    request: pytest.FixtureRequest, templates: dict[tuple[str, bool], str], tmp_path: Path
) -> AsyncIterator[Database]:
    """The demo district, fresh for this operation (SQLite only unless FUZZ_EXAMPLES is set)."""
    async for handle in _open(request.param, templates[(request.param, True)], tmp_path):
        yield handle


@pytest.fixture
async def http(fuzz_db: Database, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The app on the test's demo database, with the per-client throttles out of the way (one
    test client sends every request): the sign-in and sign-up throttles of the services (from
    the process settings, read again with these variables set) and the cost bucket."""
    from api.app import create_app
    from services.kit.settings import get_settings

    for name in (
        "SIGNUP_MAX_PER_CLIENT",
        "LOGIN_MAX_FAILURES_PER_CLIENT",
        "LOGIN_MAX_FAILURES_PER_ACCOUNT",
    ):
        monkeypatch.setenv(name, "1000000")
    monkeypatch.setenv("THROTTLE_ENABLED", "false")
    get_settings.cache_clear()
    try:
        app = create_app(get_settings(), manage_database=False)
        transport = httpx.ASGITransport(app=app, client=("10.0.0.9", 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


RAN: list[bool] = []


@pytest.fixture(scope="module", autouse=True)
def _report() -> Any:
    """With FUZZ_REPORT=<file>: how many cases were sent and how many ran, appended there."""
    yield
    target = os.environ.get("FUZZ_REPORT")
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write(f"{len(RAN)} cases answered without a problem, {sum(RAN)} of them ran\n")


@pytest.mark.parametrize(("kind", "name"), OPERATIONS, ids=[name for _, name in OPERATIONS])
async def test_any_generated_operation_gets_an_ordinary_answer(
    http: httpx.AsyncClient, kind: str, name: str
) -> None:
    # given generated operations on this root field, and the admin's and nobody's credentials
    cases = generate(kind, name, EXAMPLES * 2)
    admin = await login(http, "district_admin")
    failures = []
    for index, (operation, variables) in enumerate(cases):
        headers = {"Authorization": f"Bearer {admin}"} if index % 2 == 0 else {}
        # when each is sent
        # (as JSON with \u escapes: a lone surrogate is sent as \ud800)
        sent = json.dumps({"query": operation, "variables": variables})
        headers["Content-Type"] = "application/json"
        response = await http.post("/graphql", content=sent, headers=headers)
        # then the answer is an ordinary one: no 5xx, no INTERNAL, a code on every error
        found = problems(response)
        if found:
            failures.append((operation, variables, found))
        else:
            RAN.append(reached_execution(response))
    assert not failures, "\n\n".join(f"{op}\n{v}\n-> {found}" for op, v, found in failures[:5])
