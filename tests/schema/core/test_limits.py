"""Query limits are checked before anything runs, and unexpected errors are masked."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import httpx
import pytest

import schema.core.cost
import schema.core.document_limits
import services.grids
from services.kit.settings import get_settings
from services.models import UserAccount
from tests.conftest import gql


@pytest.fixture
def area_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Records every call of the areas service, to prove a rejected query never ran."""
    calls: list[dict[str, Any]] = []
    real = services.grids.list_areas

    async def spy(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return await real(**kwargs)

    monkeypatch.setattr(services.grids, "list_areas", spy)
    return calls


def _parents(levels: int) -> str:
    """`areas { edges { node { parent { ... { name } } } } }` with `levels` parents."""
    inner = "name"
    for _ in range(levels):
        inner = f"parent {{ {inner} }}"
    return f"{{ areas(first: 1) {{ edges {{ node {{ {inner} }} }} }} }}"


def _rejected(body: dict[str, Any]) -> list[dict[str, Any]]:
    assert body.get("data") is None, body
    errors: list[dict[str, Any]] = body["errors"]
    assert errors
    return errors


# --- depth, aliases, tokens ----------------------------------------------------------------------


async def test_depth_twelve_is_allowed_and_thirteen_is_rejected(
    client: httpx.AsyncClient, area_calls: list[dict[str, Any]]
) -> None:
    # given the limit of 12 (areas is depth 0, so `name` below 9 parents is at depth 12)
    assert get_settings().max_query_depth == 12
    # when a query of depth 12 is sent, it runs
    body = await gql(client, _parents(9))
    assert "errors" not in body, body
    assert len(area_calls) == 1
    # when one more level is added
    body = await gql(client, _parents(10))
    # then it is refused before execution
    (error,) = _rejected(body)
    assert "depth" in error["message"]
    assert len(area_calls) == 1


async def test_depth_through_fragments_counts_too(
    client: httpx.AsyncClient, area_calls: list[dict[str, Any]]
) -> None:
    inner = "name"
    for _ in range(10):
        inner = f"parent {{ {inner} }}"
    query = f"""
      {{ areas(first: 1) {{ ...Page }} }}
      fragment Page on AreaConnection {{ edges {{ node {{ ...Deep }} }} }}
      fragment Deep on Area {{ {inner} }}
    """
    (error,) = _rejected(await gql(client, query))
    assert "depth" in error["message"]
    assert area_calls == []


async def test_thirty_aliases_are_allowed_and_thirty_one_are_rejected(
    client: httpx.AsyncClient,
) -> None:
    def aliases(n: int) -> str:
        return "{ " + " ".join(f"a{i}: viewer {{ id }}" for i in range(n)) + " }"

    body = await gql(client, aliases(30))
    assert body["data"] == {f"a{i}": None for i in range(30)} and "errors" not in body
    (error,) = _rejected(await gql(client, aliases(31)))
    assert "aliases" in error["message"]


async def test_aliases_hidden_in_fragments_are_counted(
    client: httpx.AsyncClient, area_calls: list[dict[str, Any]]
) -> None:
    # given 16 aliases in a fragment spread twice and 16 more inline on another field
    fragment_fields = " ".join(f"n{i}: name" for i in range(16))
    query = f"""
      {{ x: areas(first: 1) {{ edges {{ node {{ ...Names }} }} }}
         y: areas(first: 1) {{ edges {{ node {{ ...Names }} }} }} }}
      fragment Names on Area {{ {fragment_fields} }}
    """
    # then the aliases are counted where they are used, and the total is refused
    errors = _rejected(await gql(client, query))
    assert any("aliases" in e["message"] for e in errors)
    assert area_calls == []


def _spreads(n: int) -> str:
    """A document of 2n + 9 tokens: `{`, n times `... A`, `}` and a 7-token fragment."""
    return "{ " + "...A " * n + "} fragment A on Query { __typename }"


async def test_more_than_5000_tokens_are_rejected(
    client: httpx.AsyncClient, area_calls: list[dict[str, Any]]
) -> None:
    # given a document of 4,999 tokens, which is fine
    body = await gql(client, _spreads(2495))
    assert body["data"] == {"__typename": "Query"} and "errors" not in body
    # when it grows to 5,001 tokens (with an areas query at the end)
    query = _spreads(2496).replace("{ __typename }", "{ areas { totalCount } }")
    response = await client.post("/graphql", json={"query": query})
    # then parsing stops: a plain GraphQL error, nothing executed
    assert response.status_code in (200, 400)
    (error,) = _rejected(response.json())
    assert "5000 tokens" in error["message"]
    assert area_calls == []


# --- page sizes ----------------------------------------------------------------------------------

FIRST_VARIABLE = "query($n: Int) { areas(first: $n) { totalCount } }"


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ areas(first: 101) { totalCount } }", {}),
        (FIRST_VARIABLE, {"n": 101}),
        (FIRST_VARIABLE, {"n": -1}),
        ("query($n: Int = 101) { areas(first: $n) { totalCount } }", {}),
        ("{ areas(first: 1) { edges { node { children(first: 101) { totalCount } } } } }", {}),
        ("{ dutyCards(first: 500) { totalCount } }", {}),
        ("{ people(first: 101) { totalCount } }", {}),
    ],
)
async def test_a_page_larger_than_100_is_rejected_before_execution(
    client: httpx.AsyncClient,
    area_calls: list[dict[str, Any]],
    query: str,
    variables: dict[str, Any],
) -> None:
    # when a page size outside 0..100 is asked for (literal, variable, default or nested)
    body = await gql(client, query, variables)
    # then the whole request is refused with an input error on `first`, and nothing ran
    (error,) = _rejected(body)
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert error["extensions"]["field"] == "first"
    assert area_calls == []


