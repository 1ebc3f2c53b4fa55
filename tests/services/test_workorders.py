"""Work orders: dispatch (routing), who may act, escalation and auto-confirmation on a
controlled clock, points paid once (also when confirmations race), the paused clock of a
suspended order, transfers, ratings, categories and bad input."""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import sys
from datetime import timedelta

import pytest
from tortoise import connections

from services import accounts, households, workorders
from services.enums import AreaLevel, Role, WorkOrderKind, WorkOrderStatus
from services.errors import (
    Conflict,
    Forbidden,
    IdempotencyConflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
)
from services.kit import clock as service_clock
from services.kit import events
from services.kit.events import Topic
from services.kit.settings import get_settings
from services.models import (
    Area,
    PointsAward,
    RoleAssignment,
    WorkOrder,
    WorkOrderCategory,
    WorkOrderEvent,
)
from services.people import assign_role, end_role
from services.workorders.timers import _due_for_escalation
from tests.conftest import Database, actor_for
from tests.services.points_support import Clock, assert_ledger_ok, person_id, summary
from tests.services.workorders_support import (
    act,
    awards_for,
    events_of,
    grid,
    micro_grid,
    place,
    report,
    sibling,
    sibling_leader,
    snapshot,
)

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


async def handled(order: WorkOrder, by: str = "microgrid_leader") -> WorkOrder:
    """Accepted, started and resolved by `by`."""
    order = await act(by, "accept", order)
    order = await act(by, "start", order)
    return await act(by, "resolve", order, note="已处理")


# --- dispatch -------------------------------------------------------------------------------


async def test_a_request_goes_to_the_households_micro_grid(db: Database) -> None:
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
    assert order.resolve_due == order.submitted_at + timedelta(hours=category.resolve_within_hours)


async def test_a_report_goes_to_the_micro_grid_where_it_was_seen(db: Database) -> None:
    other = await sibling()
    order = await report(area=other)
    assert order.kind is WorkOrderKind.PROBLEM_REPORT
    assert order.handling_area_id == other.id == order.area_id
    assert order.photo_urls == ["https://img.example.com/test/photo.jpg"]


async def test_a_report_at_a_grid_goes_to_the_grid(db: Database) -> None:
    # given a place no micro-grid covers: the grid itself
    g = await grid()
    order = await report(area=g, category="SAFETY_HAZARD")
    # then the grid handles it, and its leader accepts it (a micro-grid's leader does not see it)
    assert order.handling_path == g.path
    with pytest.raises(NotFound):
        await act("microgrid_leader", "accept", order)
    accepted = await act("grid_leader", "accept", order)
    assert accepted.status is WorkOrderStatus.ACCEPTED


async def test_a_household_without_micro_grid_goes_to_its_community(db: Database) -> None:
    # given a household registered in the community but not yet in a micro-grid
    admin = await actor_for("community_admin")
    community = await Area.get(name="颜山社区")
    home = await households.create_household(
        actor=admin, area_id=community.id, address="颜山路 1 号", member_count=1
    )
    account = await accounts.create_account(
        username="newcomer", password="quiet-harbour-lantern", name="新住户", phone=None
    )
    await households.add_member(actor=admin, household_id=home.id, person_id=account.person_id)
    # when the newcomer places an order, the community handles it
    order = await place("newcomer")
    assert order.handling_path == community.path
    accepted = await act("community_admin", "accept", order)
    assert accepted.accepted_by_id == admin.person_id


async def test_reporting_needs_a_grid_role_in_the_community(db: Database) -> None:
    before = await snapshot()
    with pytest.raises(Forbidden):
        await report("resident")
    with pytest.raises(Forbidden):  # a micro-grid of another community
        await report(area=await Area.filter(level=AreaLevel.MICRO_GRID).order_by("-id").first())
    with pytest.raises(InvalidInput):  # a community is not a place to report at
        await report(area=await Area.get(name="颜山社区"))
    assert await snapshot() == before


