"""Subscriptions through the schema (in-process): myPointsChanged, the query limits on
subscription documents, and the area_events helper that work-order and notice subscriptions use."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from strawberry import relay
from strawberry.types.execution import PreExecutionError

import schema.core.context
from schema.build import build_schema
from schema.core.context import Context
from schema.core.live import area_events
from schema.core.loaders import Loaders
from seed.demo import DEMO_COMMUNITY, DEMO_GRID, DEMO_PASSWORD
from services import accounts, people, points
from services.enums import Role
from services.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from services.kit import clock, events
from services.kit.auth import Actor
from services.kit.events import Event, Topic, broker
from services.kit.settings import Settings, get_settings
from services.models import Area, RoleAssignment
from tests.conftest import Database, actor_for, gql, login
from tests.services.kit.test_events import until_subscribed

MY_POINTS = "subscription { myPointsChanged { balance held available } }"


def context(actor: Actor | None, settings: Settings | None = None) -> Context:
    return Context(
        settings=settings or get_settings(),
        actor=actor,
        request_id="test",
        client="test",
        loaders=Loaders(actor),
        websocket=True,
    )


async def subscribe(
    query: str, actor: Actor | Context | None, settings: Settings | None = None, **variables: Any
) -> AsyncIterator[Any]:
    """Subscribe in-process, for `actor` (a fresh context) or with the context given."""
    settings = settings or get_settings()
    ctx = actor if isinstance(actor, Context) else context(actor, settings)
    stream = await build_schema(settings).subscribe(
        query, context_value=ctx, variable_values=variables
    )
    assert not isinstance(stream, PreExecutionError)
    return stream  # type: ignore[return-value]


def recheck_always() -> Settings:
    """Settings under which a subscription re-reads its subscriber before every event."""
    return get_settings().model_copy(update={"live_actor_recheck_seconds": 0}, deep=True)


async def signed_in(username: str) -> Actor:
    """A demo account's actor with a session of its own, as a token brings it."""
    tokens = await accounts.login(username=username, password=DEMO_PASSWORD, client="test")
    actor = await accounts.actor_from_token(tokens.access_token)
    assert actor is not None and actor.session_id is not None
    return actor


async def end_role(username: str, role: Role, *, by: str) -> None:
    """`by` ends `username`'s open `role`."""
    holder = await actor_for(username)
    assignment = await RoleAssignment.get(person_id=holder.person_id, role=role, until=None)
    await people.end_role(actor=await actor_for(by), assignment_id=assignment.id, reason="调整")


async def ends_with(stream: AsyncIterator[Any], code: str, *, result: Any = None) -> str:
    """Assert that the stream's next result (or `result`, already read from it) is the error
    `code` that ends it; returns the error's message."""
    result = result if result is not None else await next_result(stream)
    assert not isinstance(result, PreExecutionError)  # not a refusal at subscribe time
    assert result.data is None, result.data
    assert result.errors is not None and len(result.errors) == 1
    assert (result.errors[0].extensions or {}).get("code") == code, result.errors
    with pytest.raises(StopAsyncIteration):
        await next_result(stream)
    message: str = result.errors[0].message
    return message


async def next_result(stream: AsyncIterator[Any]) -> Any:
    return await asyncio.wait_for(anext(stream), 30)


async def award(person: Actor) -> None:
    async with events.collecting():
        await points.award_points(
            actor=await actor_for("community_admin"),
            person_id=person.person_id,
            rule_code="MONTHLY_MEETING",
            quantity=1,
            reason="例会",
            source=None,
            idempotency_key=uuid.uuid4().hex,
        )


async def test_my_points_changed_sends_the_account_then_its_changes(db: Database) -> None:
    volunteer = await actor_for("volunteer")
    before = await points.account_summary(person_id=volunteer.person_id)
    stream = await subscribe(MY_POINTS, volunteer)
    try:
        first = await next_result(stream)
        assert first.errors is None
        assert first.data == {
            "myPointsChanged": {
                "balance": before.balance,
                "held": before.held,
                "available": before.balance - before.held,
            }
        }
        await award(await actor_for("resident"))  # not the volunteer's: nothing to send
        await award(volunteer)
        changed = await next_result(stream)
        assert changed.data["myPointsChanged"]["balance"] == before.balance + 5
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
    assert broker.subscriber_count(Topic.POINTS) == 0


