"""Subscriptions end to end: a real server (`python -m api serve`, one worker: the broker is
in-process), real WebSockets speaking graphql-transport-ws, and changes made over HTTP."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.api.servers import Served, demo_server
from tests.conftest import BACKENDS, gql, login

pytestmark = pytest.mark.slow

PROTOCOL = "graphql-transport-ws"
CAP = 3
MY_POINTS = "subscription { myPointsChanged { balance held available } }"
ME = "{ viewer { person { id } } }"
AWARD = """
mutation Award($input: AwardPointsInput!) {
  awardPoints(input: $input) {
    __typename
    ... on AwardPointsSuccess { award { points status } }
    ... on Error { code message }
  }
}
"""


@pytest.fixture(params=BACKENDS)
async def server(
    request: pytest.FixtureRequest, templates: dict[tuple[str, bool], str], tmp_path: Path
) -> AsyncIterator[Served]:
    """The demo district behind a real one-worker server."""
    settings = {
        "MAX_SUBSCRIPTIONS_PER_CONNECTION": str(CAP),
        "JOBS_INTERVAL_SECONDS": "0",
        # subscribers are re-read before every event (roles, session)
        "LIVE_ACTOR_RECHECK_SECONDS": "0",
    }
    async with demo_server(request.param, templates, tmp_path, settings=settings) as handle:
        yield handle


class Socket:
    """One graphql-transport-ws connection."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def receive(self) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), 30))
        return message

    async def send_init(self, payload: dict[str, Any] | None) -> None:
        await self.send({"type": "connection_init", **({"payload": payload} if payload else {})})

    async def init(self, payload: dict[str, Any] | None) -> dict[str, Any]:
        await self.send_init(payload)
        return await self.receive()

    async def subscribe(self, key: str, query: str) -> None:
        await self.send({"id": key, "type": "subscribe", "payload": {"query": query}})

    async def closed_with(self) -> int | None:
        """The close code once the server has closed the connection."""
        with pytest.raises(ConnectionClosed):
            await self.receive()
        return self.ws.close_code


@asynccontextmanager
async def socket(
    server: Served, *, protocols: tuple[str, ...] = (PROTOCOL,)
) -> AsyncIterator[Socket]:
    url = server.base.replace("http://", "ws://", 1) + "/graphql"
    async with connect(url, subprotocols=list(protocols), open_timeout=30) as ws:  # type: ignore[arg-type]
        yield Socket(ws)


@asynccontextmanager
async def signed_in(server: Served, payload: dict[str, Any]) -> AsyncIterator[Socket]:
    async with socket(server) as ws:
        assert (await ws.init(payload))["type"] == "connection_ack"
        yield ws


async def person_id(http: httpx.AsyncClient, token: str) -> str:
    body = await gql(http, ME, token=token)
    found: str = body["data"]["viewer"]["person"]["id"]
    return found


async def award(http: httpx.AsyncClient, token: str, person: str) -> None:
    body = await gql(
        http,
        AWARD,
        {
            "input": {
                "personId": person,
                "ruleCode": "MONTHLY_MEETING",
                "reason": "参加月度例会",
                "idempotencyKey": uuid.uuid4().hex,
            }
        },
        token=token,
    )
    assert body["data"]["awardPoints"]["__typename"] == "AwardPointsSuccess", body


async def open_subscriptions(http: httpx.AsyncClient) -> dict[str, float]:
    text = (await http.get("/metrics")).text
    found = {}
    for line in text.splitlines():
        if line.startswith("gridpoints_live_subscriptions{"):
            labels, value = line.rsplit(" ", 1)
            found[labels.split('"')[1]] = float(value)
    return found


async def until_open(http: httpx.AsyncClient, topic: str, count: int) -> None:
    """Wait until the server reports `count` open subscriptions on `topic` (readiness only)."""
    for _ in range(300):
        if (await open_subscriptions(http)).get(topic) == count:
            return
        await asyncio.sleep(0.1)
    pytest.fail(f"the server never reported {count} subscriptions on {topic}")