# --- bad input -------------------------------------------------------------------------------


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
    db: Database, kwargs: dict[str, object], field: str
) -> None:
    before = await snapshot()
    with pytest.raises(InvalidInput) as refused:
        await report(**kwargs)  # type: ignore[arg-type]
    assert refused.value.field == field
    assert await snapshot() == before


async def test_bad_orders_are_refused_and_change_nothing(db: Database) -> None:
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


async def test_retired_categories_take_no_orders(db: Database) -> None:
    category = await WorkOrderCategory.get(code="WATER_ELECTRIC")
    district = await actor_for("district_admin")
    await workorders.update_category(actor=district, category_id=category.id, active=False)
    with pytest.raises(InvalidInput):
        await place()


# --- who may act -----------------------------------------------------------------------------


async def test_only_the_micro_grids_leader_accepts_until_escalation(db: Database) -> None:
    order = await place()
    before = await snapshot(order)
    # a sibling micro-grid's leader does not even see it
    with pytest.raises(NotFound):
        await act(await sibling_leader(), "accept", order)
    # the grid leader and the community admin see it but do not accept before escalation
    for username in ("grid_leader", "community_admin", "central_household", "resident"):
        with pytest.raises((Forbidden, NotFound)):
            await act(username, "accept", order)
    assert await snapshot(order) == before
    accepted = await act("microgrid_leader", "accept", order)
    assert accepted.accepted_by_id == await person_id("microgrid_leader")
    # and a second accept is an illegal jump
    with pytest.raises(InvalidTransition):
        await act("microgrid_leader", "accept", accepted)


async def test_concurrent_accepts_one_wins(db: Database) -> None:
    order = await place()
    leader = await actor_for("microgrid_leader")
    results = await asyncio.gather(
        *(workorders.accept(actor=leader, work_order_id=order.id) for _ in range(4)),
        return_exceptions=True,
    )
    wins = [r for r in results if isinstance(r, WorkOrder)]
    assert len(wins) == 1
    assert all(isinstance(r, InvalidTransition) for r in results if r not in wins)
    assert [e[0] for e in await events_of(order)].count("ACCEPT") == 1


async def test_assignees_are_central_households_or_volunteers(db: Database) -> None:
    order = await act("microgrid_leader", "accept", await place())
    before = await snapshot(order)
    for username in ("rider", "resident", "grid_leader"):
        with pytest.raises(InvalidInput):
            await act("microgrid_leader", "assign", order, person_id=await person_id(username))
    assert await snapshot(order) == before
    helper = await person_id("central_household")
    order = await act("microgrid_leader", "assign", order, person_id=helper)
    assert order.assignee_id == helper
    with pytest.raises(Conflict):
        await act("microgrid_leader", "assign", order, person_id=helper)
    # the assignee sees and works the order; a volunteer of the community can take it over
    order = await act("central_household", "start", order)
    order = await act("microgrid_leader", "assign", order, person_id=await person_id("volunteer"))
    with pytest.raises(NotFound):
        await act("central_household", "resolve", order, note="已处理")
    resolved = await act("volunteer", "resolve", order, note="已处理")
    assert resolved.status is WorkOrderStatus.RESOLVED


# --- points ----------------------------------------------------------------------------------


async def test_confirmation_pays_the_handler_once(db: Database) -> None:
    order = await act("microgrid_leader", "accept", await place())
    helper = await person_id("central_household")
    order = await act("microgrid_leader", "assign", order, person_id=helper)
    order = await act("central_household", "start", order)
    order = await act("central_household", "resolve", order, note="更换阀芯")
    before = (await summary("central_household")).balance
    closed = await act("resident", "confirm", order, idempotency_key="confirm-1")
    assert closed.status is WorkOrderStatus.CLOSED
    assert closed.confirmed_by_id == await person_id("resident")
    assert [e[0] for e in await events_of(closed)][-2:] == ["CONFIRM", "CLOSE"]
    steps = len(await events_of(closed))
    # a retry with the same key returns the closed order and pays nothing more
    again = await act("resident", "confirm", order, idempotency_key="confirm-1")
    assert (again.id, again.status) == (order.id, WorkOrderStatus.CLOSED)
    # another key is a second confirmation: refused; the key for another order: a conflict
    with pytest.raises(InvalidTransition):
        await act("resident", "confirm", closed, idempotency_key="confirm-2")
    other = await handled(await place(), by="microgrid_leader")
    with pytest.raises(IdempotencyConflict) as conflict:
        await act("resident", "confirm", other, idempotency_key="confirm-1")
    assert conflict.value.field == "idempotencyKey"
    assert (await WorkOrder.get(id=other.id)).status is WorkOrderStatus.RESOLVED
    # a bad key is refused before anything happens
    with pytest.raises(InvalidInput):
        await act("resident", "confirm", other, idempotency_key="")
    assert len(await events_of(closed)) == steps
    assert await awards_for(closed) == [(helper, "ORDER_RESOLVED")]
    assert await awards_for(other) == []
    assert (await summary("central_household")).balance == before + 10
    await assert_ledger_ok()


