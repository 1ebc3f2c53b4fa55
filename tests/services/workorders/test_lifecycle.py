"""Each step of a work order: who may take it, points paid once (also when confirmations
race), the paused clock of a suspended order, transfers, rejections and ratings."""

from __future__ import annotations

import asyncio
import importlib
from datetime import timedelta

import pytest
from tortoise import connections

from services import accounts, workorders
from services.enums import AreaLevel, Role, WorkOrderStatus
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
from services.models import Area, PointsAward, RoleAssignment, WorkOrder, WorkOrderEvent
from services.people import assign_role, end_role
from tests.conftest import Database, actor_for
from tests.services.points_support import Clock, assert_ledger_ok, person_id, summary
from tests.services.workorders_support import (
    act,
    awards_for,
    events_of,
    grid,
    handled,
    micro_grid,
    place,
    report,
    sibling,
    sibling_leader,
    snapshot,
)

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


class TestAccept:
    async def test_only_the_micro_grids_leader_accepts_until_escalation(self, db: Database) -> None:
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

    async def test_concurrent_accepts_one_wins(self, db: Database) -> None:
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

    async def test_the_grid_leader_accepts_after_escalation(self, db: Database) -> None:
        order = await place()
        with pytest.raises(Forbidden):
            await act("grid_leader", "accept", order)
        await workorders.run_timers(order.submitted_at + timedelta(minutes=31))
        accepted = await act("grid_leader", "accept", order)
        assert accepted.accepted_by_id == await person_id("grid_leader")
        assert accepted.sla_breached


class TestAssign:
    async def test_assignees_are_central_households_or_volunteers(self, db: Database) -> None:
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
        order = await act(
            "microgrid_leader", "assign", order, person_id=await person_id("volunteer")
        )
        with pytest.raises(NotFound):
            await act("central_household", "resolve", order, note="已处理")
        resolved = await act("volunteer", "resolve", order, note="已处理")
        assert resolved.status is WorkOrderStatus.RESOLVED

    async def test_a_new_volunteer_can_be_assigned(self, db: Database) -> None:
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
        assert not await PointsAward.filter(
            source_type="WorkOrder", source_id=str(order.id)
        ).exists()


class TestResolve:
    async def test_the_migration_fills_in_who_resolved_older_orders(self, db: Database) -> None:
        # given the demo's resolved orders as they were before migration 0018 kept resolved_by
        migration = importlib.import_module("services.migrations.0018_work_order_resolved_by")
        resolved = await WorkOrder.exclude(resolved_at=None).order_by("id")
        assert resolved and all(o.resolved_by_id is not None for o in resolved)
        await WorkOrder.exclude(resolved_at=None).update(resolved_by_id=None)
        # when its backfill runs
        await connections.get("default").execute_script(migration._BACKFILL)
        # then each takes the actor of its RESOLVE step, as it had been recorded
        after = await WorkOrder.exclude(resolved_at=None).order_by("id")
        assert [(o.id, o.resolved_by_id) for o in after] == [
            (o.id, o.resolved_by_id) for o in resolved
        ]
        assert not await WorkOrder.filter(resolved_at=None).exclude(resolved_by_id=None).exists()


class TestConfirm:
    async def test_confirmation_pays_the_handler_once(self, db: Database) -> None:
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

    async def test_the_leader_who_took_over_and_resolved_it_is_paid(self, db: Database) -> None:
        # given an order of M accepted and started by M's leader, whose role then ends (the
        # order passes to the grid, its grid leader handling it from there)
        admin = await actor_for("community_admin")
        first = await person_id("microgrid_leader")
        order = await act(
            "microgrid_leader", "start", await act("microgrid_leader", "accept", await place())
        )
        held = await RoleAssignment.get(person_id=first, role=Role.MICRO_GRID_LEADER, until=None)
        ended = await end_role(actor=admin, assignment_id=held.id, reason="换届")
        (moved,) = [o for o in ended.transferred_work_orders if o.id == order.id]
        # and the grid leader, who took it over, resolves it
        successor = await person_id("grid_leader")
        resolved = await act("grid_leader", "resolve", moved, note="已处理")
        assert (resolved.accepted_by_id, resolved.resolved_by_id) == (first, successor)
        today = service_clock.now().astimezone(get_settings().tz)
        quarter = f"{today.year}Q{(today.month - 1) // 3 + 1}"
        people = [first, successor]
        before = await workorders.person_metrics(quarter, people)
        # when the resident confirms
        closed = await act("resident", "confirm", resolved)
        # then the grid leader who did the work is paid, not the leader whose role ended
        assert await awards_for(closed) == [(successor, "ORDER_RESOLVED")]
        # and the evaluation counts the order (in time) for the same person
        after = await workorders.person_metrics(quarter, people)
        gained = {p: after[p]["orders_within_sla"] - before[p]["orders_within_sla"] for p in people}
        assert gained == {first: 0, successor: 1}
        await assert_ledger_ok()

    async def test_racing_confirmations_pay_once(self, db: Database) -> None:
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

    async def test_racing_retries_with_one_key_all_get_the_order(self, db: Database) -> None:
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

    async def test_awards_stay_within_the_rules_caps(self, db: Database) -> None:
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


