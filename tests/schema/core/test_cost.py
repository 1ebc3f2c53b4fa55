"""The cost of an operation: every list sized by its bound, a smaller budget for anonymous
callers, a budget over time per client (THROTTLED), and `extensions.cost` on every answer."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from graphql import GraphQLInterfaceType, GraphQLList, GraphQLNonNull, GraphQLObjectType, parse
from graphql import build_schema as build_graphql_schema
from starlette.applications import Starlette
from starlette.routing import Route

import services.grids
from api.app import create_app
from schema.build import build_schema, default_schema
from schema.core.cost import Budget, list_sizes, operation_cost
from schema.core.list_bounds import FIELD_COSTS, LIST_BOUNDS, SIZED_BY_ARGUMENT
from schema.core.throttle import Throttle
from services.geo.features import MAX_FEATURES
from services.kit.settings import Settings, get_settings
from tests.conftest import Database, actor_for, gql, login
from tests.schema.core.test_live import context, next_result

# The anonymous request of issue 13: 29 aliases, each a page of 100 areas and, below every
# area, un-paged lists nested as deep as the depth limit (12) allows.
_CHAIN = (
    "ancestors { roleHolders { person { roles { area { ancestors { roleHolders { person { "
    "roles { role } } } } } } } } }"
)
_ALIAS = "areas(first: 100) { edges { node { " + _CHAIN + " } } }"
ALIASES_29 = "{ " + " ".join(f"a{i}: {_ALIAS}" for i in range(29)) + " }"


@pytest.fixture
def area_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Records every call of the areas service, to prove a refused query never ran."""
    calls: list[dict[str, Any]] = []
    real = services.grids.list_areas

    async def spy(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return await real(**kwargs)

    monkeypatch.setattr(services.grids, "list_areas", spy)
    return calls


def _cost(query: str, variables: dict[str, Any] | None = None) -> int | None:
    return operation_cost(
        default_schema()._schema, parse(query), variables or {}, None, get_settings()
    )


# --- every list has a bound ----------------------------------------------------------------------


def _output_fields() -> list[tuple[str, str, Any]]:
    found = []
    for type_ in default_schema()._schema.type_map.values():
        if isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType)) and not (
            type_.name.startswith("__")
        ):
            found.extend((type_.name, name, field) for name, field in type_.fields.items())
    return found


def _is_list(type_: Any) -> bool:
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def test_every_list_field_of_the_schema_has_a_declared_bound() -> None:
    # given every field of every output type whose type is a list
    lists = [(t, n, f) for t, n, f in _output_fields() if _is_list(f.type)]
    assert len(lists) > 50
    unbounded = []
    for type_name, name, field in lists:
        if any(arg in field.args for arg in SIZED_BY_ARGUMENT):
            continue  # sized by the operation: `first`, `ids`
        owner = default_schema()._schema.get_type(type_name)
        if name == "edges" and "pageInfo" in owner.fields:  # type: ignore[union-attr]
            continue  # a connection's page: sized by the `first` of the connection's field
        if f"{type_name}.{name}" not in LIST_BOUNDS:
            unbounded.append(f"{type_name}.{name}")
    # then each is sized by an argument, is a connection's page, or has a bound in LIST_BOUNDS
    assert unbounded == [], (
        "List fields without a bound: add them to schema/core/list_bounds.py with the largest "
        "length a service enforces (or make them connections)."
    )


def test_every_declared_bound_names_a_list_field_and_says_why() -> None:
    lists = {f"{t}.{n}" for t, n, f in _output_fields() if _is_list(f.type)}
    for key, bound in LIST_BOUNDS.items():
        assert key in lists, f"{key} is not a list field of the schema (stale entry)"
        assert bound.size >= 1 and bound.why


def test_every_connection_is_sized_by_first() -> None:
    # a connection without `first` would cost one page whatever it returns
    for type_name, name, field in _output_fields():
        target = field.type
        while isinstance(target, GraphQLNonNull):
            target = target.of_type
        if isinstance(target, GraphQLObjectType) and "pageInfo" in target.fields:
            assert "first" in field.args, f"{type_name}.{name} returns a connection"