async def test_my_points_changed_refuses_anonymous_callers(db: Database) -> None:
    stream = await subscribe(MY_POINTS, None)
    result = await next_result(stream)
    assert isinstance(result, PreExecutionError)  # an `error` message, answering `subscribe`
    assert result.errors is not None
    assert result.errors[0].extensions == {"code": "UNAUTHENTICATED", "field": None}
    assert broker.subscriber_count() == 0


@pytest.mark.parametrize(
    ("settings", "query", "code"),
    [
        (
            {"max_query_depth": 2},
            "subscription { myPointsChanged { entries { edges { node { points } } } } }",
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            {"max_aliases": 1},
            "subscription { a: myPointsChanged { b: balance c: held } }",
            "GRAPHQL_VALIDATION_FAILED",
        ),
        ({"max_tokens": 10}, MY_POINTS + " " + "{ }" * 5, "GRAPHQL_VALIDATION_FAILED"),
        (
            {},
            "subscription { myPointsChanged { entries(first: 1000) { totalCount } } }",
            "INVALID_INPUT",
        ),
        (
            {"max_query_cost": 10},
            "subscription { myPointsChanged { entries(first: 50) { edges { node { points } } } } }",
            "QUERY_TOO_COMPLEX",
        ),
    ],
)
async def test_query_limits_apply_to_subscriptions(
    db: Database, settings: dict[str, Any], query: str, code: str
) -> None:
    volunteer = await actor_for("volunteer")
    stream = await subscribe(
        query, volunteer, get_settings().model_copy(update=settings, deep=True)
    )
    result = await next_result(stream)
    assert result.data is None
    assert result.errors is not None
    assert (result.errors[0].extensions or {}).get("code") == code, result.errors
    with pytest.raises(StopAsyncIteration):
        await next_result(stream)
    assert broker.subscriber_count() == 0


async def test_text_with_nul_is_refused_in_subscriptions_too(db: Database) -> None:
    stream = await subscribe(
        'subscription { myPointsChanged { entries(after: "a\\u0000") { totalCount } } }',
        await actor_for("volunteer"),
    )
    result = await next_result(stream)
    assert result.errors is not None
    assert result.errors[0].extensions["code"] == "INVALID_INPUT"
    assert broker.subscriber_count() == 0


async def test_subscriptions_over_plain_http_are_refused(client: httpx.AsyncClient) -> None:
    token = await login(client, "volunteer")
    # (Apollo Client's Accept for multipart subscriptions, which also takes JSON)
    multipart = 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0,application/json'
    for headers in ({}, {"Accept": multipart}):
        body = await gql(client, MY_POINTS, token=token, headers=headers)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
        assert "WebSocket" in body["errors"][0]["message"]
    # a client that takes nothing but a stream is told what it may have instead (406)
    response = await client.post(
        "/graphql",
        json={"query": MY_POINTS},
        headers={"Accept": "multipart/mixed;subscriptionSpec=1.0"},
    )
    assert response.status_code == 406
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"
    assert "WebSocket" in response.json()["errors"][0]["message"]
    response = await client.get("/graphql", params={"query": MY_POINTS})
    assert response.status_code in (200, 400)
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


# The helper behind workOrderEvents and noticePublished.


def area_id(area: Area) -> relay.GlobalID:
    return relay.GlobalID("Area", str(area.id))


def info_for(actor: Actor | None) -> Any:
    return SimpleNamespace(context=context(actor))


async def test_area_events_refuses_at_subscribe_time(db: Database) -> None:
    community = await Area.get(name=DEMO_COMMUNITY)

    def load(event: Event) -> int:
        return int(event.payload["id"])

    cases: list[tuple[Actor | None, relay.GlobalID, type[Exception]]] = [
        (None, area_id(community), Unauthenticated),
        (await actor_for("resident"), area_id(community), Forbidden),
        (await actor_for("grid_leader"), area_id(community), Forbidden),
        (await actor_for("community_admin"), relay.GlobalID("Area", "999999"), NotFound),
        (await actor_for("community_admin"), relay.GlobalID("Person", "1"), InvalidInput),
    ]
    for actor, under, error in cases:
        with pytest.raises(error):
            await area_events(info_for(actor), topic=Topic.WORK_ORDER, under=under, load=load)
    assert broker.subscriber_count() == 0


