"""workOrderEvents through the schema (in-process): dispatches and later steps reach the workers
of the area, field workers see only their own orders, and outsiders may not follow."""

from __future__ import annotations

import asyncio
from typing import Any

from strawberry import relay
from strawberry.types.execution import PreExecutionError

from services import workorders
from services.enums import Role
from services.kit import events
from services.kit.events import Topic, broker
from services.models import WorkOrder
from services.people import assign_role
from tests.conftest import Database, actor_for
from tests.schema.core.test_live import end_role, ends_with, next_result, recheck_always, subscribe
from tests.services.kit.test_events import until_subscribed
from tests.services.workorders_support import grid, micro_grid, sibling

FOLLOW = """
subscription Follow($under: ID!) {
  workOrderEvents(under: $under) {
    action status workOrder { id status microGrid { name } timeline { action } }
  }
}
"""


def gid(type_name: str, key: int) -> str:
    return str(relay.GlobalID(type_name, str(key)))


async def place(description: str = "水管漏水") -> WorkOrder:
    async with events.collecting():
        return await workorders.place_order(
            actor=await actor_for("resident"), category="WATER_ELECTRIC", description=description
        )


async def step(name: str, username: str, order: WorkOrder, **more: Any) -> WorkOrder:
    async with events.collecting():
        done: WorkOrder = await getattr(workorders, name)(
            actor=await actor_for(username), work_order_id=order.id, **more
        )
        return done


class TestWorkOrderEvents:
    async def test_the_micro_grid_leader_follows_dispatch_and_acceptance(
        self, db: Database
    ) -> None:
        area = await micro_grid()
        stream = await subscribe(
            FOLLOW, await actor_for("microgrid_leader"), under=gid("Area", area.id)
        )
        try:
            pending = asyncio.ensure_future(next_result(stream))
            await until_subscribed(Topic.WORK_ORDER)
            # when the resident places an order (routed to M) and the leader accepts it
            order = await place()
            dispatched = await pending
            assert dispatched.errors is None, dispatched.errors
            update = dispatched.data["workOrderEvents"]
            assert (update["action"], update["status"]) == ("DISPATCH", "DISPATCHED")
            assert update["workOrder"]["id"] == gid("WorkOrder", order.id)
            assert update["workOrder"]["microGrid"]["name"] == area.name
            await step("accept", "microgrid_leader", order)
            accepted = (await next_result(stream)).data["workOrderEvents"]
            assert (accepted["action"], accepted["workOrder"]["status"]) == ("ACCEPT", "ACCEPTED")
            assert [t["action"] for t in accepted["workOrder"]["timeline"]] == [
                "SUBMIT",
                "DISPATCH",
                "ACCEPT",
            ]
        finally:
            await stream.aclose()  # type: ignore[attr-defined]
        assert broker.subscriber_count(Topic.WORK_ORDER) == 0

    async def test_a_central_household_is_shown_only_the_orders_assigned_to_it(
        self, db: Database
    ) -> None:
        household = await actor_for("central_household")
        stream = await subscribe(FOLLOW, household, under=gid("Area", (await grid()).id))
        try:
            pending = asyncio.ensure_future(next_result(stream))
            await until_subscribed(Topic.WORK_ORDER)
            # an order they have nothing to do with passes them by (dispatch, acceptance) ...
            await step("accept", "microgrid_leader", await place("楼道灯坏了"))
            # ... and the first they are shown is the one assigned to them
            mine = await place("帮忙买药")
            await step("accept", "microgrid_leader", mine)
            await step("assign", "microgrid_leader", mine, person_id=household.person_id)
            shown = (await pending).data["workOrderEvents"]
            assert (shown["action"], shown["workOrder"]["id"]) == (
                "ASSIGN",
                gid("WorkOrder", mine.id),
            )
        finally:
            await stream.aclose()  # type: ignore[attr-defined]

    async def test_outsiders_may_not_follow_an_area(self, db: Database) -> None:
        other = await sibling()
        # the leader and the central household of M, and a resident, at M's sibling micro-grid
        for who in ("microgrid_leader", "central_household", "resident"):
            stream = await subscribe(FOLLOW, await actor_for(who), under=gid("Area", other.id))
            result = await next_result(stream)
            assert isinstance(result, PreExecutionError), who
            assert result.errors is not None
            assert result.errors[0].extensions == {"code": "FORBIDDEN", "field": "under"}
        assert broker.subscriber_count() == 0

    async def test_a_leader_whose_role_ended_is_shown_no_more_orders(self, db: Database) -> None:
        area = await micro_grid()
        # given the micro-grid leader following the orders of her micro-grid
        stream = await subscribe(
            FOLLOW,
            await actor_for("microgrid_leader"),
            recheck_always(),
            under=gid("Area", area.id),
        )
        try:
            pending = asyncio.ensure_future(next_result(stream))
            await until_subscribed(Topic.WORK_ORDER)
            # when the community admin ends her role and appoints a successor, and a resident of
            # the micro-grid then places an order (with their phone on it; without a leader it
            # would go to the grid)
            await end_role("microgrid_leader", Role.MICRO_GRID_LEADER, by="community_admin")
            await assign_role(
                actor=await actor_for("community_admin"),
                person_id=(await actor_for("central_household")).person_id,
                role=Role.MICRO_GRID_LEADER,
                area_id=area.id,
            )
            await place()
            # then she is not shown it: her subscription ends with FORBIDDEN
            await ends_with(stream, "FORBIDDEN", result=await pending)
        finally:
            await stream.aclose()  # type: ignore[attr-defined]
        assert broker.subscriber_count(Topic.WORK_ORDER) == 0