def test_a_list_missing_from_the_table_costs_a_full_page() -> None:
    # given a schema with a list field nobody declared a bound for
    other = build_graphql_schema("type Thing { name: String } type Query { things: [Thing] }")
    assert list_sizes(other)[("Query", "things")] is None
    # then it is priced as the largest page
    budget = Budget(other, {}, {}, default_size=20, max_size=100)
    document = parse("{ things { name } }")
    selection = document.definitions[0].selection_set  # type: ignore[attr-defined]
    assert budget.cost(selection, other.query_type, frozenset()) == 1 + 100 * 1


def test_lists_cost_their_bound_and_nested_lists_multiply() -> None:
    ancestors = LIST_BOUNDS["Area.ancestors"].size
    holders = LIST_BOUNDS["Area.roleHolders"].size
    assert ancestors == 4  # district, street, community, grid above a micro-grid
    # a page of 10 areas, each with its ancestors' names
    assert _cost("{ areas(first: 10) { edges { node { ancestors { name } } } } }") == (
        1 + 10 * (1 + 1 + (1 + ancestors * 1))
    )
    # and each ancestor's role holders: the two lists multiply
    assert _cost(
        "{ areas(first: 10) { edges { node { ancestors { roleHolders { role } } } } } }"
    ) == 1 + 10 * (1 + 1 + (1 + ancestors * (1 + holders * 1)))
    # a list of scalars costs 1, like any leaf
    assert _cost("{ workOrderCategories { code } }") == 1 + (
        LIST_BOUNDS["Query.workOrderCategories"].size * 1
    )
    # the 29-alias request of issue 13 (34,829 when such lists cost 1) is now priced as what
    # it can make the server do
    cost = _cost(ALIASES_29)
    assert cost is not None and cost > 1_000_000_000


def test_map_features_costs_the_features_it_may_return() -> None:
    # a GeoJSON layer is a scalar, but costs as the features it may return
    weight = FIELD_COSTS[("Query", "mapFeatures")]
    assert weight == MAX_FEATURES // 4
    assert _cost('{ mapFeatures(under: "QXJlYTox") }') == 1 + weight


# --- the budget per operation ---------------------------------------------------------------------


async def test_the_29_alias_request_is_refused_for_anonymous_callers(
    client: httpx.AsyncClient, area_calls: list[dict[str, Any]]
) -> None:
    # given the request of issue 13, sent anonymously
    response = await client.post("/graphql", json={"query": ALIASES_29})
    # then it is refused before anything ran, with its cost
    body = response.json()
    assert body.get("data") is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["extensions"]["limit"] == get_settings().max_query_cost_anonymous
    assert body["extensions"]["cost"]["requestedQueryCost"] == error["extensions"]["cost"]
    assert area_calls == []
    # and the same for a signed-in caller, against the larger budget
    token = await login(client, "district_admin")
    body = await gql(client, ALIASES_29, token=token)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert body["extensions"]["cost"]["maximumQueryCost"] == get_settings().max_query_cost
    assert area_calls == []


# 100 areas with their duty-role holders and their phones: more than an anonymous caller may
# ask in one operation, well within a signed-in caller's budget.
HOLDERS = (
    "{ areas(first: 100) { edges { node { roleHolders { role since person { name phone } } } } } }"
)


async def test_anonymous_callers_have_a_smaller_budget(
    client: httpx.AsyncClient, area_calls: list[dict[str, Any]]
) -> None:
    settings = get_settings()
    cost = _cost(HOLDERS)
    assert cost is not None
    assert settings.max_query_cost_anonymous < cost <= settings.max_query_cost
    # anonymously it is refused
    body = await gql(client, HOLDERS)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "sign in" in body["errors"][0]["message"]
    assert area_calls == []
    # signed in it runs
    token = await login(client, "resident")
    body = await gql(client, HOLDERS, token=token)
    assert "errors" not in body, body
    assert len(body["data"]["areas"]["edges"]) == 51  # the whole demo district
    assert body["extensions"]["cost"]["requestedQueryCost"] == cost


# --- extensions.cost -----------------------------------------------------------------------------