class TestVerify:
    async def test_whoever_resolved_a_report_does_not_verify_it(self, db: Database) -> None:
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

    async def test_a_verified_report_pays_the_handler_and_the_reporter(self, db: Database) -> None:
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


class TestSuspend:
    async def test_a_suspended_orders_clock_stands_still(
        self, db: Database, monkeypatch: pytest.MonkeyPatch
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


class TestTransfer:
    async def test_transfer_up_and_to_another_micro_grid(self, db: Database) -> None:
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
            await workorders.orders_by_ids(
                actor=await actor_for("resident"), work_order_ids=[order.id]
            )
        )[0]

    async def test_a_transfer_is_announced_to_both_areas(self, db: Database) -> None:
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
        self, db: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given an order (30 minutes to accept) passed back and forth between M and its sibling
        t0 = service_clock.now().replace(microsecond=0)
        clock = Clock(t0)
        order = await place()
        due = order.accept_due
        other = await sibling()
        clock.set(t0 + timedelta(minutes=20))
        order = await act(
            "microgrid_leader", "transfer", order, area_id=other.id, reason="属于邻格"
        )
        clock.set(t0 + timedelta(minutes=29))
        order = await act(
            await sibling_leader(),
            "transfer",
            order,
            area_id=(await micro_grid()).id,
            reason="退回",
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
        self, db: Database, monkeypatch: pytest.MonkeyPatch
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

    async def test_bad_transfers_change_nothing(self, db: Database) -> None:
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


class TestReject:
    async def test_rejection_ends_the_order_with_who_and_why(self, db: Database) -> None:
        order = await place()
        with pytest.raises(InvalidInput):
            await act("microgrid_leader", "reject", order, reason="")
        rejected = await act("microgrid_leader", "reject", order, reason="属于物业职责")
        assert rejected.status is WorkOrderStatus.REJECTED
        step = await WorkOrderEvent.get(work_order_id=order.id, action="REJECT")
        assert (step.actor_id, step.note) == (await person_id("microgrid_leader"), "属于物业职责")
        with pytest.raises(InvalidTransition):
            await act("microgrid_leader", "accept", rejected)


class TestRate:
    async def test_the_resident_rates_once(self, db: Database) -> None:
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
        assert (rated.rating, rated.comment, rated.status) == (
            4,
            "很及时",
            WorkOrderStatus.RESOLVED,
        )
        with pytest.raises(Conflict):
            await act("resident", "rate", rated, rating=5, comment=None)
        closed = await act("resident", "confirm", rated)
        assert closed.rating == 4


class TestCancel:
    async def test_the_resident_cancels_until_the_order_is_accepted(self, db: Database) -> None:
        order = await place()
        # others may not cancel it
        for username in ("microgrid_leader", "grid_leader", "community_admin"):
            before = await snapshot(order)
            with pytest.raises(Forbidden):
                await act(username, "cancel", order, reason="不需要了")
            assert await snapshot(order) == before
        with pytest.raises(InvalidInput):
            await act("resident", "cancel", order, reason="  ")
        cancelled = await act("resident", "cancel", order, reason="已自行修好")
        assert cancelled.status is WorkOrderStatus.CANCELLED
        assert cancelled.closed_at is not None
        assert (await events_of(cancelled))[-1] == (
            "CANCEL",
            "DISPATCHED",
            "CANCELLED",
            "已自行修好",
        )
        # an accepted request is the net's to finish: too late
        accepted = await act("microgrid_leader", "accept", await place())
        before = await snapshot(accepted)
        with pytest.raises(InvalidTransition) as late:
            await act("resident", "cancel", accepted, reason="不需要了")
        assert "cannot be cancelled now" in str(late.value)
        assert await snapshot(accepted) == before

    async def test_the_reporter_withdraws_until_handling_starts(self, db: Database) -> None:
        waiting = await act("resident", "cancel", await report("resident"), reason="已有人处理")
        assert waiting.status is WorkOrderStatus.CANCELLED
        accepted = await act("microgrid_leader", "accept", await report())
        withdrawn = await act("rider", "cancel", accepted, reason="摊贩已离开")
        assert withdrawn.status is WorkOrderStatus.CANCELLED
        started = await act(
            "microgrid_leader", "start", await act("microgrid_leader", "accept", await report())
        )
        with pytest.raises(InvalidTransition):
            await act("rider", "cancel", started, reason="摊贩已离开")


class TestCheckReport:
    async def test_a_confirmed_check_dispatches_the_report(self, db: Database) -> None:
        order = await report("resident")
        # the micro-grid leader, the rider and the reporter do not check it
        for who in ("microgrid_leader", "rider", "resident"):
            with pytest.raises((Forbidden, NotFound)):
                await act(who, "check", order, confirmed=True, reason=None)
        # it is not handled before its check
        with pytest.raises(InvalidTransition):
            await act("microgrid_leader", "accept", order)
        later = service_clock.now() + timedelta(hours=2)
        with service_clock.frozen(later):
            checked = await act("grid_leader", "check", order, confirmed=True, reason=None)
        assert checked.status is WorkOrderStatus.DISPATCHED
        assert checked.dispatched_at == later
        assert checked.accept_due == later + timedelta(minutes=60)  # SANITATION: 60 minutes
        assert checked.handling_area_id == (await micro_grid()).id
        assert (await events_of(checked))[-2:] == [
            ("CHECK", "SUBMITTED", "SUBMITTED", "现场核实属实"),
            ("DISPATCH", "SUBMITTED", "DISPATCHED", None),
        ]
        # then it runs as any report: accepted by the micro-grid's leader
        assert (await act("microgrid_leader", "accept", checked)).status is (
            WorkOrderStatus.ACCEPTED
        )
        with pytest.raises(InvalidTransition) as twice:
            await act("grid_leader", "check", checked, confirmed=True, reason=None)
        assert "cannot be checked now" in str(twice.value)

    async def test_a_refused_check_rejects_it_with_the_reason(self, db: Database) -> None:
        order = await report("resident")
        before = await snapshot(order)
        with pytest.raises(InvalidInput) as no_reason:
            await act("grid_leader", "check", order, confirmed=False, reason=None)
        assert no_reason.value.field == "reason"
        assert await snapshot(order) == before
        rejected = await act(
            "community_admin", "check", order, confirmed=False, reason="现场无此情况"
        )
        assert rejected.status is WorkOrderStatus.REJECTED and rejected.closed_at is not None
        assert (await events_of(rejected))[-1] == (
            "REJECT",
            "SUBMITTED",
            "REJECTED",
            "现场无此情况",
        )
        assert await awards_for(rejected) == []


class TestReopen:
    async def test_a_dissatisfied_resident_sends_it_back(self, db: Database) -> None:
        order = await handled(await place())
        order = await act("resident", "rate", order, rating=2, comment="还在漏")
        with pytest.raises(Forbidden):
            await act("microgrid_leader", "reopen", order, reason="再看看")
        later = service_clock.now() + timedelta(hours=3)
        with service_clock.frozen(later):
            reopened = await act("resident", "reopen", order, reason="水管还在漏水")
        assert reopened.status is WorkOrderStatus.IN_PROGRESS
        assert reopened.accepted_by_id == order.accepted_by_id
        assert (reopened.resolved_at, reopened.resolved_by_id, reopened.rating) == (
            None,
            None,
            None,
        )
        assert reopened.resolve_due == later + timedelta(hours=24)  # WATER_ELECTRIC: 24 hours
        assert (await events_of(reopened))[-1] == (
            "REOPEN",
            "RESOLVED",
            "IN_PROGRESS",
            "水管还在漏水",
        )
        # the handler resolves it again; the resident confirms and the handler is paid once
        again = await act("microgrid_leader", "resolve", reopened, note="更换整段水管")
        closed = await act("resident", "confirm", again)
        assert closed.status is WorkOrderStatus.CLOSED
        assert len(await awards_for(closed)) == 1
        with pytest.raises(InvalidTransition):
            await act("resident", "reopen", closed, reason="又坏了")

    async def test_a_failed_verification_sends_a_report_back(self, db: Database) -> None:
        order = await handled(await report())
        with pytest.raises(Forbidden):
            await act("rider", "reopen", order, reason="没清理干净")
        reopened = await act("grid_leader", "reopen", order, reason="现场仍有垃圾")
        assert reopened.status is WorkOrderStatus.IN_PROGRESS
        assert await awards_for(reopened) == []

    async def test_an_assignee_whose_role_ended_is_taken_off_a_reopened_order(
        self, db: Database
    ) -> None:
        # given two orders worked and resolved by M's central household, who then leaves
        helper = await person_id("central_household")
        resolved = []
        for _ in range(2):
            order = await act("microgrid_leader", "accept", await place())
            order = await act("microgrid_leader", "assign", order, person_id=helper)
            order = await act("central_household", "start", order)
            resolved.append(await act("central_household", "resolve", order, note="已处理"))
        kept = await act("resident", "reopen", resolved[0], reason="还在漏水")
        assert kept.assignee_id == helper  # still a central household: stays on it
        role = await RoleAssignment.get(person_id=helper, role=Role.CENTRAL_HOUSEHOLD, until=None)
        await end_role(
            actor=await actor_for("community_admin"), assignment_id=role.id, reason="搬离"
        )
        # when the resident reopens the one that waited for confirmation
        reopened = await act("resident", "reopen", resolved[1], reason="还在漏水")
        # then it goes back to its handler, on the timeline, and the handler resolves it
        assert (reopened.status, reopened.assignee_id) == (WorkOrderStatus.IN_PROGRESS, None)
        assert (await events_of(reopened))[-2:] == [
            ("REOPEN", "RESOLVED", "IN_PROGRESS", "还在漏水"),
            ("ASSIGN", "IN_PROGRESS", "IN_PROGRESS", "原指派人角色已结束，交回处理人"),
        ]
        again = await act("microgrid_leader", "resolve", reopened, note="更换水管")
        closed = await act("resident", "confirm", again)
        assert await awards_for(closed) == [(await person_id("microgrid_leader"), "ORDER_RESOLVED")]


class TestHandoverAtRoleEnd:
    async def test_a_resolved_order_passes_up_and_can_be_reopened_there(self, db: Database) -> None:
        # given an order resolved by M's leader, waiting for the resident's confirmation
        order = await handled(await place())
        g = await grid()
        leader = await person_id("microgrid_leader")
        held = await RoleAssignment.get(person_id=leader, role=Role.MICRO_GRID_LEADER, until=None)
        # when the leader's role ends, the order passes to the grid with the others
        ended = await end_role(
            actor=await actor_for("community_admin"), assignment_id=held.id, reason="换届"
        )
        (moved,) = [o for o in ended.transferred_work_orders if o.id == order.id]
        assert (moved.status, moved.handling_area_id) == (
            WorkOrderStatus.RESOLVED,
            g.id,
        )
        # then the resident reopens it, and the grid leader, who handles it now, resolves it
        reopened = await act("resident", "reopen", moved, reason="还在漏水")
        again = await act("grid_leader", "resolve", reopened, note="更换水管")
        assert again.status is WorkOrderStatus.RESOLVED

    async def test_an_order_handled_above_is_taken_back_from_its_assignee(
        self, db: Database
    ) -> None:
        # given M without a leader: the resident's order is handled at the grid, whose leader
        # assigns it to M's central household
        admin = await actor_for("community_admin")
        g = await grid()
        leader = await person_id("microgrid_leader")
        held = await RoleAssignment.get(person_id=leader, role=Role.MICRO_GRID_LEADER, until=None)
        await end_role(actor=admin, assignment_id=held.id, reason="换届")
        order = await act("grid_leader", "accept", await place())
        assert order.handling_area_id == g.id
        helper = await person_id("central_household")
        order = await act("grid_leader", "assign", order, person_id=helper)
        # when the central household's role ends
        role = await RoleAssignment.get(person_id=helper, role=Role.CENTRAL_HOUSEHOLD, until=None)
        ended = await end_role(actor=admin, assignment_id=role.id, reason="搬离")
        # then the order goes back to its handler: nobody is its assignee any more
        (moved,) = [o for o in ended.transferred_work_orders if o.id == order.id]
        assert moved.assignee_id is None
        assert (await events_of(moved))[-1][0] == "ASSIGN"


class TestRefusalWording:
    @pytest.mark.parametrize(
        ("action", "kwargs", "participle"),
        [
            ("accept", {}, "accepted"),
            ("start", {}, "started"),
            ("suspend", {"reason": "等待"}, "suspended"),
            ("resume", {}, "resumed"),
            ("transfer", {"up": True, "reason": "统筹"}, "transferred"),
            ("resolve", {"note": None}, "resolved"),
            ("reject", {"reason": "不受理"}, "rejected"),
        ],
    )
    async def test_messages_use_the_past_participle(
        self, db: Database, action: str, kwargs: dict[str, object], participle: str
    ) -> None:
        closed = await act("resident", "cancel", await place(), reason="不需要了")
        with pytest.raises(InvalidTransition) as refused:
            await act("microgrid_leader", action, closed, **kwargs)
        message = str(refused.value)
        assert message == f"A RESIDENT_REQUEST that is CANCELLED cannot be {participle} now."
        assert not any(f"{verb}d " in message for verb in ("accept", "start", "suspend"))

    def test_every_action_has_its_words(self) -> None:
        from services.enums import WorkOrderAction
        from services.workorders.lifecycle import words

        for action in WorkOrderAction:
            verb, participle = words(action)
            assert participle.endswith("ed") and not participle.endswith(("td", "pd", "dd"))
            assert verb and " " not in verb
