"""Dispatch (派单): the area a new request or report goes to, read by index."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from tortoise import connections

from services import accounts, households, workorders
from services.enums import WorkOrderKind, WorkOrderStatus
from services.errors import NotFound
from services.models import Area, WorkOrderCategory, WorkOrderEvent
from tests.conftest import Database, actor_for
from tests.services.workorders_support import (
    act,
    events_of,
    grid,
    micro_grid,
    place,
    report,
    sibling,
)

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


class TestRouteHousehold:
    """A request goes to its household's micro-grid, else its community."""

    async def test_a_request_goes_to_the_households_micro_grid(self, db: Database) -> None:
        # given the resident of M
        resident = await actor_for("resident")
        micro = await micro_grid()
        # when she places an order
        order = await place(description="  厨房水龙头漏水  ")
        # then it is dispatched to M at once, SUBMITTED then DISPATCHED on the timeline
        assert order.status is WorkOrderStatus.DISPATCHED
        assert (order.handling_area_id, order.handling_path) == (micro.id, micro.path)
        assert order.household_id == resident.household_id
        assert order.reporter_id == resident.person_id
        assert order.description == "厨房水龙头漏水"
        assert await events_of(order) == [
            ("SUBMIT", None, "SUBMITTED", None),
            ("DISPATCH", "SUBMITTED", "DISPATCHED", None),
        ]
        dispatch = await WorkOrderEvent.get(work_order_id=order.id, action="DISPATCH")
        assert dispatch.target_area_id == micro.id and dispatch.actor_id is None
        category = await WorkOrderCategory.get(id=order.category_id)
        assert order.accept_due == order.submitted_at + timedelta(
            minutes=category.accept_within_minutes
        )
        assert order.resolve_due == order.submitted_at + timedelta(
            hours=category.resolve_within_hours
        )

    async def test_a_household_without_micro_grid_goes_to_its_community(self, db: Database) -> None:
        # given a household registered in the community but not yet in a micro-grid
        admin = await actor_for("community_admin")
        community = await Area.get(name="颜山社区")
        home = await households.create_household(
            actor=admin, area_id=community.id, address="颜山路 1 号", member_count=1
        )
        account = await accounts.create_account(
            username="new_resident", password="quiet-harbour-lantern", name="新住户", phone=None
        )
        await households.add_member(actor=admin, household_id=home.id, person_id=account.person_id)
        # when the newcomer places an order, the community handles it
        order = await place("new_resident")
        assert order.handling_path == community.path
        accepted = await act("community_admin", "accept", order)
        assert accepted.accepted_by_id == admin.person_id


class TestRouteReport:
    """A report goes to the micro-grid, or the grid, where it was seen."""

    async def test_a_report_goes_to_the_micro_grid_where_it_was_seen(self, db: Database) -> None:
        other = await sibling()
        order = await report(area=other)
        assert order.kind is WorkOrderKind.PROBLEM_REPORT
        assert order.handling_area_id == other.id == order.area_id
        assert order.photo_urls == ["https://img.example.com/test/photo.jpg"]

    async def test_a_report_at_a_grid_goes_to_the_grid(self, db: Database) -> None:
        # given a place no micro-grid covers: the grid itself
        g = await grid()
        order = await report(area=g, category="SAFETY_HAZARD")
        # then the grid handles it, and its leader accepts it
        # (a micro-grid's leader does not see it)
        assert order.handling_path == g.path
        with pytest.raises(NotFound):
            await act("microgrid_leader", "accept", order)
        accepted = await act("grid_leader", "accept", order)
        assert accepted.status is WorkOrderStatus.ACCEPTED


class TestDispatchReads:
    async def test_dispatch_reads_by_index_only(
        self, db: Database, caplog: pytest.LogCaptureFixture
    ) -> None:
        # given the resident and a reporter, on SQLite (whose planner says SCAN for a full scan)
        if db.backend != "sqlite":
            pytest.skip("the query plan is read from SQLite")
        resident = await actor_for("resident")
        rider = await actor_for("rider")
        area = (await micro_grid()).id
        # when an order is placed and a problem reported
        with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
            await workorders.place_order(
                actor=resident, category="WATER_ELECTRIC", description="漏水"
            )
            await workorders.report_problem(
                actor=rider,
                category="SANITATION",
                area_id=area,
                location="3 号楼",
                description="垃圾满溢",
                photo_urls=[],
            )
        reads = [
            record.args
            for record in caplog.records
            if record.name == "tortoise.db_client"
            and record.msg == "%s: %s"
            and isinstance(record.args, tuple)
            and str(record.args[0]).lstrip().upper().startswith("SELECT")
        ]
        assert reads
        # then every read of the dispatch is an index lookup, never a scan of a table
        conn = connections.get("default")
        for sql, values in reads:
            plan = await conn.execute_query_dict(f"EXPLAIN QUERY PLAN {sql}", list(values or []))
            details = " ".join(str(row["detail"]) for row in plan)
            assert "SCAN" not in details, (sql, details)
