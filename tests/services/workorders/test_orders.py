"""Placing requests and reporting problems (bad input changes nothing), and the lists of orders."""

from __future__ import annotations

import pytest

from services import workorders
from services.enums import AreaLevel, Role, WorkOrderStatus
from services.errors import Forbidden, IdempotencyConflict, InvalidInput
from services.kit.pagination import Window
from services.models import Area, RoleAssignment, WorkOrder, WorkOrderCategory
from services.people import assign_role, end_role
from tests.conftest import Database, actor_for
from tests.services.workorders_support import (
    act,
    events_of,
    grid,
    micro_grid,
    place,
    report,
    sibling,
    snapshot,
)

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


class TestPlaceOrder:
    async def test_bad_orders_are_refused_and_change_nothing(self, db: Database) -> None:
        before = await snapshot()
        for category, description, field in (
            ("NO_SUCH", "漏水", "category"),
            ("SANITATION", "漏水", "category"),
            ("WATER_ELECTRIC", "", "description"),
            ("WATER_ELECTRIC", "水" * 1001, "description"),
        ):
            with pytest.raises(InvalidInput) as refused:
                await place(category=category, description=description)
            assert refused.value.field == field
        with pytest.raises(Forbidden):  # the district admin lives in no household of the demo
            await place("district_admin")
        assert await snapshot() == before

    async def test_retired_categories_take_no_orders(self, db: Database) -> None:
        category = await WorkOrderCategory.get(code="WATER_ELECTRIC")
        district = await actor_for("district_admin")
        await workorders.update_category(actor=district, category_id=category.id, active=False)
        with pytest.raises(InvalidInput):
            await place()


class TestReportProblem:
    async def test_reporting_needs_a_grid_role_or_a_home_in_the_community(
        self, db: Database
    ) -> None:
        before = await snapshot()
        with pytest.raises(Forbidden):  # neither a grid worker nor living in the community
            await report("partner")
        with pytest.raises(Forbidden):  # a micro-grid of another community
            await report(area=await Area.filter(level=AreaLevel.MICRO_GRID).order_by("-id").first())
        with pytest.raises(InvalidInput):  # a community is not a place to report at
            await report(area=await Area.get(name="颜山社区"))
        assert await snapshot() == before

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"category": "NO_SUCH"}, "category"),
            ({"category": "WATER_ELECTRIC"}, "category"),  # a request's category, not a report's
            ({"description": "   "}, "description"),
            ({"description": "脏" * 1001}, "description"),
            ({"location": ""}, "location"),
            ({"photos": ["ftp://img.example.com/a.jpg"]}, "photoUrls"),
            ({"photos": ["javascript:alert(1)"]}, "photoUrls"),
            ({"photos": ["https:///nohost.jpg"]}, "photoUrls"),
            ({"photos": ["https://img.example.com/" + "a" * 500]}, "photoUrls"),
            ({"photos": ["https://img.example.com/a.jpg"] * 10}, "photoUrls"),
        ],
    )
    async def test_bad_reports_are_refused_and_change_nothing(
        self, db: Database, kwargs: dict[str, object], field: str
    ) -> None:
        before = await snapshot()
        with pytest.raises(InvalidInput) as refused:
            await report(**kwargs)  # type: ignore[arg-type]
        assert refused.value.field == field
        assert await snapshot() == before


class TestIdempotentSubmission:
    async def test_a_retried_order_is_placed_once(self, db: Database) -> None:
        resident = await actor_for("resident")
        first = await workorders.place_order(
            actor=resident, category="WATER_ELECTRIC", description="水管漏水", idempotency_key="o-1"
        )
        before = await snapshot()
        # when the resident's app retries with the same key and input
        again = await workorders.place_order(
            actor=resident,
            category="WATER_ELECTRIC",
            description=" 水管漏水 ",  # the same once cleaned
            idempotency_key="o-1",
        )
        # then it gets the first order and nothing changed
        assert again.id == first.id
        assert await snapshot() == before
        # the same key with another input is a conflict, and changes nothing
        with pytest.raises(IdempotencyConflict) as conflict:
            await workorders.place_order(
                actor=resident, category="ERRAND", description="代办", idempotency_key="o-1"
            )
        assert conflict.value.field == "idempotencyKey"
        assert await snapshot() == before
        # without a key (older clients) every call places an order
        await place()
        await place()
        assert (await snapshot()).orders == before.orders + 2

    async def test_a_retried_report_is_reported_once(self, db: Database) -> None:
        rider = await actor_for("rider")
        area = await micro_grid()
        values = dict(
            category="SANITATION", area_id=area.id, location="3 号楼", description="垃圾满溢"
        )
        first = await workorders.report_problem(
            actor=rider, photo_urls=[], idempotency_key="r-1", **values
        )
        before = await snapshot()
        again = await workorders.report_problem(
            actor=rider, photo_urls=[], idempotency_key="r-1", **values
        )
        assert again.id == first.id and await snapshot() == before
        with pytest.raises(IdempotencyConflict):
            await workorders.report_problem(
                actor=rider,
                photo_urls=["https://img.example.com/a.jpg"],
                idempotency_key="r-1",
                **values,
            )
        # a refused call records no key: the key is free for the corrected input
        with pytest.raises(InvalidInput):
            await workorders.report_problem(
                actor=rider, photo_urls=[], idempotency_key="r-2", **{**values, "category": "NO"}
            )
        fixed = await workorders.report_problem(
            actor=rider, photo_urls=[], idempotency_key="r-2", **values
        )
        assert fixed.id != first.id
        with pytest.raises(InvalidInput):
            await workorders.report_problem(
                actor=rider, photo_urls=[], idempotency_key="", **values
            )


