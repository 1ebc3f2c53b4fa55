"""Care links (中心户 looks after households) end with the role, are kept as history, and every
read through a link checks the role as it is now."""

from __future__ import annotations

from importlib import import_module

import pytest

from services import households, workorders
from services.accounts import load_actor
from services.care_links import (
    HANDED_OVER,
    HOUSEHOLD_MOVED,
    ROLE_ENDED,
    TAKEN_OVER,
    my_cared_households,
)
from services.enums import AreaLevel, Role, WorkOrderAction
from services.errors import InvalidInput, NotFound
from services.grids import coverage
from services.kit import clock
from services.kit import db as database
from services.kit.auth import Actor, RoleGrant
from services.kit.pagination import Window
from services.models import (
    Area,
    CareLink,
    EndedCareLink,
    Household,
    Person,
    RoleAssignment,
    WorkOrder,
    WorkOrderEvent,
)
from services.people import assign_role, create_person, end_role, people_by_ids
from tests.conftest import Database, actor_for
from tests.services.workorders_support import place


async def load_actor_of(person_id: int) -> Actor:
    """The actor of a person without a sign-in, with their open roles."""
    held = await RoleAssignment.filter(person_id=person_id, until=None, area_id__not_isnull=True)
    grants = []
    for r in held:
        area = await Area.get(id=r.area_id)
        grants.append(RoleGrant(r.role, area.id, area.path, area.level))
    return Actor(account_id=0, person_id=person_id, username="p", grants=tuple(grants))


async def _central() -> tuple[int, RoleAssignment, list[int]]:
    """The demo central household: person id, their CENTRAL_HOUSEHOLD role, the households
    they look after."""
    actor = await actor_for("central_household")
    role = await RoleAssignment.get(
        person_id=actor.person_id, role=Role.CENTRAL_HOUSEHOLD, until=None
    )
    cared = await CareLink.filter(central_id=actor.person_id).order_by("household_id")
    return actor.person_id, role, [c.household_id for c in cared]


async def _cared_figure(area_id: int) -> int:
    (figure,) = await coverage(actor=await actor_for("community_admin"), area_ids=[area_id])
    assert not isinstance(figure, Exception)
    return figure.households_with_central_household


async def _resident_view() -> bool | None:
    """How the central household sees the resident they look after (True: phone and all)."""
    resident = (await actor_for("resident")).person_id
    (view,) = await people_by_ids(actor=await actor_for("central_household"), person_ids=[resident])
    return None if view is None else view.full


class TestEndingTheRole:
    async def test_hands_the_links_to_the_leader_keeps_history_and_closes_access(
        self, db: Database
    ) -> None:
        # given the demo central household, who looks after the resident's household (and more)
        person, role, cared = await _central()
        resident_home = (await actor_for("resident")).household_id
        assert resident_home in cared and len(cared) > 1
        micro_grid = role.area_id
        assert micro_grid is not None
        leader = await RoleAssignment.get(
            role=Role.MICRO_GRID_LEADER, area_id=micro_grid, until=None
        )
        before = await _cared_figure(micro_grid)
        assert await _resident_view() is True
        # when the community admin ends the role
        ended_role = await end_role(
            actor=await actor_for("community_admin"), assignment_id=role.id, reason="搬离本社区"
        )
        # then the links are history, with when they began and why they ended
        assert not await CareLink.exists(central_id=person)
        ended = await EndedCareLink.filter(central_id=person).order_by("household_id")
        assert [e.household_id for e in ended] == cared
        assert {e.reason for e in ended} == {HANDED_OVER}
        stored = await RoleAssignment.get(id=role.id)
        assert all(e.linked_at <= e.ended_at == stored.until for e in ended)
        # and the micro-grid leader looks after the households now, as the result lists
        now = await CareLink.filter(household_id__in=cared).order_by("household_id")
        assert {c.central_id for c in now} == {leader.person_id}
        assert [c.household_id for c in ended_role.moved_care_links] == cared
        assert ended_role.moved_care_link_count == len(cared)
        # and the households are counted as gaps (no central household looks after them)
        assert await _cared_figure(micro_grid) == before - len(cared)
        # and the former central household reads neither the households nor their people
        former = await actor_for("central_household")
        assert resident_home is not None
        with pytest.raises(NotFound):
            await households.get_household(actor=former, household_id=resident_home)
        assert await households.households_by_ids(actor=former, household_ids=[resident_home]) == [
            None
        ]
        assert await _resident_view() is None

    async def test_without_a_leader_the_links_end(self, db: Database) -> None:
        # given the demo central household, in a micro-grid whose leader's role has ended
        person, role, cared = await _central()
        admin = await actor_for("community_admin")
        leader = await RoleAssignment.get(
            role=Role.MICRO_GRID_LEADER, area_id=role.area_id, until=None
        )
        await end_role(actor=admin, assignment_id=leader.id, reason="换届")
        # when the central household's role ends
        ended_role = await end_role(actor=admin, assignment_id=role.id, reason="搬离本社区")
        # then nobody takes the links: they end, as history, and nothing is listed as moved
        assert not await CareLink.filter(household_id__in=cared).exists()
        ended = await EndedCareLink.filter(central_id=person)
        assert sorted(e.household_id for e in ended) == cared
        assert {e.reason for e in ended} == {ROLE_ENDED}
        assert (ended_role.moved_care_links, ended_role.moved_care_link_count) == ([], 0)

    async def test_other_roles_leave_the_links_alone(self, db: Database) -> None:
        # given the demo micro-grid leader's role (not a central household's)
        leader = await actor_for("microgrid_leader")
        role = await RoleAssignment.get(
            person_id=leader.person_id, role=Role.MICRO_GRID_LEADER, until=None
        )
        links = await CareLink.all().count()
        # when it ends
        await end_role(
            actor=await actor_for("community_admin"), assignment_id=role.id, reason="换届"
        )
        # then every care link stays
        assert await CareLink.all().count() == links
        assert not await EndedCareLink.exists()


