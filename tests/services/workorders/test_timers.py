"""The timers on a controlled clock: escalation of late orders, automatic confirmation of
requests, and the periodic jobs that run them."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta

import pytest

from services import accounts, households, workorders
from services.enums import WorkOrderStatus
from services.models import Area, WorkOrder, WorkOrderEvent
from services.workorders.timers import _due_for_escalation
from tests.conftest import Database, actor_for
from tests.services.points_support import assert_ledger_ok, person_id
from tests.services.workorders_support import (
    act,
    awards_for,
    grid,
    handled,
    place,
    report,
    snapshot,
)

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


class TestEscalateOverdue:
    async def test_overdue_orders_escalate_to_the_grid_then_the_community(
        self, db: Database
    ) -> None:
        order = await place()  # 水电维修: 30 minutes to accept
        t0 = order.submitted_at
        await workorders.run_timers(t0 + timedelta(minutes=29))
        assert (await WorkOrder.get(id=order.id)).escalation_level == 0
        # when 31 minutes passed: level 1, the grid leader may accept
        await workorders.run_timers(t0 + timedelta(minutes=31))
        order = await WorkOrder.get(id=order.id)
        assert (order.escalation_level, order.sla_breached) == (1, True)
        escalations = await WorkOrderEvent.filter(work_order_id=order.id, action="ESCALATE")
        assert [e.target_area_id for e in escalations] == [(await grid()).id]
        # it is not picked up again until level 2 is due (a backlog cannot crowd out new orders)
        assert order.id not in await _due_for_escalation(t0 + timedelta(minutes=59))
        assert order.id in await _due_for_escalation(t0 + timedelta(minutes=61))
        # running again at the same time changes nothing
        before = await snapshot(order)
        await workorders.run_timers(t0 + timedelta(minutes=31))
        assert await snapshot(order) == before
        # when another 30 minutes passed: level 2, the community
        await workorders.run_timers(t0 + timedelta(minutes=61))
        order = await WorkOrder.get(id=order.id)
        assert order.escalation_level == 2
        events = await WorkOrderEvent.filter(work_order_id=order.id, action="ESCALATE").order_by(
            "id"
        )
        assert [e.target_area_id for e in events] == [
            (await grid()).id,
            (await Area.get(name="颜山社区")).id,
        ]
        accepted = await act("community_admin", "accept", order)
        assert accepted.status is WorkOrderStatus.ACCEPTED

    async def test_an_overdue_order_of_a_grid_goes_to_the_community(self, db: Database) -> None:
        # given a report handled at G itself (its leader handles it already); 30 minutes to accept
        order = await report(area=await grid(), category="SAFETY_HAZARD")
        community = await Area.get(name="颜山社区")
        # when it is overdue, it goes one level up: to the community, at once
        await workorders.run_timers(order.accept_due + timedelta(minutes=1))
        order = await WorkOrder.get(id=order.id)
        assert (order.escalation_level, order.sla_breached) == (2, True)
        steps = await WorkOrderEvent.filter(work_order_id=order.id, action="ESCALATE")
        assert [(s.note, s.target_area_id) for s in steps] == [
            ("超时未接单，升级至社区", community.id)
        ]
        # and nothing more happens later; the community's admin accepts it
        await workorders.run_timers(order.accept_due + timedelta(hours=5))
        assert await WorkOrderEvent.filter(work_order_id=order.id, action="ESCALATE").count() == 1
        accepted = await act("community_admin", "accept", order)
        assert accepted.accepted_by_id == await person_id("community_admin")

    async def test_an_overdue_order_of_the_community_is_marked_late_there(
        self, db: Database
    ) -> None:
        # given an order of a household in no micro-grid: the community handles it
        admin = await actor_for("community_admin")
        community = await Area.get(name="颜山社区")
        home = await households.create_household(
            actor=admin, area_id=community.id, address="颜山路 2 号", member_count=1
        )
        account = await accounts.create_account(
            username="new_resident", password="quiet-harbour-lantern", name="新住户", phone=None
        )
        await households.add_member(actor=admin, household_id=home.id, person_id=account.person_id)
        order = await place("new_resident")
        # when it is overdue: nothing is higher inside the community, so it stays there, late,
        # with one step on the timeline that says so
        await workorders.run_timers(order.accept_due + timedelta(minutes=1))
        await workorders.run_timers(order.accept_due + timedelta(days=1))
        order = await WorkOrder.get(id=order.id)
        assert (order.handling_path, order.sla_breached) == (community.path, True)
        steps = await WorkOrderEvent.filter(work_order_id=order.id, action="ESCALATE")
        assert [(s.note, s.target_area_id) for s in steps] == [
            ("超时未接单，社区已是最高层级，记为超时", community.id)
        ]
        assert (await act("community_admin", "accept", order)).status is WorkOrderStatus.ACCEPTED

    async def test_two_timers_at_once_escalate_once(self, db: Database) -> None:
        order = await place()
        later = order.submitted_at + timedelta(hours=2)
        await asyncio.gather(*(workorders.run_timers(later) for _ in range(3)))
        events = await WorkOrderEvent.filter(work_order_id=order.id, action="ESCALATE")
        assert len(events) == 2  # level 1 and level 2, once each
        assert (await WorkOrder.get(id=order.id)).escalation_level == 2

    async def test_late_resolution_escalates(self, db: Database) -> None:
        order = await act("microgrid_leader", "accept", await place())  # 24 hours to resolve
        await workorders.run_timers(order.submitted_at + timedelta(hours=23))
        assert (await WorkOrder.get(id=order.id)).escalation_level == 0
        await workorders.run_timers(order.submitted_at + timedelta(hours=25))
        assert (await WorkOrder.get(id=order.id)).escalation_level == 1


class TestAutoConfirm:
    async def test_resolved_orders_are_confirmed_automatically(self, db: Database) -> None:
        order = await handled(await place())
        assert order.resolved_at is not None
        # six days later nothing happens; after seven the order is confirmed and closed
        await workorders.run_timers(order.resolved_at + timedelta(days=6))
        assert (await WorkOrder.get(id=order.id)).status is WorkOrderStatus.RESOLVED
        done = await workorders.run_timers(order.resolved_at + timedelta(days=7, seconds=1))
        assert done["work_orders_auto_confirmed"] >= 1
        closed = await WorkOrder.get(id=order.id)
        assert closed.status is WorkOrderStatus.CLOSED and closed.confirmed_by_id is None
        steps = await WorkOrderEvent.filter(work_order_id=order.id).order_by("-id").limit(2)
        assert [(s.action.value, s.actor_id) for s in reversed(steps)] == [
            ("AUTO_CONFIRM", None),
            ("CLOSE", None),
        ]
        # the handler is paid once, even when the timer runs again
        await workorders.run_timers(order.resolved_at + timedelta(days=8))
        assert await awards_for(order) == [(await person_id("microgrid_leader"), "ORDER_RESOLVED")]
        await assert_ledger_ok()

    async def test_a_resolved_report_waits_for_verification(self, db: Database) -> None:
        # given a report resolved long ago that nobody verified
        order = await handled(await report())
        assert order.resolved_at is not None
        done = await workorders.run_timers(order.resolved_at + timedelta(days=30))
        # then the timer leaves it resolved and pays nobody
        assert done["work_orders_auto_confirmed"] == 0
        assert (await WorkOrder.get(id=order.id)).status is WorkOrderStatus.RESOLVED
        assert await awards_for(order) == []
        # and the grid leader can still verify it, which pays the handler and the reporter
        closed = await act("grid_leader", "verify", order)
        assert closed.status is WorkOrderStatus.CLOSED
        assert sorted(code for _, code in await awards_for(order)) == [
            "ORDER_RESOLVED",
            "PROBLEM_REPORTED",
        ]

    async def test_reports_waiting_for_verification_do_not_hold_up_requests(
        self, db: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given a report resolved before a request, and a batch of one
        from services.workorders import timers

        waiting = await handled(await report())
        request = await handled(await place())
        assert request.resolved_at is not None
        monkeypatch.setattr(timers, "BATCH", 1)
        # when the timer runs a week later, the request is confirmed all the same
        done = await workorders.run_timers(request.resolved_at + timedelta(days=8))
        assert done["work_orders_auto_confirmed"] == 1
        assert (await WorkOrder.get(id=request.id)).status is WorkOrderStatus.CLOSED
        assert (await WorkOrder.get(id=waiting.id)).status is WorkOrderStatus.RESOLVED


class TestRunTimers:
    async def test_the_periodic_jobs_run_the_timers(self, db: Database) -> None:
        from api.jobs import JOBS
        from services.kit import jobs

        order = await handled(await place())
        done = await jobs.run_once(JOBS)
        assert {"work_orders_escalated", "work_orders_auto_confirmed"} <= set(done)
        assert (await WorkOrder.get(id=order.id)).status is WorkOrderStatus.RESOLVED

    async def test_run_jobs_from_the_command_line(self, db: Database) -> None:
        env = {**os.environ, "DATABASE_URL": db.url, "ENVIRONMENT": "test"}
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "api",
            "run-jobs",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await process.communicate()
        assert process.returncode == 0, out.decode()
        assert "work_orders_escalated=" in out.decode()