class TestResidentsReports:
    async def test_a_residents_report_waits_for_its_check(self, db: Database) -> None:
        order = await report("resident")
        assert order.status is WorkOrderStatus.SUBMITTED and order.dispatched_at is None
        assert await events_of(order) == [("SUBMIT", None, "SUBMITTED", "待网格核实")]
        # a grid worker's report is dispatched at once, as before
        rider = await report("rider")
        assert rider.status is WorkOrderStatus.DISPATCHED


class TestLeaderlessMicroGrid:
    async def test_an_order_goes_to_the_grid_leader_at_once(self, db: Database) -> None:
        # given M's leader stepped down
        micro, g = await micro_grid(), await grid()
        held = await RoleAssignment.get(area_id=micro.id, role=Role.MICRO_GRID_LEADER, until=None)
        admin = await actor_for("community_admin")
        await end_role(actor=admin, assignment_id=held.id, reason="迁出本小区")
        # when the resident places an order
        order = await place()
        # then it is handled at the grid, and the grid leader accepts it at once
        assert (order.area_id, order.handling_area_id) == (micro.id, g.id)
        timeline = await events_of(order)
        assert timeline[1] == (
            "DISPATCH",
            "SUBMITTED",
            "DISPATCHED",
            "微网格暂无微网格长，派至网格长",
        )
        accepted = await act("grid_leader", "accept", order)
        assert accepted.status is WorkOrderStatus.ACCEPTED
        assert accepted.escalation_level == 0 and not accepted.sla_breached
        # reports there too
        reported = await report(area=micro)
        assert reported.handling_area_id == g.id
        # once a new leader is appointed, orders go to the micro-grid again
        person = (await actor_for("central_household")).person_id
        await assign_role(
            actor=admin, person_id=person, role=Role.MICRO_GRID_LEADER, area_id=micro.id
        )
        again = await place()
        assert again.handling_area_id == micro.id
        assert (await WorkOrder.get(id=order.id)).handling_area_id == g.id


class TestListOrders:
    async def test_who_sees_which_orders(self, db: Database) -> None:
        mine = await place()
        theirs = await report(area=await sibling())
        micro = await micro_grid()
        leader = await actor_for("microgrid_leader")
        page = await workorders.list_orders(
            actor=leader, under_id=micro.id, window=Window(first=100)
        )
        assert mine.id in page.keys and theirs.id not in page.keys
        with pytest.raises(Forbidden):
            await workorders.list_orders(
                actor=leader, under_id=(await grid()).id, window=Window(first=10)
            )
        with pytest.raises(Forbidden):
            await workorders.list_orders(
                actor=await actor_for("resident"), under_id=None, window=Window(first=10)
            )
        scope = await workorders.list_orders(
            actor=await actor_for("grid_leader"), under_id=None, window=Window(first=100)
        )
        assert {mine.id, theirs.id} <= set(scope.keys)
        # the resident's own list, the rider's reports
        own = await workorders.my_orders(
            actor=await actor_for("resident"), window=Window(first=100)
        )
        assert mine.id in own.keys and theirs.id not in own.keys
        reports = await workorders.my_orders(
            actor=await actor_for("rider"), window=Window(first=100)
        )
        assert theirs.id in reports.keys
        # overdue only, as of now: an order placed now is not overdue
        overdue = await workorders.list_orders(
            actor=leader, under_id=micro.id, overdue_only=True, window=Window(first=100)
        )
        assert mine.id not in overdue.keys
        assert all(o.status is not WorkOrderStatus.CLOSED for o in overdue.items)

    async def test_assigned_to_me(self, db: Database) -> None:
        order = await act("microgrid_leader", "accept", await place())
        helper = await actor_for("central_household")
        await act("microgrid_leader", "assign", order, person_id=helper.person_id)
        page = await workorders.list_orders(
            actor=helper, under_id=None, assigned_to_me=True, window=Window(first=100)
        )
        assert order.id in page.keys
        assert all(o.assignee_id == helper.person_id for o in page.items)