async def test_my_points_changed_over_a_real_websocket(server: Served) -> None:
    async with server.client(4) as http:
        admin = await login(http, "community_admin")
        volunteer = await login(http, "volunteer")
        resident = await login(http, "resident")
        volunteer_id = await person_id(http, volunteer)
        resident_id = await person_id(http, resident)
        # given the volunteer and the resident following their points, each on a connection
        # (the two ways of passing the token)
        async with (
            signed_in(server, {"authorization": f"Bearer {volunteer}"}) as mine,
            signed_in(server, {"token": resident}) as theirs,
        ):
            await mine.subscribe("p", MY_POINTS)
            await theirs.subscribe("p", MY_POINTS)
            first = await mine.receive()
            assert first["type"] == "next" and first["id"] == "p", first
            start = first["payload"]["data"]["myPointsChanged"]
            resident_start = (await theirs.receive())["payload"]["data"]["myPointsChanged"]
            assert await open_subscriptions(http) == {
                "WORK_ORDER": 0,
                "NOTICE": 0,
                "POINTS": 2,
                "IMPORT_JOB": 0,
            }

            # when the community admin awards the volunteer over HTTP
            await award(http, admin, volunteer_id)

            # then the volunteer's subscription receives the new balance
            changed = await mine.receive()
            assert changed == {
                "id": "p",
                "type": "next",
                "payload": {
                    "data": {
                        "myPointsChanged": {
                            "balance": start["balance"] + 5,
                            "held": start["held"],
                            "available": start["available"] + 5,
                        }
                    }
                },
            }
            # and the resident's received nothing for it: their next message is their own award
            await award(http, admin, resident_id)
            own = (await theirs.receive())["payload"]["data"]["myPointsChanged"]
            assert own["balance"] == resident_start["balance"] + 5

            # completing a subscription ends it on the server
            await mine.send({"id": "p", "type": "complete"})
            await until_open(http, "POINTS", 1)
        await until_open(http, "POINTS", 0)