async def test_the_leader_who_took_over_and_resolved_it_is_paid(db: Database) -> None:
    # given an order of M accepted and started by M's leader, whose role then ends
    admin = await actor_for("community_admin")
    micro = await micro_grid()
    first = await person_id("microgrid_leader")
    order = await act(
        "microgrid_leader", "start", await act("microgrid_leader", "accept", await place())
    )
    held = await RoleAssignment.get(person_id=first, role=Role.MICRO_GRID_LEADER, until=None)
    await end_role(actor=admin, assignment_id=held.id, reason="换届")
    # and a successor, appointed to M, who resolves it
    account = await accounts.create_account(
        username="successor", password="quiet-harbour-lantern", name="接任组长", phone=None
    )
    await assign_role(
        actor=admin, person_id=account.person_id, role=Role.MICRO_GRID_LEADER, area_id=micro.id
    )
    resolved = await act("successor", "resolve", order, note="已处理")
    assert (resolved.accepted_by_id, resolved.resolved_by_id) == (first, account.person_id)
    today = service_clock.now().astimezone(get_settings().tz)
    quarter = f"{today.year}Q{(today.month - 1) // 3 + 1}"
    people = [first, account.person_id]
    before = await workorders.person_metrics(quarter, people)
    # when the resident confirms
    closed = await act("resident", "confirm", resolved)
    # then the successor who did the work is paid, not the leader whose role ended
    assert await awards_for(closed) == [(account.person_id, "ORDER_RESOLVED")]
    # and the evaluation counts the order (in time) for the same person
    after = await workorders.person_metrics(quarter, people)
    gained = {p: after[p]["orders_within_sla"] - before[p]["orders_within_sla"] for p in people}
    assert gained == {first: 0, account.person_id: 1}
    await assert_ledger_ok()


async def test_the_migration_fills_in_who_resolved_older_orders(db: Database) -> None:
    # given the demo's resolved orders as they were before migration 0018 kept resolved_by
    migration = importlib.import_module("services.migrations.0018_work_order_resolved_by")
    resolved = await WorkOrder.exclude(resolved_at=None).order_by("id")
    assert resolved and all(o.resolved_by_id is not None for o in resolved)
    await WorkOrder.exclude(resolved_at=None).update(resolved_by_id=None)
    # when its backfill runs
    await connections.get("default").execute_script(migration._BACKFILL)
    # then each takes the actor of its RESOLVE step, as it had been recorded
    after = await WorkOrder.exclude(resolved_at=None).order_by("id")
    assert [(o.id, o.resolved_by_id) for o in after] == [(o.id, o.resolved_by_id) for o in resolved]
    assert not await WorkOrder.filter(resolved_at=None).exclude(resolved_by_id=None).exists()


async def test_whoever_resolved_a_report_does_not_verify_it(db: Database) -> None:
    # given a report of M started by M's leader, late, so the grid leader took it over and
    # resolved it (she neither accepted it nor was assigned)
    order = await act(
        "microgrid_leader", "start", await act("microgrid_leader", "accept", await report())
    )
    await workorders.run_timers(order.resolve_due + timedelta(minutes=1))
    order = await act("grid_leader", "resolve", order, note="已清运")
    assert order.resolved_by_id == await person_id("grid_leader")
    # then she does not verify her own work; an admin does
    with pytest.raises(Forbidden):
        await act("grid_leader", "verify", order)
    closed = await act("community_admin", "verify", order)
    assert closed.status is WorkOrderStatus.CLOSED