async def test_area_events_delivers_its_subtree_with_fresh_loaders(db: Database) -> None:
    grid = await Area.get(name=DEMO_GRID)
    community = await Area.get(name=DEMO_COMMUNITY)
    info = info_for(await actor_for("grid_leader"))
    loaders_seen: list[Loaders] = []

    async def load(event: Event) -> int | None:
        loaders_seen.append(info.context.loaders)
        area = await info.context.loaders.area.load(grid.id)  # read back, as a resolver would
        assert area.path == grid.path
        return None if event.payload["id"] == 2 else int(event.payload["id"])

    stream = await area_events(info, topic=Topic.WORK_ORDER, under=area_id(grid), load=load)
    try:
        waiting = asyncio.ensure_future(next_result(stream))
        await until_subscribed(Topic.WORK_ORDER)
        async with events.collecting():
            for key, path in [(1, community.path), (2, grid.path), (3, grid.path)]:
                events.emit(Topic.WORK_ORDER, id=key, action="A", status="S", area_path=path)
        assert await waiting == 3  # 1 is above the grid; `load` skipped 2
        async with events.collecting():
            events.emit(Topic.WORK_ORDER, id=4, action="A", status="S", area_path=grid.path)
        assert await next_result(stream) == 4
        # Every event was read with loaders of its own: none served another's cached rows.
        assert len(loaders_seen) == 3 and len({id(x) for x in loaders_seen}) == 3
    finally:
        await stream.aclose()
    assert broker.subscriber_count() == 0


# A subscription outlives its token, its session and its subscriber's roles.


async def test_my_points_changed_ends_when_the_session_ends(db: Database) -> None:
    volunteer = await signed_in("volunteer")
    stream = await subscribe(MY_POINTS, volunteer, recheck_always())
    try:
        assert (await next_result(stream)).errors is None
        # when the volunteer signs out (elsewhere) and is then awarded points
        assert await accounts.logout(actor=volunteer) == 1
        await award(volunteer)
        # then the subscription ends with UNAUTHENTICATED instead of showing the new balance
        assert "session has ended" in await ends_with(stream, "UNAUTHENTICATED")
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
    assert broker.subscriber_count(Topic.POINTS) == 0
    # and a subscription started on the same connection afterwards is refused at once
    refused = await next_result(await subscribe(MY_POINTS, volunteer, recheck_always()))
    assert isinstance(refused, PreExecutionError)
    assert refused.errors is not None
    assert refused.errors[0].extensions == {"code": "UNAUTHENTICATED", "field": None}
    assert broker.subscriber_count() == 0


async def test_a_subscription_ends_before_delivering_once_its_token_has_expired(
    db: Database,
) -> None:
    volunteer = await signed_in("volunteer")
    ctx = context(volunteer)
    ctx.token_expires_at = clock.now() + timedelta(hours=1)
    stream = await subscribe(MY_POINTS, ctx)
    try:
        assert (await next_result(stream)).errors is None
        # when the token expires (the session is still open) and then the balance changes
        ctx.token_expires_at = clock.now() - timedelta(seconds=1)
        await award(volunteer)
        # then the change is not shown: the stream ends with UNAUTHENTICATED
        assert await ends_with(stream, "UNAUTHENTICATED") == schema.core.context.TOKEN_EXPIRED
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
    assert broker.subscriber_count() == 0


async def test_a_waiting_subscription_ends_when_its_token_expires(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schema.core.context, "TOKEN_CHECK_SECONDS", 0.05)
    volunteer = await signed_in("volunteer")
    ctx = context(volunteer)
    ctx.token_expires_at = clock.now() + timedelta(hours=1)
    stream = await subscribe(MY_POINTS, ctx)
    try:
        assert (await next_result(stream)).errors is None
        # when the token expires while no event comes: the timer ends the stream
        ctx.token_expires_at = clock.now() - timedelta(seconds=1)
        assert await ends_with(stream, "UNAUTHENTICATED") == schema.core.context.TOKEN_EXPIRED
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
    assert broker.subscriber_count() == 0


async def test_access_claims_give_the_expiry_a_connection_keeps(db: Database) -> None:
    tokens = await accounts.login(username="volunteer", password=DEMO_PASSWORD, client="test")
    claims = accounts.access_claims(tokens.access_token)
    assert claims is not None
    assert claims.expires_at == tokens.expires_at.replace(microsecond=0)
    assert claims.account_id == tokens.account.id
    assert accounts.access_claims(tokens.access_token[:-2]) is None
