"""Global ids: every argument and input field that takes one declares its node types, and a
malformed or mistyped id is refused before execution with INVALID_INPUT and its path.

The cases are made by walking the schema: every ID argument of every query and mutation, and
every ID field of their input objects (at any depth), so a new operation is covered without
being listed here.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import httpx
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    Undefined,
    get_named_type,
    get_nullable_type,
    parse,
)

from schema.build import default_schema
from schema.core.ids import declared_types, id_errors, node_type_names
from services.models import Area, Household, Person, RoleAssignment
from tests.conftest import gql, login

GRAPHQL = default_schema()._schema
NODE_TYPES = node_type_names(GRAPHQL)


def gid(type_name: str, key: int | str) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


MALFORMED = [
    "",
    "171",
    "-247589",
    "not base64!",
    "QXJlYTox!",  # base64 of Area:1 with junk base64 would ignore
    gid("NoSuchType", 1),
    gid("Viewer", 1),  # a type, but not a Node
    gid("Area", 0),
    gid("Area", "007"),
    gid("Area", "abc"),
    gid("Area", 2**31),
    "QXJlYTox" * 20_000,  # 160,000 characters
]


@dataclass(frozen=True)
class Site:
    """One place an operation takes an id: the root field, the path from its argument."""

    kind: str
    field: str
    path: tuple[str, ...]
    expected: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.path[-1]


def _input_sites(
    kind: str, field: str, type_: Any, path: tuple[str, ...], seen: frozenset[str]
) -> list[Site]:
    named = get_named_type(type_)
    if isinstance(named, GraphQLInputObjectType) and named.name not in seen:
        found = []
        for name, input_field in named.fields.items():
            found += _site_or_deeper(kind, field, input_field, (*path, name), seen | {named.name})
        return found
    return []


def _site_or_deeper(
    kind: str, field: str, definition: Any, path: tuple[str, ...], seen: frozenset[str]
) -> list[Site]:
    if get_named_type(definition.type).name == "ID":
        return [Site(kind, field, path, declared_types(definition) or ())]
    return _input_sites(kind, field, definition.type, path, seen)


def id_sites() -> list[Site]:
    """Every place a query or mutation takes an id."""
    found = []
    for kind, root in (("query", GRAPHQL.query_type), ("mutation", GRAPHQL.mutation_type)):
        assert root is not None
        for field_name, field in root.fields.items():
            for arg_name, argument in field.args.items():
                found += _site_or_deeper(kind, field_name, argument, (arg_name,), frozenset())
    return found


SITES = id_sites()


# --- a minimal operation around one site ---------------------------------------------------------


def _value(
    type_: Any, path: tuple[str, ...], at: tuple[str, ...], id_value: Any, node_types: Any = ()
) -> Any:
    """A value of `type_` with every required part filled in (ids of a type they take), and
    `id_value` at `at`."""
    nullable = get_nullable_type(type_)
    if isinstance(nullable, GraphQLList):
        return [_value(nullable.of_type, path, at, id_value, node_types)]
    if isinstance(nullable, GraphQLInputObjectType):
        value = {}
        for name, field in nullable.fields.items():
            inside = (*path, name)
            required = isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
            if required or at[: len(inside)] == inside:
                value[name] = _value(field.type, inside, at, id_value, declared_types(field))
        return value
    if isinstance(nullable, GraphQLEnumType):
        return next(iter(nullable.values))
    assert isinstance(nullable, GraphQLScalarType)
    if path == at:
        return id_value
    return {
        "ID": gid((node_types or ("Area",))[0], 1),
        "String": "x",
        "Int": 1,
        "Float": 1.0,
        "Boolean": False,
        "DateTime": "2026-06-01T10:00:00+08:00",
        "Date": "2026-06-01",
        # where a file goes (a multipart request's placeholder); refused before it is read
        "Upload": "x",
    }[nullable.name]


def _literal(value: Any, type_: Any) -> str:
    nullable = get_nullable_type(type_)
    if isinstance(nullable, GraphQLList):
        return "[" + ", ".join(_literal(v, nullable.of_type) for v in value) + "]"
    if isinstance(nullable, GraphQLInputObjectType):
        inner = ", ".join(f"{k}: {_literal(v, nullable.fields[k].type)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(nullable, GraphQLEnumType):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _selection(type_: Any) -> str:
    named = get_named_type(type_)
    if isinstance(named, GraphQLUnionType):
        error = GRAPHQL.get_type("Error")
        if any(error in member.interfaces for member in named.types):
            return "{ __typename ... on Error { code message } }"
    if isinstance(named, (GraphQLObjectType, GraphQLInterfaceType, GraphQLUnionType)):
        return "{ __typename }"
    return ""


def operation(site: Site, id_value: Any, *, inline: bool) -> tuple[str, dict[str, Any]]:
    """The site's operation (its required arguments and the site's filled in), with the values
    inline or as variables."""
    root = GRAPHQL.query_type if site.kind == "query" else GRAPHQL.mutation_type
    assert root is not None
    field = root.fields[site.field]
    arguments, declarations, variables = [], [], {}
    for name, argument in field.args.items():
        if not isinstance(argument.type, GraphQLNonNull) and name != site.path[0]:
            continue
        value = _value(argument.type, (name,), site.path, id_value, declared_types(argument))
        if inline:
            arguments.append(f"{name}: {_literal(value, argument.type)}")
        else:
            arguments.append(f"{name}: ${name}")
            declarations.append(f"${name}: {argument.type}")
            variables[name] = value
    head = f"{site.kind} Op({', '.join(declarations)})" if declarations else site.kind
    call = f"{site.field}({', '.join(arguments)})" if arguments else site.field
    return f"{head} {{ {call} {_selection(field.type)} }}", variables


def _other_type(site: Site) -> str:
    return next(t for t in ("Household", "Area", "Person") if t not in site.expected)


# --- tests ---------------------------------------------------------------------------------------


def test_the_schema_walk_finds_the_ids_of_every_operation() -> None:
    # the walk reaches top-level arguments, input fields and lists of ids
    paths = {(s.field, s.path) for s in SITES}
    assert ("node", ("id",)) in paths
    assert ("awardPoints", ("input", "personId")) in paths
    assert ("awardPointsBatch", ("input", "personIds")) in paths
    assert len({s.field for s in SITES}) > 100


def test_every_id_argument_and_input_field_declares_its_node_types() -> None:
    undeclared, unknown = [], []
    for type_ in GRAPHQL.type_map.values():
        places: list[tuple[str, Any]] = []
        if isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType)):
            places = [
                (f"{type_.name}.{f}({a})", arg)
                for f, field in type_.fields.items()
                for a, arg in field.args.items()
            ]
        elif isinstance(type_, GraphQLInputObjectType):
            places = [(f"{type_.name}.{f}", field) for f, field in type_.fields.items()]
        for where, definition in places:
            if get_named_type(definition.type).name != "ID":
                continue
            declared = declared_types(definition)
            if declared is None:
                undeclared.append(where)
            elif not set(declared) <= NODE_TYPES:
                unknown.append((where, declared))
    assert not undeclared, f"use schema.core.ids.id_field/id_argument for: {undeclared}"
    assert not unknown, unknown


async def _counts() -> tuple[int, ...]:
    return (
        await Area.all().count(),
        await Household.all().count(),
        await Person.all().count(),
        await RoleAssignment.filter(until=None).count(),
    )


async def test_a_malformed_or_mistyped_id_anywhere_is_refused_before_execution(
    client: httpx.AsyncClient,
) -> None:
    counts = await _counts()
    failures = []
    for index, site in enumerate(SITES):
        bad = MALFORMED[index % len(MALFORMED)]
        cases = [("malformed", bad, True), ("malformed", bad, False)]
        if site.expected:
            cases.append(("mistyped", gid(_other_type(site), 1), index % 2 == 0))
        for what, value, inline in cases:
            # when an operation carries the bad id (inline or in a variable)
            query, variables = operation(site, value, inline=inline)
            response = await client.post("/graphql", json={"query": query, "variables": variables})
            body = response.json()
            # then it is refused before anything runs, naming the argument or input field
            errors = body.get("errors") or []
            named = [
                e
                for e in errors
                if e.get("extensions", {}).get("code") == "INVALID_INPUT"
                and e["extensions"].get("field") == site.name
                and site.name in e["extensions"].get("argument", "")
            ]
            ok = (
                response.status_code == 200
                and body.get("data") is None
                and named
                and all(len(e["message"]) < 200 for e in errors)
            )
            if not ok:
                failures.append((site, what, inline, body if len(str(body)) < 2000 else "huge"))
    assert not failures, failures[:5]
    assert await _counts() == counts


async def test_an_id_of_a_declared_type_is_what_the_resolver_takes(
    client: httpx.AsyncClient,
) -> None:
    # given the district admin, and ids of the types each argument declares (of an object that
    # does not exist)
    token = await login(client, "district_admin")
    failures = []
    for site in SITES:
        for type_name in site.expected or ("Area",):
            query, variables = operation(site, gid(type_name, 2**31 - 1), inline=False)
            # when it is sent
            body = await gql(client, query, variables, token=token)
            # then it passes the check before execution, and the resolver takes it as the id of
            # its type (the declaration and the resolver agree)
            text = json.dumps(body, ensure_ascii=False)
            refused = any("argument" in e.get("extensions", {}) for e in body.get("errors", []))
            if refused or "Expected the id of" in text or "Malformed" in text:
                failures.append((site, type_name, body))
    assert not failures, failures[:5]


async def test_a_bad_id_in_a_nested_field_argument_is_refused_too(
    client: httpx.AsyncClient,
) -> None:
    # the check is not only for root fields: Notice.coverage(under:) takes an Area
    area = gid("Area", 1)
    query = f"""query($under: ID) {{ notices(under: "{area}") {{ edges {{ node {{
      coverage(under: $under) {{ __typename }} }} }} }} }}"""
    body = await gql(client, query, {"under": gid("Person", 1)})
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"] == {
        "code": "INVALID_INPUT",
        "field": "under",
        "argument": "$under (for coverage(under))",
    }


async def test_a_huge_id_is_not_echoed(client: httpx.AsyncClient) -> None:
    # given an id of 100,000 characters
    huge = "A" * 100_000
    for query, variables in (
        ("query($id: ID!) { node(id: $id) { id } }", {"id": huge}),
        (f'query {{ node(id: "{huge}") {{ id }} }}', {}),
    ):
        response = await client.post("/graphql", json={"query": query, "variables": variables})
        # then the answer is a short INVALID_INPUT
        assert response.status_code == 200
        assert len(response.content) < 1_000
        assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


def test_each_fragment_is_walked_once_however_often_it_is_spread() -> None:
    # given fragments that each spread the next twice, 40 deep (2^40 paths to the last one)
    depth = 40
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(depth)]
    fragments.append(
        f'fragment F{depth} on Query {{ node(id: $x) {{ id }} areas(under: "x") {{ totalCount }} }}'
    )
    document = parse("query($x: ID!) { ...F0 }\n" + "\n".join(fragments))
    # when its ids are checked, then each bad id is reported once (and the walk ends)
    errors = id_errors(GRAPHQL, document, {"x": "bad"}, None)
    assert [e.extensions["argument"] for e in errors] == ["areas(under)", "$x (for node(id))"]