async def test_racing_confirmations_pay_once(db: Database) -> None:
    order = await handled(await place())
    resident = await actor_for("resident")
    results = await asyncio.gather(
        *(
            workorders.confirm(actor=resident, work_order_id=order.id, idempotency_key=f"k{i}")
            for i in range(4)
        ),
        return_exceptions=True,
    )
    assert sum(isinstance(r, WorkOrder) for r in results) == 1
    assert all(isinstance(r, (WorkOrder, InvalidTransition)) for r in results)
    assert await awards_for(order) == [(await person_id("microgrid_leader"), "ORDER_RESOLVED")]
    await assert_ledger_ok()


async def test_racing_retries_with_one_key_all_get_the_order(db: Database) -> None:
    order = await handled(await place())
    resident = await actor_for("resident")
    results = await asyncio.gather(
        *(
            workorders.confirm(actor=resident, work_order_id=order.id, idempotency_key="same")
            for _ in range(4)
        ),
        return_exceptions=True,
    )
    assert all(isinstance(r, WorkOrder) and r.status is WorkOrderStatus.CLOSED for r in results)
    assert [e[0] for e in await events_of(order)].count("CONFIRM") == 1
    assert await awards_for(order) == [(await person_id("microgrid_leader"), "ORDER_RESOLVED")]
    await assert_ledger_ok()


async def test_a_verified_report_pays_the_handler_and_the_reporter(db: Database) -> None:
    order = await handled(await report())
    rider_before = (await summary("rider")).balance
    # the handler may not verify their own work; the grid leader does
    with pytest.raises(Forbidden):
        await act("microgrid_leader", "verify", order)
    with pytest.raises(Forbidden):
        await act("rider", "verify", order)
    closed = await act("grid_leader", "verify", order, idempotency_key="verify-1")
    assert closed.status is WorkOrderStatus.CLOSED
    # a retry with the same key returns the order; the key for another report: a conflict
    again = await act("grid_leader", "verify", order, idempotency_key="verify-1")
    assert (again.id, again.status) == (order.id, WorkOrderStatus.CLOSED)
    other = await handled(await report())
    with pytest.raises(IdempotencyConflict):
        await act("grid_leader", "verify", other, idempotency_key="verify-1")
    assert (await WorkOrder.get(id=other.id)).status is WorkOrderStatus.RESOLVED
    assert sorted(await awards_for(closed)) == sorted(
        [
            (await person_id("microgrid_leader"), "ORDER_RESOLVED"),
            (await person_id("rider"), "PROBLEM_REPORTED"),
        ]
    )
    assert (await summary("rider")).balance == rider_before + 8
    # a manual award cannot claim the work order as its source
    with pytest.raises(InvalidInput):
        from services import points

        await points.award_points(
            actor=await actor_for("community_admin"),
            person_id=await person_id("rider"),
            rule_code="PROBLEM_REPORTED",
            quantity=1,
            reason="重复",
            source=points.Source("WorkOrder", str(order.id)),
            idempotency_key="manual-claim",
        )
    await assert_ledger_ok()


async def test_awards_stay_within_the_rules_caps(db: Database) -> None:
    # ORDER_RESOLVED pays 10 points, at most 50 a day: the sixth order of the day pays nothing
    helper = await person_id("central_household")
    paid = []
    for _ in range(6):
        order = await act("microgrid_leader", "accept", await place())
        order = await act("microgrid_leader", "assign", order, person_id=helper)
        order = await act("central_household", "start", order)
        order = await act("central_household", "resolve", order, note="已处理")
        closed = await act("resident", "confirm", order)
        assert closed.status is WorkOrderStatus.CLOSED
        paid.append(len(await awards_for(closed)))
    assert paid == [1, 1, 1, 1, 1, 0]
    await assert_ledger_ok()