class TestAccessChecksTheRole:
    async def test_a_link_left_behind_gives_no_access(self, db: Database) -> None:
        # given a role that ended without its links ending (as before migration 0020)
        person, role, cared = await _central()
        await RoleAssignment.filter(id=role.id).update(until=clock.now(), end_reason="旧数据")
        former = await load_actor(account_id=(await actor_for("central_household")).account_id)
        assert former is not None
        assert await CareLink.filter(central_id=person).count() == len(cared)
        resident_home = (await actor_for("resident")).household_id
        assert resident_home is not None
        # when they read the households and people they once looked after, then nothing shows
        with pytest.raises(NotFound):
            await households.get_household(actor=former, household_id=resident_home)
        assert await _resident_view() is None

    async def test_the_migration_moves_links_left_behind_into_history(self, db: Database) -> None:
        # given a role that ended without its links ending
        person, role, cared = await _central()
        ended_at = clock.now()
        await RoleAssignment.filter(id=role.id).update(until=ended_at, end_reason="旧数据")
        other_links = await CareLink.exclude(central_id=person).count()
        # when migration 0020's data step runs
        step = import_module("services.migrations.0020_ended_care_links")
        for statement in step._STATEMENTS:
            await database.execute(statement, [])
        # then those links are history, ended when the role ended, and the others stay
        assert not await CareLink.exists(central_id=person)
        assert await CareLink.all().count() == other_links
        moved = await EndedCareLink.filter(central_id=person)
        assert sorted(e.household_id for e in moved) == cared
        assert {e.ended_at for e in moved} == {ended_at}


class TestOtherEnds:
    async def test_moving_the_household_ends_its_link(self, db: Database) -> None:
        # given the resident's household, looked after in micro-grid M
        person, role, _ = await _central()
        home = await Household.get(id=(await actor_for("resident")).household_id)
        other = (
            await Area.filter(parent_id=(await Area.get(id=role.area_id)).parent_id)
            .filter(level=AreaLevel.MICRO_GRID)
            .exclude(id=role.area_id)
            .first()
        )
        assert other is not None
        # when the admin moves it to another micro-grid of the community
        await households.assign_household(
            actor=await actor_for("community_admin"), household_id=home.id, micro_grid_id=other.id
        )
        # then its link ended, as history
        assert not await CareLink.exists(household_id=home.id)
        (ended,) = await EndedCareLink.filter(household_id=home.id)
        assert (ended.central_id, ended.reason) == (person, HOUSEHOLD_MOVED)

    async def test_another_central_household_takes_over(self, db: Database) -> None:
        # given a neighbour of M appointed central household too
        person, role, _ = await _central()
        home = await Household.get(id=(await actor_for("resident")).household_id)
        neighbour = (
            await Person.filter(household__micro_grid_id=role.area_id, household_id__not=home.id)
            .exclude(id=person)
            .first()
        )
        assert neighbour is not None
        admin = await actor_for("community_admin")
        assert role.area_id is not None
        await assign_role(
            actor=admin, person_id=neighbour.id, role=Role.CENTRAL_HOUSEHOLD, area_id=role.area_id
        )
        # when the resident's household is put in their care, twice (a retry)
        first = await households.link_central_household(
            actor=admin, household_id=home.id, central_person_id=neighbour.id
        )
        again = await households.link_central_household(
            actor=admin, household_id=home.id, central_person_id=neighbour.id
        )
        # then one link, theirs, and the first central household's is history
        assert again.id == first.id and first.central_id == neighbour.id
        (ended,) = await EndedCareLink.filter(household_id=home.id)
        assert (ended.central_id, ended.reason) == (person, TAKEN_OVER)