async def test_a_page_of_100_is_fine(
    client: httpx.AsyncClient, area_calls: list[dict[str, Any]]
) -> None:
    for query, variables in (
        ("{ areas(first: 100) { edges { node { id } } } }", {}),
        ("query($n: Int) { areas(first: $n) { edges { node { id } } } }", {"n": 100}),
    ):
        body = await gql(client, query, variables)
        assert "errors" not in body, body
        assert len(body["data"]["areas"]["edges"]) == 51  # the whole demo district
    assert [call["window"].first for call in area_calls] == [100, 100]


# --- the cost budget -----------------------------------------------------------------------------

NESTED = """
query($n: Int, $m: Int) {
  areas(first: $n) { edges { node {
    children(first: $m) { edges { node {
      children(first: $m) { edges { node { id name } } }
    } } }
  } } }
}
"""


async def test_nested_connections_multiply_into_the_budget(
    client: httpx.AsyncClient, area_calls: list[dict[str, Any]]
) -> None:
    # given three nested connections of 100: about a million nodes
    body = await gql(client, NESTED, {"n": 100, "m": 100})
    # then the query is refused as too complex before anything runs
    (error,) = _rejected(body)
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["extensions"]["cost"] > get_settings().max_query_cost
    assert area_calls == []
    # while the same shape with small pages runs
    body = await gql(client, NESTED, {"n": 5, "m": 5})
    assert "errors" not in body, body
    assert area_calls


async def test_page_sizes_left_to_a_variable_default_are_priced_at_that_default(
    client: httpx.AsyncClient, area_calls: list[dict[str, Any]]
) -> None:
    # given the nested query with page sizes taken from variable defaults (100), none sent
    query = NESTED.replace("$n: Int, $m: Int", "$n: Int = 100, $m: Int = 100")
    # then it is priced as pages of 100, not the default 20, and refused
    (error,) = _rejected(await gql(client, query))
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert area_calls == []


async def test_fragments_do_not_hide_cost(
    client: httpx.AsyncClient, area_calls: list[dict[str, Any]]
) -> None:
    query = """
      { areas(first: 100) { ...Kids } }
      fragment Kids on AreaConnection {
        edges { node { children(first: 100) { edges { node { ... on Area {
          children(first: 100) { edges { node { id } } } } } } } } }
      }
    """
    (error,) = _rejected(await gql(client, query))
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert area_calls == []