# --- timers ----------------------------------------------------------------------------------


async def test_overdue_orders_escalate_to_the_grid_then_the_community(db: Database) -> None:
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
    events = await WorkOrderEvent.filter(work_order_id=order.id, action="ESCALATE").order_by("id")
    assert [e.target_area_id for e in events] == [
        (await grid()).id,
        (await Area.get(name="颜山社区")).id,
    ]
    accepted = await act("community_admin", "accept", order)
    assert accepted.status is WorkOrderStatus.ACCEPTED


async def test_an_overdue_order_of_a_grid_goes_to_the_community(db: Database) -> None:
    # given a report handled at G itself (its leader handles it already); 30 minutes to accept
    order = await report(area=await grid(), category="SAFETY_HAZARD")
    community = await Area.get(name="颜山社区")
    # when it is overdue, it goes one level up: to the community, at once
    await workorders.run_timers(order.accept_due + timedelta(minutes=1))
    order = await WorkOrder.get(id=order.id)
    assert (order.escalation_level, order.sla_breached) == (2, True)
    steps = await WorkOrderEvent.filter(work_order_id=order.id, action="ESCALATE")
    assert [(s.note, s.target_area_id) for s in steps] == [("超时未接单，升级至社区", community.id)]
    # and nothing more happens later; the community's admin accepts it
    await workorders.run_timers(order.accept_due + timedelta(hours=5))
    assert await WorkOrderEvent.filter(work_order_id=order.id, action="ESCALATE").count() == 1
    accepted = await act("community_admin", "accept", order)
    assert accepted.accepted_by_id == await person_id("community_admin")


async def test_an_overdue_order_of_the_community_is_marked_late_there(db: Database) -> None:
    # given an order of a household in no micro-grid: the community handles it
    admin = await actor_for("community_admin")
    community = await Area.get(name="颜山社区")
    home = await households.create_household(
        actor=admin, area_id=community.id, address="颜山路 2 号", member_count=1
    )
    account = await accounts.create_account(
        username="newcomer", password="quiet-harbour-lantern", name="新住户", phone=None
    )
    await households.add_member(actor=admin, household_id=home.id, person_id=account.person_id)
    order = await place("newcomer")
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


async def test_two_timers_at_once_escalate_once(db: Database) -> None:
    order = await place()
    later = order.submitted_at + timedelta(hours=2)
    await asyncio.gather(*(workorders.run_timers(later) for _ in range(3)))
    events = await WorkOrderEvent.filter(work_order_id=order.id, action="ESCALATE")
    assert len(events) == 2  # level 1 and level 2, once each
    assert (await WorkOrder.get(id=order.id)).escalation_level == 2


async def test_the_grid_leader_accepts_after_escalation(db: Database) -> None:
    order = await place()
    with pytest.raises(Forbidden):
        await act("grid_leader", "accept", order)
    await workorders.run_timers(order.submitted_at + timedelta(minutes=31))
    accepted = await act("grid_leader", "accept", order)
    assert accepted.accepted_by_id == await person_id("grid_leader")
    assert accepted.sla_breached


async def test_late_resolution_escalates(db: Database) -> None:
    order = await act("microgrid_leader", "accept", await place())  # 24 hours to resolve
    await workorders.run_timers(order.submitted_at + timedelta(hours=23))
    assert (await WorkOrder.get(id=order.id)).escalation_level == 0
    await workorders.run_timers(order.submitted_at + timedelta(hours=25))
    assert (await WorkOrder.get(id=order.id)).escalation_level == 1


async def test_resolved_orders_are_confirmed_automatically(db: Database) -> None:
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


async def test_a_resolved_report_waits_for_verification(db: Database) -> None:
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
    db: Database, monkeypatch: pytest.MonkeyPatch
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