class TestHandOver:
    async def test_a_named_successor_takes_the_links_and_the_assigned_orders(
        self, db: Database
    ) -> None:
        # given a second central household of M, and an order of M assigned to the first
        person, role, cared = await _central()
        admin = await actor_for("community_admin")
        home = await Household.filter(micro_grid_id=role.area_id).order_by("-id").first()
        assert home is not None
        successor = await create_person(actor=admin, name="接任中心户", household_id=home.id)
        await assign_role(
            actor=admin, person_id=successor.id, role=Role.CENTRAL_HOUSEHOLD, area_id=role.area_id
        )
        order = await place()
        leader = await actor_for("microgrid_leader")
        await workorders.accept(actor=leader, work_order_id=order.id)
        await workorders.assign(actor=leader, work_order_id=order.id, person_id=person)
        # when the first one's role ends, handed over to the successor
        ended = await end_role(
            actor=admin, assignment_id=role.id, reason="年老体弱", hand_over_to_id=successor.id
        )
        # then the successor looks after the households and holds the order, on its timeline
        now = await CareLink.filter(household_id__in=cared)
        assert {c.central_id for c in now} == {successor.id}
        assert ended.moved_care_link_count == len(cared)
        moved = await WorkOrder.get(id=order.id)
        assert moved.assignee_id == successor.id
        assert order.id in [o.id for o in ended.transferred_work_orders]
        step = await WorkOrderEvent.filter(work_order_id=order.id).order_by("-id").first()
        assert step is not None and step.action is WorkOrderAction.ASSIGN
        assert step.note == "角色结束，移交给接任中心户"
        # and the successor reads them in their list
        page = await my_cared_households(
            actor=await load_actor_of(successor.id), window=Window(first=100)
        )
        assert sorted(h.id for h in page.items) == cared

    async def test_without_a_successor_assigned_orders_go_back_to_the_handler(
        self, db: Database
    ) -> None:
        # given an order of M assigned to the demo central household
        person, role, _ = await _central()
        order = await place()
        leader = await actor_for("microgrid_leader")
        await workorders.accept(actor=leader, work_order_id=order.id)
        await workorders.assign(actor=leader, work_order_id=order.id, person_id=person)
        # when their role ends with no successor named
        ended = await end_role(
            actor=await actor_for("community_admin"), assignment_id=role.id, reason="搬家"
        )
        # then the order is back with its handler, on its timeline
        moved = await WorkOrder.get(id=order.id)
        assert moved.assignee_id is None and moved.handling_area_id == role.area_id
        assert order.id in [o.id for o in ended.transferred_work_orders]
        step = await WorkOrderEvent.filter(work_order_id=order.id).order_by("-id").first()
        assert step is not None and step.note == "角色结束，交回处理人"

    async def test_a_bad_successor_changes_nothing(self, db: Database) -> None:
        person, role, cared = await _central()
        admin = await actor_for("community_admin")
        leader = await actor_for("microgrid_leader")
        for successor in (person, leader.person_id, 999_999):
            with pytest.raises(InvalidInput) as refused:
                await end_role(
                    actor=admin, assignment_id=role.id, reason="调整", hand_over_to_id=successor
                )
            assert refused.value.field == "handOverToPersonId"
        # a leader's role names no successor
        held = await RoleAssignment.get(person_id=leader.person_id, role=Role.MICRO_GRID_LEADER)
        with pytest.raises(InvalidInput):
            await end_role(
                actor=admin, assignment_id=held.id, reason="调整", hand_over_to_id=person
            )
        assert (await RoleAssignment.get(id=role.id)).until is None
        assert await CareLink.filter(central_id=person).count() == len(cared)


class TestMyCaredHouseholds:
    async def test_the_central_household_lists_its_households_the_resident_none(
        self, db: Database
    ) -> None:
        _, _, cared = await _central()
        page = await my_cared_households(
            actor=await actor_for("central_household"), window=Window(first=5)
        )
        assert [h.id for h in page.items] == cared[:5]
        assert page.has_next and await page.count() == len(cared)
        nxt = await my_cared_households(
            actor=await actor_for("central_household"),
            window=Window(first=100, after=page.keys[-1]),
        )
        assert [h.id for h in nxt.items] == cared[5:]
        empty = await my_cared_households(actor=await actor_for("resident"), window=Window(first=5))
        assert (empty.items, await empty.count()) == ([], 0)