def _area_ids(n: int) -> list[str]:
    return [base64.b64encode(f"Area:{i % 50 + 1}".encode()).decode() for i in range(n)]


async def test_nodes_fan_out_like_a_page(
    client: httpx.AsyncClient, area_calls: list[dict[str, Any]]
) -> None:
    # given nested connections under `nodes` instead of under a connection
    query = """
      query($ids: [ID!]!) { nodes(ids: $ids) { ... on Area {
        children(first: 100) { edges { node {
          children(first: 100) { edges { node { id } } } } } } } } }
    """
    # when 100 ids are sent, the ids multiply the cost like a page of 100
    (error,) = _rejected(await gql(client, query, {"ids": _area_ids(100)}))
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    # and more ids than a page holds are refused outright (variables cost no tokens)
    for ids in (_area_ids(101), _area_ids(20_000)):
        (error,) = _rejected(
            await gql(client, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})
        )
        assert error["extensions"] == {"code": "INVALID_INPUT", "field": "ids"}
    assert area_calls == []
    # while a page's worth of ids is fine
    body = await gql(
        client, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": _area_ids(100)}
    )
    assert "errors" not in body, body
    assert len(body["data"]["nodes"]) == 100


async def test_the_budget_counts_the_selected_operation_only(client: httpx.AsyncClient) -> None:
    document = (
        NESTED.replace("query(", "query Big(")
        + """
      query Small { areas(first: 2) { totalCount } }
    """
    )
    response = await client.post(
        "/graphql",
        json={"query": document, "operationName": "Small", "variables": {}},
    )
    assert response.status_code == 200
    assert response.json()["data"] == {"areas": {"totalCount": 51}}
    big = await client.post(
        "/graphql",
        json={"query": document, "operationName": "Big", "variables": {"n": 100, "m": 100}},
    )
    assert big.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


# --- masking -------------------------------------------------------------------------------------


async def test_an_unexpected_error_is_masked_with_the_request_id(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # given a service that fails unexpectedly, with a secret in its message
    async def broken(**kwargs: Any) -> Any:
        raise RuntimeError("connection to db-internal.example:5432 failed, password hunter2")

    monkeypatch.setattr(services.grids, "list_areas", broken)
    # when a query reaches it (next to a field that works)
    with caplog.at_level(logging.ERROR, logger="gridpoints.graphql"):
        response = await client.post(
            "/graphql", json={"query": "{ viewer { id } areas { totalCount } }"}
        )
    # then the client gets a generic error quoting the request id from the response header
    assert response.status_code == 200
    request_id = response.headers["x-request-id"]
    assert request_id
    body = response.json()
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "INTERNAL", "requestId": request_id}
    assert request_id in error["message"]
    assert error["path"] == ["areas"]
    # and nothing of the original message leaks
    assert "hunter2" not in response.text
    assert "db-internal" not in response.text
    assert "RuntimeError" not in response.text
    # while the log keeps the details, under the same request id
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged
    assert logged[0].exc_info is not None
    assert "hunter2" in str(logged[0].exc_info[1])