async def test_connections_and_subscriptions_that_are_refused(server: Served) -> None:
    async with server.client(2) as http:
        volunteer = await login(http, "volunteer")
    # an invalid token closes the connection with 4403
    for payload in (
        {"authorization": "Bearer not-a-token"},
        {"token": volunteer[:-2]},
        {"authorization": volunteer},  # no scheme
        {"authorization": ["Bearer", volunteer]},
    ):
        async with socket(server) as ws:
            await ws.send_init(payload)
            assert await ws.closed_with() == 4403, payload
    # an anonymous connection is accepted, but myPointsChanged answers with a typed error
    async with socket(server) as ws:
        assert (await ws.init(None))["type"] == "connection_ack"
        await ws.subscribe("a", MY_POINTS)
        error = await ws.receive()
        assert error["type"] == "error" and error["id"] == "a"
        assert error["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # subscribing before connection_init is refused by the protocol (4401)
    async with socket(server) as ws:
        await ws.subscribe("a", MY_POINTS)
        assert await ws.closed_with() == 4401
    # the legacy graphql-ws protocol is not spoken
    async with socket(server, protocols=("graphql-ws",)) as ws:
        assert ws.ws.subprotocol is None
        assert await ws.closed_with() == 4406
    # query limits apply to subscription documents
    async with signed_in(server, {"token": volunteer}) as ws:
        await ws.subscribe(
            "big", "subscription { myPointsChanged { entries(first: 500) { totalCount } } }"
        )
        error = await ws.receive()
        assert error["type"] == "error"
        assert error["payload"][0]["extensions"]["code"] == "INVALID_INPUT"
        # and so does the check of ids
        await ws.subscribe("id", 'subscription { workOrderEvents(under: "171") { __typename } }')
        error = await ws.receive()
        assert error["type"] == "error" and error["id"] == "id"
        assert error["payload"][0]["extensions"]["field"] == "under"


async def test_subscriptions_per_connection_are_capped(server: Served) -> None:
    async with server.client(2) as http:
        volunteer = await login(http, "volunteer")
    async with signed_in(server, {"token": volunteer}) as ws:
        for key in range(CAP):
            await ws.subscribe(str(key), MY_POINTS)
            assert (await ws.receive())["type"] == "next"
        await ws.subscribe("over", MY_POINTS)
        error = await ws.receive()
        assert error["id"] == "over" and error["type"] == "error"
        assert error["payload"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
        assert f"At most {CAP} subscriptions" in error["payload"][0]["message"]
        # completing one makes room for another
        await ws.send({"id": "0", "type": "complete"})
        await ws.subscribe("again", MY_POINTS)
        following = await ws.receive()
        assert following["id"] == "again" and following["type"] == "next"


FOLLOW_ORDERS = """
subscription Follow($under: ID!) {
  workOrderEvents(under: $under) { action status workOrder { id microGrid { id } } }
}
"""
PLACE_ORDER = """
mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    __typename
    ... on PlaceOrderSuccess { workOrder { id microGrid { id } } }
    ... on Error { code message }
  }
}
"""
MY_MICRO_GRID = "{ viewer { roles { role area { id } } } }"


async def test_a_dispatch_reaches_the_micro_grid_leader_over_a_real_websocket(
    server: Served,
) -> None:
    async with server.client(2) as http:
        leader = await login(http, "microgrid_leader")
        resident = await login(http, "resident")
        roles = (await gql(http, MY_MICRO_GRID, token=leader))["data"]["viewer"]["roles"]
        area = next(r["area"]["id"] for r in roles if r["role"] == "MICRO_GRID_LEADER")
        # given the micro-grid leader following the work orders of her micro-grid
        async with signed_in(server, {"authorization": f"Bearer {leader}"}) as ws:
            await ws.send(
                {
                    "id": "w",
                    "type": "subscribe",
                    "payload": {"query": FOLLOW_ORDERS, "variables": {"under": area}},
                }
            )
            await until_open(http, "WORK_ORDER", 1)
            # when a resident of it places an order over HTTP
            body = await gql(
                http,
                PLACE_ORDER,
                {"input": {"category": "WATER_ELECTRIC", "description": "厨房水管漏水"}},
                token=resident,
            )
            placed = body["data"]["placeOrder"]
            assert placed["__typename"] == "PlaceOrderSuccess", body
            # then the dispatch to her micro-grid arrives on the socket
            message = await ws.receive()
            assert message["type"] == "next" and message["id"] == "w", message
            assert message["payload"]["data"]["workOrderEvents"] == {
                "action": "DISPATCH",
                "status": "DISPATCHED",
                "workOrder": {"id": placed["workOrder"]["id"], "microGrid": {"id": area}},
            }


END_ROLE = """
mutation End($input: EndRoleInput!) {
  endRole(input: $input) { __typename ... on Error { code message } }
}
"""
MY_ROLES = "{ viewer { roles { id role area { id } } } }"


async def test_a_leader_whose_role_ends_gets_an_error_instead_of_the_next_order(
    server: Served,
) -> None:
    async with server.client(2) as http:
        leader = await login(http, "microgrid_leader")
        admin = await login(http, "community_admin")
        resident = await login(http, "resident")
        roles = (await gql(http, MY_ROLES, token=leader))["data"]["viewer"]["roles"]
        role = next(r for r in roles if r["role"] == "MICRO_GRID_LEADER")
        # given the micro-grid leader following the work orders of her micro-grid
        async with signed_in(server, {"authorization": f"Bearer {leader}"}) as ws:
            await ws.send(
                {
                    "id": "w",
                    "type": "subscribe",
                    "payload": {"query": FOLLOW_ORDERS, "variables": {"under": role["area"]["id"]}},
                }
            )
            await until_open(http, "WORK_ORDER", 1)
            # when the community admin ends her role, and a resident then places an order
            ended = await gql(
                http,
                END_ROLE,
                {"input": {"assignmentId": role["id"], "reason": "换届"}},
                token=admin,
            )
            assert ended["data"]["endRole"]["__typename"] == "EndRoleSuccess", ended
            placed = await gql(
                http,
                PLACE_ORDER,
                {"input": {"category": "WATER_ELECTRIC", "description": "厨房水管漏水"}},
                token=resident,
            )
            assert placed["data"]["placeOrder"]["__typename"] == "PlaceOrderSuccess", placed
            # then, instead of the order, her subscription gets an `error` message and ends
            message = await ws.receive()
            assert message["type"] == "error" and message["id"] == "w", message
            assert [e["extensions"]["code"] for e in message["payload"]] == ["FORBIDDEN"]
            await until_open(http, "WORK_ORDER", 0)
            # and the connection stays usable: her points still come
            await ws.subscribe("p", MY_POINTS)
            assert (await ws.receive())["type"] == "next"