async def test_every_answer_reports_its_cost(client: httpx.AsyncClient) -> None:
    settings = get_settings()
    # a query that runs
    body = await gql(client, "{ viewer { id } }")
    assert body["extensions"]["cost"] == {
        "requestedQueryCost": 2,
        "maximumQueryCost": settings.max_query_cost_anonymous,
        "throttleStatus": {
            "maximumAvailable": settings.throttle_bucket_size,
            "currentlyAvailable": settings.throttle_bucket_size - 2,
            "restoreRate": settings.throttle_restore_rate,
        },
    }
    # a mutation, signed in (what is left of the account's own bucket)
    token = await login(client, "resident")
    body = await gql(client, "mutation { logout(input: {}) { __typename } }", token=token)
    cost = body["extensions"]["cost"]
    assert cost["maximumQueryCost"] == settings.max_query_cost
    assert cost["throttleStatus"]["currentlyAvailable"] == (
        settings.throttle_bucket_size - cost["requestedQueryCost"]
    )
    # a refusal
    body = await gql(client, HOLDERS)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert body["extensions"]["cost"]["requestedQueryCost"] == _cost(HOLDERS)
    # not for a document that never got as far (a syntax error)
    body = await gql(client, "{ viewer { id }")
    assert "cost" not in (body.get("extensions") or {})


# --- the budget over time ------------------------------------------------------------------------


class Ticks:
    """A monotonic clock that moves only when told to (the bucket's time source)."""

    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


def _throttle(app: Starlette) -> Throttle:
    route = next(r for r in app.routes if isinstance(r, Route) and r.path == "/graphql")
    throttle = route.app.schema.cost_throttle  # type: ignore[attr-defined]
    assert isinstance(throttle, Throttle)
    return throttle


