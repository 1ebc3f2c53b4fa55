"""Errands (代办): a central household or micro-grid leader places an order for a household."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services import workorders
from services.enums import Role, WorkOrderAction, WorkOrderStatus
from services.errors import Forbidden, InvalidInput, NotFound
from services.kit.pagination import Window
from services.models import CareLink, Household, WorkOrder, WorkOrderErrand, WorkOrderEvent
from services.workorders.access import parties_of
from services.workorders.transitions import Party
from tests.conftest import Database, actor_for
from tests.services.workorders_support import (
    act,
    grid,
    handled,
    micro_grid,
    place,
    sibling,
    snapshot,
)


async def _cared_neighbour() -> Household:
    """A household the demo central household looks after where no demo account lives."""
    central = await actor_for("central_household")
    homes = [
        (await actor_for(u)).household_id
        for u in ("resident", "central_household", "microgrid_leader")
    ]
    link = (
        await CareLink.filter(central_id=central.person_id)
        .exclude(household_id__in=homes)
        .order_by("household_id")
        .first()
    )
    assert link is not None
    return await Household.get(id=link.household_id)


async def _errand(username: str, household_id: int) -> object:
    return await workorders.place_order(
        actor=await actor_for(username),
        category="ELDERLY_CARE",
        description="老人行动不便，代为申请助老服务",
        on_behalf_of_household_id=household_id,
    )


class TestPlaceOrderOnBehalf:
    async def test_a_central_household_orders_for_a_household_it_looks_after(
        self, db: Database
    ) -> None:
        # given a household the demo central household looks after
        home = await _cared_neighbour()
        central = await actor_for("central_household")
        # when the central household places an order on its behalf
        order = await workorders.place_order(
            actor=central,
            category="ELDERLY_CARE",
            description="代办：帮老人申请助餐",
            on_behalf_of_household_id=home.id,
        )
        # then the order is the household's, dispatched to its micro-grid, placed by them
        assert (order.household_id, order.reporter_id) == (home.id, central.person_id)
        assert (order.handling_area_id, order.status) == (
            home.micro_grid_id,
            WorkOrderStatus.DISPATCHED,
        )
        # and recorded as an errand, noted on the timeline
        errand = await WorkOrderErrand.get(work_order_id=order.id)
        assert (errand.household_id, errand.placed_by_id, errand.placed_as) == (
            home.id,
            central.person_id,
            Role.CENTRAL_HOUSEHOLD,
        )
        submit = await WorkOrderEvent.get(work_order_id=order.id, action=WorkOrderAction.SUBMIT)
        assert submit.note == "中心户代办"
        assert await workorders.errands_by_order(work_order_ids=[order.id, 0]) == [errand, None]

    async def test_the_micro_grid_leaders_errand_goes_to_the_grid(self, db: Database) -> None:
        # given a household of M (the leader's micro-grid)
        home = await _cared_neighbour()
        m = await micro_grid()
        assert home.micro_grid_id == m.id
        # when its leader places an order on its behalf
        order = await _errand("microgrid_leader", home.id)
        # then it is placed in M but handled by the grid (nobody accepts what they placed)
        assert (order.area_id, order.handling_area_id) == (m.id, (await grid()).id)
        errand = await WorkOrderErrand.get(work_order_id=order.id)
        assert errand.placed_as is Role.MICRO_GRID_LEADER
        # and the grid leader accepts it at once
        accepted = await workorders.accept(
            actor=await actor_for("grid_leader"), work_order_id=order.id
        )
        assert accepted.status is WorkOrderStatus.ACCEPTED

    async def test_anyone_else_is_refused_and_nothing_changes(self, db: Database) -> None:
        home = await _cared_neighbour()
        other = await Household.filter(micro_grid_id=(await sibling()).id).first()
        assert other is not None
        before = await snapshot()
        # a resident, a grid leader: no errand role
        for username in ("resident", "grid_leader", "community_admin"):
            with pytest.raises(Forbidden):
                await _errand(username, home.id)
        # the central household, for a household of another micro-grid it cannot see
        with pytest.raises(NotFound):
            await _errand("central_household", other.id)
        # the micro-grid leader, for a household of the sibling micro-grid (outside their scope)
        with pytest.raises(NotFound):
            await _errand("microgrid_leader", other.id)
        # an unknown household
        with pytest.raises(NotFound) as unknown:
            await _errand("central_household", 999_999)
        assert unknown.value.field == "onBehalfOfHouseholdId"
        # one's own household goes without onBehalfOfHouseholdId
        own = (await actor_for("central_household")).household_id
        assert own is not None
        with pytest.raises(InvalidInput):
            await _errand("central_household", own)
        assert await snapshot() == before
        assert not await WorkOrderErrand.exists()

    async def test_a_household_of_m_out_of_their_care_is_not_theirs(self, db: Database) -> None:
        # given a household of M that is no longer in the demo central household's care
        home = await _cared_neighbour()
        await CareLink.filter(household_id=home.id).delete()
        # when they place an order for it, then NotFound (out of their care, they cannot see it)
        with pytest.raises(NotFound):
            await _errand("central_household", home.id)


class TestTheHouseholdActsOnItsErrand:
    async def test_its_members_confirm_cancel_and_reopen_as_the_placer_does(
        self, db: Database
    ) -> None:
        # given errands the central household placed for the resident's household
        resident = await actor_for("resident")
        assert resident.household_id is not None
        errands = [await _errand("central_household", resident.household_id) for _ in range(3)]
        # the resident sees them (they are the household's)
        assert await workorders.orders_by_ids(
            actor=resident, work_order_ids=[o.id for o in errands]
        ) == [await WorkOrder.get(id=o.id) for o in errands]
        # when the resident cancels the first, it is cancelled, by them on the timeline
        cancelled = await act(resident, "cancel", errands[0], reason="家人已处理")
        assert cancelled.status is WorkOrderStatus.CANCELLED
        assert await _last_step(cancelled) == (WorkOrderAction.CANCEL, resident.person_id)
        # the second, resolved: the resident reopens it, then confirms it once resolved again
        order = await handled(errands[1])
        reopened = await act(resident, "reopen", order, reason="还没修好")
        assert reopened.status is WorkOrderStatus.IN_PROGRESS
        assert await _last_step(reopened) == (WorkOrderAction.REOPEN, resident.person_id)
        again = await act("microgrid_leader", "resolve", reopened, note="更换零件")
        closed = await act(resident, "confirm", again)
        assert (closed.status, closed.confirmed_by_id) == (
            WorkOrderStatus.CLOSED,
            resident.person_id,
        )
        confirmed = await WorkOrderEvent.get(
            work_order_id=closed.id, action=WorkOrderAction.CONFIRM
        )
        assert confirmed.actor_id == resident.person_id
        # the third: the placer still confirms it
        third = await act("central_household", "confirm", await handled(errands[2]))
        assert third.status is WorkOrderStatus.CLOSED

    async def test_nobody_else_does(self, db: Database) -> None:
        resident = await actor_for("resident")
        assert resident.household_id is not None
        order = await handled(await _errand("central_household", resident.household_id))
        before = await snapshot(order)
        # a member who moved out (the actor is read with their household on every request)
        moved_out = replace(resident, household_id=None, household_path=None)
        for action, kwargs in (("confirm", {}), ("reopen", {"reason": "不满意"})):
            with pytest.raises(NotFound):
                await act(moved_out, action, order, **kwargs)
            # the handler sees it but confirms or reopens nothing of the household's
            with pytest.raises(Forbidden):
                await act("microgrid_leader", action, order, **kwargs)
            # a resident of another household does not even see it
            with pytest.raises(NotFound):
                await act("rider", action, order, **kwargs)
        assert await snapshot(order) == before
        # and a household's own order is still its placer's alone (no errand: no HOUSEHOLD)
        own = await handled(await place("central_household"))
        with pytest.raises(NotFound):
            await act(resident, "confirm", own)

    async def test_nobody_handles_or_confirms_an_errand_of_their_own_household(
        self, db: Database
    ) -> None:
        # given an errand placed for the resident's household, handled in M
        resident = await actor_for("resident")
        assert resident.household_id is not None
        order = await WorkOrder.get(
            id=(await _errand("central_household", resident.household_id)).id  # type: ignore[attr-defined]
        )
        # M's leader handles it; were she living in that household, she would act on it as
        # the household only (no handler, no assignee)
        leader = await actor_for("microgrid_leader")
        assert Party.HANDLER in parties_of(leader, order)
        at_home = replace(leader, household_id=resident.household_id)
        assert Party.HANDLER not in parties_of(at_home, order, for_home=True)
        assert Party.HOUSEHOLD in parties_of(at_home, order, for_home=True)
        # a member of the household is not assigned it
        accepted = await act(leader, "accept", order)
        before = await snapshot(accepted)
        with pytest.raises(InvalidInput):
            await act(leader, "assign", accepted, person_id=resident.person_id)
        assert await snapshot(accepted) == before
        # and whoever handled it does not confirm it, even living there
        started = await act(leader, "start", accepted)
        resolved = await act(leader, "resolve", started, note="已上门服务")
        with pytest.raises(Forbidden):
            await act(at_home, "confirm", resolved)
        assert (await WorkOrder.get(id=order.id)).status is WorkOrderStatus.RESOLVED

    async def test_its_members_find_it_among_their_orders(self, db: Database) -> None:
        # given an errand the central household placed for the resident's household, and an
        # order of the central household's own
        resident = await actor_for("resident")
        assert resident.household_id is not None
        errand = await _errand("central_household", resident.household_id)
        own = await place("central_household")
        # the resident finds the errand among their own orders, not the placer's own order
        mine = await workorders.my_orders(actor=resident, window=Window(first=100))
        assert errand.id in mine.keys and own.id not in mine.keys
        # the placer still finds it too
        placer = await workorders.my_orders(
            actor=await actor_for("central_household"), window=Window(first=100)
        )
        assert {errand.id, own.id} <= set(placer.keys)
        # a member who moved out no longer does
        moved_out = replace(resident, household_id=None, household_path=None)
        gone = await workorders.my_orders(actor=moved_out, window=Window(first=100))
        assert errand.id not in gone.keys


async def _last_step(order: WorkOrder) -> tuple[WorkOrderAction, int | None]:
    step = await WorkOrderEvent.filter(work_order_id=order.id).order_by("-id").first()
    assert step is not None
    return step.action, step.actor_id