async def test_a_suspended_orders_clock_stands_still(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    t0 = service_clock.now().replace(microsecond=0)
    clock = Clock(t0)
    order = await act("microgrid_leader", "accept", await place())
    order = await act("microgrid_leader", "start", order)
    due = order.resolve_due
    # suspended for five hours
    clock.set(t0 + timedelta(hours=1))
    order = await act("microgrid_leader", "suspend", order, reason="等待配件")
    # while suspended no timer escalates it, however late
    await workorders.run_timers(due + timedelta(hours=2))
    assert (await WorkOrder.get(id=order.id)).escalation_level == 0
    clock.set(t0 + timedelta(hours=6))
    resumed = await act("microgrid_leader", "resume", order)
    assert resumed.status is WorkOrderStatus.IN_PROGRESS
    assert resumed.suspended_seconds == 5 * 3600
    assert resumed.resolve_due == due + timedelta(hours=5)
    # the old due time passes without escalation; the moved one escalates
    await workorders.run_timers(due + timedelta(hours=4))
    assert (await WorkOrder.get(id=order.id)).escalation_level == 0
    await workorders.run_timers(due + timedelta(hours=5, minutes=1))
    assert (await WorkOrder.get(id=order.id)).escalation_level == 1
    assert [e[0] for e in await events_of(order)][-3:] == ["SUSPEND", "RESUME", "ESCALATE"]


# --- transfer, reject, rate -------------------------------------------------------------------


async def test_transfer_up_and_to_another_micro_grid(db: Database) -> None:
    order = await act("microgrid_leader", "accept", await place())
    # up a level: the grid handles it, dispatched afresh
    up = await act("microgrid_leader", "transfer", order, up=True, reason="需网格统筹")
    assert (up.status, up.handling_path, up.accepted_by_id) == (
        WorkOrderStatus.DISPATCHED,
        (await grid()).path,
        None,
    )
    # the grid leader hands it to the sibling micro-grid, whose leader accepts
    other = await sibling()
    moved = await act("grid_leader", "transfer", up, area_id=other.id, reason="属于该微网格")
    assert moved.handling_area_id == other.id
    accepted = await act(await sibling_leader(), "accept", moved)
    assert accepted.status is WorkOrderStatus.ACCEPTED
    transfers = await WorkOrderEvent.filter(work_order_id=order.id, action="TRANSFER").order_by(
        "id"
    )
    assert [(t.note, t.target_area_id) for t in transfers] == [
        ("需网格统筹", (await grid()).id),
        ("属于该微网格", other.id),
    ]
    # M's leader no longer sees it; the resident still does
    with pytest.raises(NotFound):
        await act("microgrid_leader", "start", accepted)
    assert (
        await workorders.orders_by_ids(actor=await actor_for("resident"), work_order_ids=[order.id])
    )[0]


async def test_a_transfer_is_announced_to_both_areas(db: Database) -> None:
    # given an order of M, accepted
    order = await act("microgrid_leader", "accept", await place())
    micro, other = await micro_grid(), await sibling()
    # when M's leader hands it to the sibling micro-grid
    with events.broker.subscribe(Topic.WORK_ORDER) as subscription:
        await act("microgrid_leader", "transfer", order, area_id=other.id, reason="属于邻格")
        heard = []
        while not subscription.queue.empty():
            heard.append(subscription.queue.get_nowait().payload)
    # then the area it went to and the area it left both hear of it, once each
    common = {"id": order.id, "action": "TRANSFER", "status": "DISPATCHED"}
    assert sorted(heard, key=lambda p: p["area_path"]) == sorted(
        [{**common, "area_path": other.path}, {**common, "area_path": micro.path}],
        key=lambda p: p["area_path"],
    )


async def test_passing_an_order_around_buys_no_time(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an order (30 minutes to accept) passed back and forth between M and its sibling
    t0 = service_clock.now().replace(microsecond=0)
    clock = Clock(t0)
    order = await place()
    due = order.accept_due
    other = await sibling()
    clock.set(t0 + timedelta(minutes=20))
    order = await act("microgrid_leader", "transfer", order, area_id=other.id, reason="属于邻格")
    clock.set(t0 + timedelta(minutes=29))
    order = await act(
        await sibling_leader(), "transfer", order, area_id=(await micro_grid()).id, reason="退回"
    )
    # then the due times stay those of the first dispatch
    assert (order.accept_due, order.status) == (due, WorkOrderStatus.DISPATCHED)
    # and the timer after the original due time escalates it as usual
    await workorders.run_timers(t0 + timedelta(minutes=31))
    order = await WorkOrder.get(id=order.id)
    assert (order.escalation_level, order.sla_breached) == (1, True)
    # transferred once it is overdue: it stays overdue and the timer escalates it there again
    clock.set(t0 + timedelta(minutes=40))
    order = await act("grid_leader", "transfer", order, area_id=other.id, reason="再次流转")
    assert (order.accept_due, order.escalation_level) == (due, 0)
    assert workorders.is_overdue(order, t0 + timedelta(minutes=40))
    await workorders.run_timers(t0 + timedelta(minutes=41))
    assert (await WorkOrder.get(id=order.id)).escalation_level == 1


async def test_accepting_after_the_first_due_time_is_late_despite_transfers(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    t0 = service_clock.now().replace(microsecond=0)
    clock = Clock(t0)
    order = await place()  # 30 minutes to accept
    clock.set(t0 + timedelta(minutes=25))
    order = await act(
        "microgrid_leader", "transfer", order, area_id=(await sibling()).id, reason="属于邻格"
    )
    # accepted 35 minutes after the first dispatch (10 after the transfer), no timer ran
    clock.set(t0 + timedelta(minutes=35))
    accepted = await act(await sibling_leader(), "accept", order)
    assert (accepted.escalation_level, accepted.sla_breached) == (0, True)


async def test_bad_transfers_change_nothing(db: Database) -> None:
    order = await place()
    before = await snapshot(order)
    elsewhere = await Area.filter(level=AreaLevel.MICRO_GRID).order_by("-id").first()
    assert elsewhere is not None
    for kwargs in (
        {"area_id": elsewhere.id, "reason": "外社区"},
        {"area_id": (await micro_grid()).id, "reason": "原地"},
        {"up": True, "area_id": (await sibling()).id, "reason": "两者"},
        {"up": True, "reason": " "},
    ):
        with pytest.raises(InvalidInput):
            await act("microgrid_leader", "transfer", order, **kwargs)
    assert await snapshot(order) == before


async def test_rejection_ends_the_order_with_who_and_why(db: Database) -> None:
    order = await place()
    with pytest.raises(InvalidInput):
        await act("microgrid_leader", "reject", order, reason="")
    rejected = await act("microgrid_leader", "reject", order, reason="属于物业职责")
    assert rejected.status is WorkOrderStatus.REJECTED
    step = await WorkOrderEvent.get(work_order_id=order.id, action="REJECT")
    assert (step.actor_id, step.note) == (await person_id("microgrid_leader"), "属于物业职责")
    with pytest.raises(InvalidTransition):
        await act("microgrid_leader", "accept", rejected)


async def test_the_resident_rates_once(db: Database) -> None:
    order = await place()
    with pytest.raises(InvalidTransition):  # not yet resolved
        await act("resident", "rate", order, rating=5, comment=None)
    order = await handled(order)
    before = await snapshot(order)
    with pytest.raises(InvalidInput):
        await act("resident", "rate", order, rating=6, comment=None)
    with pytest.raises(Forbidden):
        await act("microgrid_leader", "rate", order, rating=5, comment=None)
    assert await snapshot(order) == before
    rated = await act("resident", "rate", order, rating=4, comment="很及时")
    assert (rated.rating, rated.comment, rated.status) == (4, "很及时", WorkOrderStatus.RESOLVED)
    with pytest.raises(Conflict):
        await act("resident", "rate", rated, rating=5, comment=None)
    closed = await act("resident", "confirm", rated)
    assert closed.rating == 4


# --- categories ------------------------------------------------------------------------------


async def test_district_admins_set_categories(db: Database) -> None:
    district = await actor_for("district_admin")
    created = await workorders.create_category(
        actor=district,
        kind=WorkOrderKind.RESIDENT_REQUEST,
        code="gas_repair",
        name="燃气维修",
        accept_within_minutes=15,
        resolve_within_hours=6,
    )
    assert created.code == "GAS_REPAIR"
    with pytest.raises(Conflict):
        await workorders.create_category(
            actor=district,
            kind=WorkOrderKind.PROBLEM_REPORT,
            code="GAS_REPAIR",
            name="重复",
            accept_within_minutes=15,
            resolve_within_hours=6,
        )
    for bad in ({"code": "1X"}, {"accept_within_minutes": 0}, {"resolve_within_hours": 10**6}):
        args: dict[str, object] = {
            "kind": WorkOrderKind.RESIDENT_REQUEST,
            "code": "OTHER",
            "name": "其他",
            "accept_within_minutes": 15,
            "resolve_within_hours": 6,
            **bad,
        }
        with pytest.raises(InvalidInput):
            await workorders.create_category(actor=district, **args)  # type: ignore[arg-type]
    with pytest.raises(Forbidden):
        await workorders.create_category(
            actor=await actor_for("community_admin"),
            kind=WorkOrderKind.RESIDENT_REQUEST,
            code="OTHER",
            name="其他",
            accept_within_minutes=15,
            resolve_within_hours=6,
        )
    with pytest.raises(Forbidden):
        await workorders.update_category(
            actor=await actor_for("community_admin"), category_id=created.id, name="改名"
        )
    updated = await workorders.update_category(
        actor=district, category_id=created.id, accept_within_minutes=20
    )
    assert (updated.name, updated.accept_within_minutes) == ("燃气维修", 20)
    # the new service level applies to orders placed from now on
    order = await place(category="GAS_REPAIR")
    assert order.accept_due == order.submitted_at + timedelta(minutes=20)


# --- reading ---------------------------------------------------------------------------------


async def test_who_sees_which_orders(db: Database) -> None:
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


async def test_assigned_to_me(db: Database) -> None:
    order = await act("microgrid_leader", "accept", await place())
    helper = await actor_for("central_household")
    await act("microgrid_leader", "assign", order, person_id=helper.person_id)
    page = await workorders.list_orders(actor=helper, under_id=None, assigned_to_me=True, first=100)
    assert order.id in page.keys
    assert all(o.assignee_id == helper.person_id for o in page.items)


async def test_a_new_volunteer_can_be_assigned(db: Database) -> None:
    # a volunteer appointed today is eligible at once
    account = await accounts.create_account(
        username="newvolunteer", password="volunteer-password", name="新志愿者", phone=None
    )
    await assign_role(
        actor=await actor_for("community_admin"),
        person_id=account.person_id,
        role=Role.VOLUNTEER,
        area_id=(await Area.get(name="颜山社区")).id,
    )
    order = await act("microgrid_leader", "accept", await place())
    assigned = await act("microgrid_leader", "assign", order, person_id=account.person_id)
    assert assigned.assignee_id == account.person_id
    assert not await PointsAward.filter(source_type="WorkOrder", source_id=str(order.id)).exists()


# --- jobs ------------------------------------------------------------------------------------


async def test_the_periodic_jobs_run_the_timers(db: Database) -> None:
    from api.jobs import JOBS
    from services.kit import jobs

    order = await handled(await place())
    done = await jobs.run_once(JOBS)
    assert {"work_orders_escalated", "work_orders_auto_confirmed"} <= set(done)
    assert (await WorkOrder.get(id=order.id)).status is WorkOrderStatus.RESOLVED


async def test_run_jobs_from_the_command_line(db: Database) -> None:
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


async def test_dispatch_reads_by_index_only(db: Database, caplog: pytest.LogCaptureFixture) -> None:
    # given the resident and a reporter, on SQLite (whose planner says SCAN for a full scan)
    if db.backend != "sqlite":
        pytest.skip("the query plan is read from SQLite")
    resident = await actor_for("resident")
    rider = await actor_for("rider")
    area = (await micro_grid()).id
    # when an order is placed and a problem reported
    with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
        await workorders.place_order(actor=resident, category="WATER_ELECTRIC", description="漏水")
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