@asynccontextmanager
async def small_buckets(
    ticks: Ticks, address: str = "10.0.0.1"
) -> AsyncIterator[tuple[httpx.AsyncClient, Starlette]]:
    """The app with buckets of 1,000 points refilling at 10 a second, on a pinned clock."""
    settings = get_settings().model_copy(
        update={
            "throttle_bucket_size": 1000,
            "throttle_restore_rate": 10.0,
            "max_query_cost": 1000,
            "max_query_cost_anonymous": 1000,
        }
    )
    app = create_app(settings, manage_database=False)
    _throttle(app).now = ticks
    transport = httpx.ASGITransport(app=app, client=(address, 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http, app


PAGE = "{ areas(first: 100) { edges { node { name } } } }"  # 301 points


async def test_a_drained_bucket_refuses_with_a_retry_time_until_it_has_refilled(
    db: Database, area_calls: list[dict[str, Any]]
) -> None:
    ticks = Ticks()
    async with small_buckets(ticks) as (http, _):
        # given three pages of 301 points taken from a bucket of 1,000
        for _ in range(3):
            body = await gql(http, PAGE)
            assert "errors" not in body, body
        left = body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"]
        assert left == 1000 - 3 * 301
        assert len(area_calls) == 3
        # when a fourth is sent at the same moment
        response = await http.post("/graphql", json={"query": PAGE})
        # then it is refused before it ran, told when to retry, in the body and the header
        body = response.json()
        assert body.get("data") is None
        (error,) = body["errors"]
        wait = math.ceil((301 - left) / 10)
        assert error["extensions"] == {"code": "THROTTLED", "cost": 301, "retryAfterSeconds": wait}
        assert response.headers["retry-after"] == str(wait)
        assert body["extensions"]["cost"]["throttleStatus"] == {
            "maximumAvailable": 1000,
            "currentlyAvailable": left,
            "restoreRate": 10.0,
        }
        assert len(area_calls) == 3
        # and a second before that time it is still refused (a refusal takes nothing)
        ticks.now += wait - 1
        body = await gql(http, PAGE)
        assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
        assert body["errors"][0]["extensions"]["retryAfterSeconds"] == 1
        # when the time has passed, it runs again
        ticks.now += 1
        response = await http.post("/graphql", json={"query": PAGE})
        assert "errors" not in response.json()
        assert "retry-after" not in response.headers
        assert len(area_calls) == 4


async def test_each_client_has_its_own_bucket(db: Database) -> None:
    ticks = Ticks()
    async with small_buckets(ticks) as (http, app):
        # given a signed-in caller (their token made before anything was drained)
        token = await login(http, "resident")
        # and the client address's bucket drained anonymously
        while "errors" not in (body := await gql(http, PAGE)):
            pass
        assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
        # then the account spends from its own bucket, from the same address
        body = await gql(http, PAGE, token=token)
        assert "errors" not in body, body
        assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 1000 - 301
        # and another address has a full bucket of its own
        transport = httpx.ASGITransport(app=app, client=("10.0.0.2", 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as other:
            body = await gql(other, PAGE)
            assert "errors" not in body, body


async def test_the_budget_over_time_can_be_switched_off(db: Database) -> None:
    settings = get_settings().model_copy(update={"throttle_enabled": False})
    app = create_app(settings, manage_database=False)
    transport = httpx.ASGITransport(app=app, client=("10.0.0.1", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        for _ in range(3):
            body = await gql(http, HOLDERS.replace("100", "20"))
            assert "errors" not in body, body
            assert body["extensions"]["cost"]["throttleStatus"] is None


async def test_a_subscription_is_paid_for_once_when_subscribed(db: Database) -> None:
    # given buckets of 10 points refilling at 1 a second, and a subscription costing 4
    settings = get_settings().model_copy(
        update={"throttle_bucket_size": 10, "throttle_restore_rate": 1.0, "max_query_cost": 10}
    )
    built = build_schema(settings)
    throttle = built.cost_throttle  # type: ignore[attr-defined]
    assert throttle is not None
    ticks = Ticks()
    throttle.now = ticks
    volunteer = await actor_for("volunteer")
    query = "subscription { myPointsChanged { balance held available } }"
    # when it is subscribed twice, then a third time
    streams = [
        await built.subscribe(query, context_value=context(volunteer, settings)) for _ in range(3)
    ]
    first = await next_result(streams[0])  # type: ignore[arg-type]
    assert first.errors is None and first.extensions in ({}, None)
    await next_result(streams[1])  # type: ignore[arg-type]
    refused = await next_result(streams[2])  # type: ignore[arg-type]
    # then the third is refused: 2 points left, 4 needed at 1 a second
    assert refused.data is None
    assert refused.errors[0].extensions == {"code": "THROTTLED", "cost": 4, "retryAfterSeconds": 2}
    for stream in streams:
        await stream.aclose()  # type: ignore[union-attr]


# --- the buckets themselves ----------------------------------------------------------------------


def test_a_bucket_refills_at_its_rate_up_to_its_size() -> None:
    ticks = Ticks()
    buckets = Throttle(capacity=100, restore_rate=5.0, max_clients=10, now=ticks)
    assert buckets.take("a", 80).available == 20
    refused = buckets.take("a", 50)
    assert not refused.allowed and refused.retry_after == 6.0 and refused.retry_after_seconds == 6
    assert buckets.available("a") == 20  # a refusal takes nothing
    ticks.now += 6
    assert buckets.take("a", 50).allowed
    ticks.now += 3600  # never more than full
    assert buckets.available("a") == 100
    assert buckets.take("a", 100).available == 0
    assert buckets.available("b") == 100  # another client


def test_the_buckets_use_bounded_memory() -> None:
    ticks = Ticks()
    buckets = Throttle(capacity=100, restore_rate=1.0, max_clients=50, now=ticks)
    # many clients that each spend something
    for i in range(10_000):
        buckets.take(f"client-{i}", 10)
        assert len(buckets) <= 50
    # the most recent ones are remembered; forgetting an older one gives it a full bucket
    assert buckets.available("client-9999") == 90
    assert buckets.available("client-0") == 100
    # a client that spends nothing is never stored
    buckets.take("free", 0)
    assert len(buckets) <= 50


def test_settings_keep_every_allowed_operation_within_a_full_bucket() -> None:
    with pytest.raises(ValueError, match="THROTTLE_BUCKET_SIZE"):
        Settings(environment="test", throttle_bucket_size=1000, max_query_cost=5000)
    assert Settings(
        environment="test", throttle_enabled=False, throttle_bucket_size=1000
    ).max_query_cost == (50_000)