async def test_the_clients_request_id_is_the_one_quoted(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(**kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(services.grids, "list_areas", broken)
    response = await client.post(
        "/graphql",
        json={"query": "{ areas { totalCount } }"},
        headers={"X-Request-ID": "trace-42-abc"},
    )
    assert response.headers["x-request-id"] == "trace-42-abc"
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "INTERNAL", "requestId": "trace-42-abc"}
    assert "trace-42-abc" in error["message"]


async def test_expected_errors_are_not_masked(client: httpx.AsyncClient) -> None:
    # a domain error raised in a query keeps its message and code
    body = await gql(client, "{ people { totalCount } }")
    (error,) = body["errors"]
    assert error["message"] == "Sign in first."
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("how", ["variable", "literal"])
async def test_text_with_nul_characters_is_refused_before_execution(
    client: httpx.AsyncClient, how: str
) -> None:
    # given a sign-up whose name carries a NUL (PostgreSQL cannot store one)
    head = 'mutation($n: String!) { signUp(input: {username: "nul_user", '
    head += 'password: "long-enough-pw", name: NAME}) { __typename } }'
    if how == "variable":
        query, variables = head.replace("NAME", "$n"), {"n": "a\u0000b"}
    else:  # a GraphQL string literal with a \u0000 escape
        query = head.replace("($n: String!)", "").replace("NAME", '"a\\u0000b"')
        variables = {}
    # when it is sent, twice (the second time the parsed document is reused)
    for _ in range(2):
        body = await gql(client, query, variables)
        # then it is refused as invalid input and no account exists
        assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
        assert not await UserAccount.exists(username="nul_user")


# --- documents that fan out through fragments -------------------------------------------------


def _fragment_fan(levels: int) -> str:
    """`{ ...F0 }` where each fragment spreads the next one twice: 2^levels paths, ~50 bytes a
    level."""
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    return "{ ...F0 } " + " ".join(fragments) + f" fragment F{levels} on Query {{ __typename }}"


async def test_fragments_spread_twice_at_every_level_are_walked_once(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the depth, alias and cost walks counted
    walked: dict[str, int] = {"depth": 0, "aliases": 0, "cost": 0}

    def counting(owner: Any, name: str, key: str) -> None:
        real = getattr(owner, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            walked[key] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, wrapper)

    counting(schema.core.document_limits._Walk, "depth", "depth")
    counting(schema.core.document_limits._Walk, "aliases", "aliases")
    counting(schema.core.cost.Budget, "cost", "cost")
    # when a document of 1 KB whose 20 fragments each spread the next twice is sent
    body = await gql(client, _fragment_fan(20))
    # then it is costed as the 2^20 fields it would resolve, and refused
    (error,) = _rejected(body)
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["extensions"]["cost"] == 2**20
    # and each walk went through each fragment once (Strawberry's limiters and the cost walk
    # went through them 2^20 times: seconds of validation holding the event loop)
    assert 0 < walked["depth"] <= 2 * 22
    assert 0 < walked["aliases"] <= 2 * 22
    assert 0 < walked["cost"] <= 2 * 22


async def test_fragments_nested_too_deeply_are_refused_with_a_code(
    client: httpx.AsyncClient,
) -> None:
    # given 300 fragments each spreading the next (a RecursionError in Strawberry's depth
    # limiter, which escaped validation without a code)
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(300)]
    query = "{ ...F0 } " + " ".join(fragments) + " fragment F300 on Query { __typename }"
    (error,) = _rejected(await gql(client, query))
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


@pytest.mark.parametrize(
    "query",
    [
        _parents(9),
        _parents(10),
        _parents(12),
        "{ a: viewer { id } b: viewer { id } }",
        "query A { ...P } query B { x: viewer { id } } fragment P on Query { y: viewer { id } }",
        "{ ...D ...D } fragment D on Query { areas { edges { node { n: name parent { id } } } } }",
        "{ areas { edges { node { ... on Area { m: name children { edges { node { ...X } } } } }"
        " } } } fragment X on Area { o: name parent { parent { parent { parent { name } } } } }",
        "{ __schema { types { fields { type { ofType { ofType { ofType { name } } } } } } } }",
        _fragment_fan(5),
    ],
)
def test_the_depth_and_alias_rules_answer_as_strawberrys_limiters(query: str) -> None:
    # given the same limits as Strawberry's rules and as ours (small, so that some are hit)
    from graphql import parse, validate
    from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter

    from schema.build import default_schema

    built = default_schema()

    document = parse(query)
    for theirs, ours in (
        (
            QueryDepthLimiter(max_depth=6).validation_rules,
            [schema.core.document_limits.depth_limit(6)],
        ),
        (
            MaxAliasesLimiter(max_alias_count=1).validation_rules,
            [schema.core.document_limits.alias_limit(1)],
        ),
    ):
        expected = {e.message for e in validate(built._schema, document, list(theirs))}
        assert {e.message for e in validate(built._schema, document, ours)} == expected


# --- coercion errors: a code on every one, no value echoed whole ----------------------------------

_AWARD = (
    'mutation($q: Int!) { awardPoints(input: {personId: "UGVyc29uOjE=", ruleCode: "X", '
    'quantity: $q, reason: "r", idempotencyKey: "k"}) { __typename } }'
)
_LONG = "x" * 10_000


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (_AWARD, '{"q": 2147483648}'),  # Int overflow
        (_AWARD, '{"q": NaN}'),
        (_AWARD, '{"q": Infinity}'),
        (_AWARD, '{"q": -Infinity}'),
        (_AWARD, '{"q": 1e400}'),
        (_AWARD, '{"q": 1.5}'),
        (_AWARD, f'{{"q": "{_LONG}"}}'),  # a wrong type
        (_AWARD, '{"q": [1]}'),
        (_AWARD, '{"q": {"a": 1}}'),
        (_AWARD, "{}"),  # a required variable left out
        (_AWARD.replace("$q", "2147483648"), "{}"),
        (_AWARD.replace("$q", f'"{_LONG}"'), "{}"),
        ("query($c: RewardCategory) { rewards(category: $c) { totalCount } }", '{"c": "NOPE"}'),
        (
            "query($c: RewardCategory) { rewards(category: $c) { totalCount } }",
            f'{{"c": "{_LONG}"}}',
        ),
        ("{ rewards(category: NOPE) { totalCount } }", "{}"),
        (f"{{ rewards(category: {_LONG}) {{ totalCount }} }}", "{}"),
        (
            "mutation($i: AwardPointsInput!) { awardPoints(input: $i) { __typename } }",
            f'{{"i": {{"{_LONG}": 1}}}}',  # an unknown input field
        ),
        (
            'mutation($at: DateTime) { checkIn(input: {activityId: "Vm9sdW50ZWVyQWN0aXZpdHk6MQ==",'
            " at: $at}) { __typename } }",
            f'{{"at": "{_LONG}"}}',
        ),
        ('{ pointsRules(dimension: "PARTY") { code } }', "{}"),
    ],
)
async def test_every_coercion_error_has_a_code_and_echoes_no_long_value(
    client: httpx.AsyncClient, query: str, variables: str
) -> None:
    # when a value of the wrong type or out of range is sent, inline or in a variable
    body_text = f'{{"query": {json.dumps(query)}, "variables": {variables}}}'
    response = await client.post(
        "/graphql", content=body_text, headers={"content-type": "application/json"}
    )
    # then every error carries a code, none is INTERNAL, nothing ran, and no message repeats more
    # than about 100 characters of what was sent
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] is None
    assert body["errors"]
    for error in body["errors"]:
        assert error["extensions"]["code"] not in (None, "INTERNAL"), error
        assert "x" * 101 not in error["message"], error["message"][:200]
        assert len(error["message"]) < 600


async def test_text_with_a_lone_surrogate_is_refused_before_execution(
    client: httpx.AsyncClient,
) -> None:
    # given a sign-up whose name, or an input field's name, carries a lone surrogate (UTF-8 cannot
    # encode one, so neither database can store it), as JSON's \ud800 escape sends it
    query = "mutation($i: SignUpInput!) { signUp(input: $i) { __typename } }"
    for variables in (
        '{"i": {"username": "surrogate_user", "password": "long-enough-pw", "name": "a\\ud800"}}',
        '{"i": {"username": "surrogate_user", "password": "long-enough-pw", "name": "a",'
        ' "\\udfff": 1}}',
    ):
        response = await client.post(
            "/graphql",
            content=f'{{"query": {json.dumps(query)}, "variables": {variables}}}',
            headers={"content-type": "application/json"},
        )
        # then it is INVALID_INPUT before execution, and no account exists
        assert response.status_code == 200, response.text
        (error,) = response.json()["errors"]
        assert error["extensions"]["code"] == "INVALID_INPUT"
        assert "surrogate" in error["message"]
        assert not await UserAccount.exists(username="surrogate_user")
