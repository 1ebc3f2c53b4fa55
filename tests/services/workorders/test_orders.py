"""Placing requests and reporting problems (bad input changes nothing), and the lists of orders."""

from __future__ import annotations

import pytest

from services import workorders
from services.enums import AreaLevel, WorkOrderStatus
from services.errors import Forbidden, InvalidInput
from services.models import Area, WorkOrderCategory
from tests.conftest import Database, actor_for
from tests.services.workorders_support import (
    act,
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
    async def test_reporting_needs_a_grid_role_in_the_community(self, db: Database) -> None:
        before = await snapshot()
        with pytest.raises(Forbidden):
            await report("resident")
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


class TestListOrders:
    async def test_who_sees_which_orders(self, db: Database) -> None:
        mine = await place()
        theirs = await report(area=await sibling())
        micro = await micro_grid()
        leader = await actor_for("microgrid_leader")
        page = await workorders.list_orders(actor=leader, under_id=micro.id, first=100)
        assert mine.id in page.keys and theirs.id not in page.keys
        with pytest.raises(Forbidden):
            await workorders.list_orders(actor=leader, under_id=(await grid()).id, first=10)
        with pytest.raises(Forbidden):
            await workorders.list_orders(actor=await actor_for("resident"), under_id=None, first=10)
        scope = await workorders.list_orders(
            actor=await actor_for("grid_leader"), under_id=None, first=100
        )
        assert {mine.id, theirs.id} <= set(scope.keys)
        # the resident's own list, the rider's reports
        own = await workorders.my_orders(actor=await actor_for("resident"), first=100)
        assert mine.id in own.keys and theirs.id not in own.keys
        reports = await workorders.my_orders(actor=await actor_for("rider"), first=100)
        assert theirs.id in reports.keys
        # overdue only, as of now: an order placed now is not overdue
        overdue = await workorders.list_orders(
            actor=leader, under_id=micro.id, overdue_only=True, first=100
        )
        assert mine.id not in overdue.keys
        assert all(o.status is not WorkOrderStatus.CLOSED for o in overdue.items)

    async def test_assigned_to_me(self, db: Database) -> None:
        order = await act("microgrid_leader", "accept", await place())
        helper = await actor_for("central_household")
        await act("microgrid_leader", "assign", order, person_id=helper.person_id)
        page = await workorders.list_orders(
            actor=helper, under_id=None, assigned_to_me=True, first=100
        )
        assert order.id in page.keys
        assert all(o.assignee_id == helper.person_id for o in page.items)
