"""Changing the net (services.grids.moves): areas moved with their subtree, households moved
to another micro-grid, and the history of moves."""

from __future__ import annotations

from datetime import timedelta

import pytest

from seed.demo import DEMO_COMMUNITY, DEMO_GRID
from services import grids, market, people, volunteering, workorders
from services.enums import (
    AreaLevel,
    MoveSubject,
    ProviderKind,
    Role,
    WorkOrderAction,
    WorkOrderStatus,
)
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.geo.boundaries import boundary_of, load_boundary
from services.geo.points import GeoPoint
from services.grids.moves import ASSIGNEE_LEFT_NOTE
from services.kit import clock, events
from services.kit.events import Topic
from services.kit.pagination import Window
from services.models import (
    Area,
    AreaMove,
    CareLink,
    Household,
    Notice,
    PointsAccount,
    PointsTransaction,
    Reward,
    RoleAssignment,
    VolunteerActivity,
    WorkOrder,
    WorkOrderEvent,
)
from services.workorders.routing import LEADERLESS_NOTE
from tests.conftest import Database, actor_for
from tests.services.grids.support import area
from tests.services.points_support import PARTNER_UNIT, award, redeem, reward, rule
from tests.services.workorders_support import act, place

M = "颜山花园1-2号楼微网格"  # micro-grid M of the demo story
M2 = "颜山花园3-4号楼微网格"  # its sibling in G
OTHER_COMMUNITY = "西冶街社区"


async def state() -> tuple[object, ...]:
    """Everything a refused move must leave as it was."""
    return (
        await Area.all().order_by("id").values_list("id", "parent_id", "path"),
        await Household.all().order_by("id").values_list("id", "micro_grid_id", "path"),
        await RoleAssignment.all().order_by("id").values_list("id", "area_path"),
        await WorkOrder.all().order_by("id").values_list("id", "area_id", "handling_path"),
        await CareLink.all().order_by("id").values_list("household_id", "central_id"),
        await AreaMove.all().count(),
    )


class TestMoveArea:
    async def test_a_grid_moves_to_another_community_with_everything_under_it(
        self, db: Database
    ) -> None:
        # given grid G of 颜山社区 with its micro-grids, households, roles and an open order
        street = await actor_for("street_admin")
        grid, target = await area(DEMO_GRID), await area(OTHER_COMMUNITY)
        old = grid.path
        order = await place()
        households = await Household.filter(path__startswith=old).count()
        # when the street admin moves G to 西冶街社区
        moved, move = await grids.move_area(actor=street, area_id=grid.id, parent_id=target.id)
        # then G and all under it lie under 西冶街社区
        new = f"{target.path}{grid.id}/"
        assert (moved.parent_id, moved.path) == (target.id, new)
        assert await Area.filter(path__startswith=old).count() == 0
        assert await Household.filter(path__startswith=new).count() == households
        assert await Household.filter(path__startswith=new, community_id=target.id).count() == (
            households
        )
        # and the roles held there follow (the micro-grid leader's scope)
        leader = await actor_for("microgrid_leader")
        grant = next(g for g in leader.grants if g.role is Role.MICRO_GRID_LEADER)
        assert grant.area_path.startswith(new)
        # and the open order follows, handled where it was
        fresh = await WorkOrder.get(id=order.id)
        assert fresh.handling_path.startswith(new)
        assert fresh.handling_area_id == order.handling_area_id
        # and the notices of G follow
        assert not await Notice.filter(area_path__startswith=old).exists()
        # and the move is kept
        assert move is not None
        assert (move.subject, move.area_id, move.from_path, move.to_path) == (
            MoveSubject.AREA,
            grid.id,
            old,
            new,
        )
        assert move.from_area_id == grid.parent_id and move.to_area_id == target.id
        assert move.moved_by_id == street.person_id

    async def test_a_micro_grid_moves_to_another_grid(self, db: Database) -> None:
        # given M in G, and the second grid of 颜山社区
        admin = await actor_for("community_admin")
        micro = await area(M)
        target = await Area.get(name="颜山第二网格")
        care = await CareLink.filter(household__micro_grid_id=micro.id).count()
        # when the community admin moves M there
        moved, move = await grids.move_area(actor=admin, area_id=micro.id, parent_id=target.id)
        # then M lies under the new grid, its households and care links with it
        assert moved.path == f"{target.path}{micro.id}/"
        assert await Household.filter(micro_grid_id=micro.id, path=moved.path).count() > 0
        assert await CareLink.filter(household__micro_grid_id=micro.id).count() == care
        # and the history lists it, for the area and for both parents
        page = await grids.area_moves(actor=admin, area_id=target.id, window=Window(first=10))
        assert [m.id for m in page.items] == [move.id] if move else []
        page = await grids.area_moves(actor=admin, area_id=micro.id, window=Window(first=10))
        assert len(page.items) == 1

    async def test_moving_to_where_it_is_changes_nothing(self, db: Database) -> None:
        admin = await actor_for("community_admin")
        micro, grid = await area(M), await area(DEMO_GRID)
        before = await state()
        moved, move = await grids.move_area(actor=admin, area_id=micro.id, parent_id=grid.id)
        assert move is None and moved.path == micro.path
        assert await state() == before

    @pytest.mark.parametrize(
        ("subject", "parent", "field"),
        [
            (M, DEMO_COMMUNITY, "parentId"),  # a micro-grid under a community: level mismatch
            (DEMO_GRID, "颜山第二网格", "parentId"),  # a grid under a grid
            (DEMO_GRID, M, "parentId"),  # under itself
            (DEMO_COMMUNITY, "山头街道", "areaId"),  # communities are not moved
            (M, "颜山商业专属网格", "parentId"),  # kind mismatch: residential into commercial
        ],
    )
    async def test_refused_moves_change_nothing(
        self, db: Database, subject: str, parent: str, field: str
    ) -> None:
        # given the district admin (who administers every end)
        admin = await actor_for("district_admin")
        before = await state()
        # when a move breaks the level rules
        with pytest.raises(InvalidInput) as caught:
            await grids.move_area(
                actor=admin,
                area_id=(await area(subject)).id,
                parent_id=(await area(parent)).id,
            )
        # then it is refused on the culprit, and nothing changed
        assert caught.value.field == field
        assert await state() == before

    async def test_a_sibling_name_clash_is_a_conflict(self, db: Database) -> None:
        # given a grid of another community named like G
        admin = await actor_for("district_admin")
        target, grid = await area(OTHER_COMMUNITY), await area(DEMO_GRID)
        clash = await grids.create_area(
            actor=admin, parent_id=target.id, name=DEMO_GRID, level=AreaLevel.GRID
        )
        assert clash.name == DEMO_GRID
        before = await state()
        # when G is moved there
        with pytest.raises(Conflict):
            await grids.move_area(actor=admin, area_id=grid.id, parent_id=target.id)
        # then nothing changed
        assert await state() == before

    async def test_both_ends_must_be_administered(self, db: Database) -> None:
        # given the admin of 颜山社区, who does not administer 西冶街社区
        admin = await actor_for("community_admin")
        before = await state()
        with pytest.raises(Forbidden):
            await grids.move_area(
                actor=admin,
                area_id=(await area(DEMO_GRID)).id,
                parent_id=(await area(OTHER_COMMUNITY)).id,
            )
        # and a grid leader may not move their micro-grids
        with pytest.raises(Forbidden):
            await grids.move_area(
                actor=await actor_for("grid_leader"),
                area_id=(await area(M)).id,
                parent_id=(await area("颜山第二网格")).id,
            )
        assert await state() == before

    async def test_an_unknown_parent_is_not_found(self, db: Database) -> None:
        admin = await actor_for("community_admin")
        with pytest.raises(NotFound):
            await grids.move_area(actor=admin, area_id=(await area(M)).id, parent_id=999_999)


async def end_leadership(micro_grid: Area) -> None:
    """The micro-grid's leader steps down (nobody takes over): its orders go to its grid."""
    held = await RoleAssignment.get(area_id=micro_grid.id, role=Role.MICRO_GRID_LEADER, until=None)
    await people.end_role(
        actor=await actor_for("community_admin"), assignment_id=held.id, reason="换届"
    )


async def last_step(order: WorkOrder) -> WorkOrderEvent:
    last = await WorkOrderEvent.filter(work_order_id=order.id).order_by("-id").first()
    assert last is not None
    return last


class TestMoveAreaReroutes:
    async def test_a_leaderless_micro_grids_orders_go_with_it_to_the_new_grid(
        self, db: Database
    ) -> None:
        # given M without a leader, so the resident's order is handled at G
        admin = await actor_for("community_admin")
        micro, grid = await area(M), await area(DEMO_GRID)
        await end_leadership(micro)
        order = await place()
        assert order.handling_area_id == grid.id
        target = await Area.get(name="颜山第二网格")
        # when M moves to the second grid
        await grids.move_area(actor=admin, area_id=micro.id, parent_id=target.id)
        # then the order is handled at the new grid, status kept, on the timeline
        fresh = await WorkOrder.get(id=order.id)
        assert (fresh.handling_area_id, fresh.handling_path) == (target.id, target.path)
        assert fresh.status is order.status and fresh.version == order.version + 1
        step = await last_step(order)
        assert (step.action, step.target_area_id) == (WorkOrderAction.TRANSFER, target.id)
        assert step.actor_id == admin.person_id

    async def test_a_leaders_errand_goes_to_the_new_grid_not_to_the_leader(
        self, db: Database
    ) -> None:
        # given an errand the micro-grid leader placed for a household of M (handled at G)
        admin = await actor_for("community_admin")
        leader = await actor_for("microgrid_leader")
        micro = await area(M)
        home = (await actor_for("resident")).household_id
        order = await workorders.place_order(
            actor=leader,
            category="WATER_ELECTRIC",
            description="代办：水管漏水",
            on_behalf_of_household_id=home,
        )
        assert order.handling_area_id == micro.parent_id
        # and an order of M handled in M
        own = await place()
        assert own.handling_area_id == micro.id
        target = await Area.get(name="颜山第二网格")
        # when M moves to the second grid
        moved, _ = await grids.move_area(actor=admin, area_id=micro.id, parent_id=target.id)
        # then the errand is handled by the new grid (nobody accepts their own order)
        fresh = await WorkOrder.get(id=order.id)
        assert (fresh.handling_area_id, fresh.handling_path) == (target.id, target.path)
        # and the order handled in M stays with M, on its new path
        mine = await WorkOrder.get(id=own.id)
        assert (mine.handling_area_id, mine.handling_path) == (micro.id, moved.path)

    async def test_an_order_handled_at_the_grid_goes_to_the_micro_grid_that_has_a_leader_now(
        self, db: Database
    ) -> None:
        # given an order of M handled at G (M had no leader), and a new leader of M since
        admin = await actor_for("community_admin")
        micro = await area(M)
        held = await RoleAssignment.get(area_id=micro.id, role=Role.MICRO_GRID_LEADER, until=None)
        await end_leadership(micro)
        order = await place()
        await people.assign_role(
            actor=admin, person_id=held.person_id, role=Role.MICRO_GRID_LEADER, area_id=micro.id
        )
        target = await Area.get(name="颜山第二网格")
        # when M moves to the second grid
        moved, _ = await grids.move_area(actor=admin, area_id=micro.id, parent_id=target.id)
        # then its leader handles it (as a new order of M would be routed)
        fresh = await WorkOrder.get(id=order.id)
        assert (fresh.handling_area_id, fresh.handling_path) == (micro.id, moved.path)
        assert (await last_step(order)).target_area_id == micro.id

    async def test_an_escalated_order_stays_at_grid_level(self, db: Database) -> None:
        # given an order of M the timer escalated to G
        admin = await actor_for("community_admin")
        micro, grid = await area(M), await area(DEMO_GRID)
        order = await place()
        await WorkOrder.filter(id=order.id).update(
            handling_area_id=grid.id, handling_path=grid.path, escalation_level=1
        )
        target = await Area.get(name="颜山第二网格")
        # when M moves to the second grid
        await grids.move_area(actor=admin, area_id=micro.id, parent_id=target.id)
        # then the new grid handles it (it does not go back down to M)
        fresh = await WorkOrder.get(id=order.id)
        assert (fresh.handling_area_id, fresh.escalation_level) == (target.id, 1)

    async def test_a_grids_orders_escalated_to_its_community_go_to_the_new_one(
        self, db: Database
    ) -> None:
        # given an order of M the timer escalated to 颜山社区
        street = await actor_for("street_admin")
        grid, old, target = (
            await area(DEMO_GRID),
            await area(DEMO_COMMUNITY),
            await area(OTHER_COMMUNITY),
        )
        order = await place()
        await WorkOrder.filter(id=order.id).update(
            handling_area_id=old.id, handling_path=old.path, escalation_level=2
        )
        # when G moves to 西冶街社区
        await grids.move_area(actor=street, area_id=grid.id, parent_id=target.id)
        # then 西冶街社区 handles it now, on the timeline
        fresh = await WorkOrder.get(id=order.id)
        assert (fresh.handling_area_id, fresh.handling_path) == (target.id, target.path)
        assert (await last_step(order)).target_area_id == target.id


class TestMoveAreaChangesCommunity:
    async def test_rewards_and_activities_of_a_grid_join_the_new_community(
        self, db: Database
    ) -> None:
        # given grid G's reward (given by 颜山社区), a partner unit's reward and an activity in G
        await rule()
        await award("resident", quantity=10)
        admin, street = await actor_for("community_admin"), await actor_for("street_admin")
        grid, old, target = (
            await area(DEMO_GRID),
            await area(DEMO_COMMUNITY),
            await area(OTHER_COMMUNITY),
        )
        item = await reward(price=10, area=grid)
        given = await reward(price=10, area=grid, provider_unit=PARTNER_UNIT)
        old_sink = item.sink_account_id
        activity = await volunteering.create_activity(
            actor=admin,
            area_id=grid.id,
            team_id=None,
            project_id=None,
            title="楼道清扫",
            place="1 号楼",
            starts_at=clock.now() + timedelta(days=1),
            ends_at=clock.now() + timedelta(days=1, hours=2),
            capacity=10,
        )
        # and a redemption captured before the move, and one still held
        spent = await redeem("resident", item)
        await market.fulfil(actor=admin, pickup_code=spent.pickup_code)
        held = await redeem("resident", item)
        # when G moves to 西冶街社区
        await grids.move_area(actor=street, area_id=grid.id, parent_id=target.id)
        # then its rewards are of the new community, the community's given by it now, and
        # both land their points in sinks of the new community
        fresh = await Reward.get(id=item.id)
        assert (fresh.community_id, fresh.provider_kind, fresh.provider_name) == (
            target.id,
            ProviderKind.COMMUNITY,
            target.name,
        )
        unit = await Reward.get(id=given.id)
        assert (unit.community_id, unit.provider_name) == (target.id, PARTNER_UNIT)
        sinks = await PointsAccount.filter(
            id__in=[fresh.sink_account_id, unit.sink_account_id]
        ).values_list("area_id", "name")
        assert sorted(sinks) == sorted([(target.id, target.name), (target.id, PARTNER_UNIT)])
        # and its activity too (its hours are paid from that community's pool)
        assert (await VolunteerActivity.get(id=activity.id)).community_id == target.id
        # and the held redemption is captured in the new community, into its sink
        await market.fulfil(actor=street, pickup_code=held.pickup_code)
        capture = await PointsTransaction.get(redemption_id=held.id)
        assert capture.community_id == target.id
        assert (await PointsAccount.get(id=fresh.sink_account_id)).balance == 10
        # while what was spent before stays with the old community (history)
        before = await PointsTransaction.get(redemption_id=spent.id)
        assert before.community_id == old.id
        assert (await PointsAccount.get(id=old_sink)).balance == 10


class TestMoveHouseholds:
    async def test_orders_handled_at_the_old_grid_are_rerouted_too(self, db: Database) -> None:
        # given M without a leader, so the resident's order is handled at G
        admin = await actor_for("community_admin")
        resident = await actor_for("resident")
        micro, grid, target = await area(M), await area(DEMO_GRID), await area(M2)
        await end_leadership(micro)
        order = await place()
        assert order.handling_area_id == grid.id
        # when the household moves to M2, which has a leader
        await grids.move_households(
            actor=admin, household_ids=[resident.household_id or 0], micro_grid_id=target.id
        )
        # then M2 handles the order, on the timeline
        fresh = await WorkOrder.get(id=order.id)
        assert (fresh.area_id, fresh.handling_area_id, fresh.handling_path) == (
            target.id,
            target.id,
            target.path,
        )
        step = await last_step(order)
        assert (step.action, step.target_area_id) == (WorkOrderAction.TRANSFER, target.id)

    async def test_orders_moved_to_a_leaderless_micro_grid_go_to_its_grid(
        self, db: Database
    ) -> None:
        # given the resident's order handled in M, and M2 without a leader
        admin = await actor_for("community_admin")
        resident = await actor_for("resident")
        micro, grid, target = await area(M), await area(DEMO_GRID), await area(M2)
        order = await place()
        assert order.handling_area_id == micro.id
        await end_leadership(target)
        # when the household moves to M2
        await grids.move_households(
            actor=admin, household_ids=[resident.household_id or 0], micro_grid_id=target.id
        )
        # then the order lies in M2 and is handled by its grid leader, noted so
        fresh = await WorkOrder.get(id=order.id)
        assert (fresh.area_id, fresh.handling_area_id, fresh.handling_path) == (
            target.id,
            grid.id,
            grid.path,
        )
        step = await last_step(order)
        assert (step.action, step.target_area_id) == (WorkOrderAction.TRANSFER, grid.id)
        assert step.note is not None and LEADERLESS_NOTE in step.note

    async def test_an_escalated_order_stays_with_the_grid(self, db: Database) -> None:
        # given the resident's order escalated to G
        admin = await actor_for("community_admin")
        resident = await actor_for("resident")
        grid, target = await area(DEMO_GRID), await area(M2)
        order = await place()
        await WorkOrder.filter(id=order.id).update(
            handling_area_id=grid.id, handling_path=grid.path, escalation_level=1
        )
        events = await WorkOrderEvent.filter(work_order_id=order.id).count()
        # when the household moves to M2 of the same grid
        await grids.move_households(
            actor=admin, household_ids=[resident.household_id or 0], micro_grid_id=target.id
        )
        # then G still handles it, with no transfer
        fresh = await WorkOrder.get(id=order.id)
        assert (fresh.area_id, fresh.handling_area_id) == (target.id, grid.id)
        assert await WorkOrderEvent.filter(work_order_id=order.id).count() == events

    async def test_households_move_with_their_open_orders_and_history(self, db: Database) -> None:
        # given the resident's household in M, with an open order handled in M
        admin = await actor_for("community_admin")
        resident = await actor_for("resident")
        micro, target = await area(M), await area(M2)
        order = await place()
        assert order.handling_area_id == micro.id
        home = await Household.get(id=resident.household_id)
        assert await CareLink.exists(household_id=home.id)
        # when the community admin moves it to M's sibling
        moved, moves = await grids.move_households(
            actor=admin, household_ids=[home.id], micro_grid_id=target.id
        )
        # then it lies in the sibling, its care link ended
        assert [(h.micro_grid_id, h.path) for h in moved] == [(target.id, target.path)]
        assert not await CareLink.exists(household_id=home.id)
        # and its open order is handled there now, status kept, on the timeline
        fresh = await WorkOrder.get(id=order.id)
        assert (fresh.area_id, fresh.handling_area_id, fresh.handling_path) == (
            target.id,
            target.id,
            target.path,
        )
        assert fresh.status is order.status
        last = await WorkOrderEvent.filter(work_order_id=order.id).order_by("-id").first()
        assert last is not None
        assert (last.action, last.target_area_id) == (WorkOrderAction.TRANSFER, target.id)
        # and the move is kept, from M to the sibling
        assert [(m.subject, m.household_id, m.from_area_id, m.to_area_id) for m in moves] == [
            (MoveSubject.HOUSEHOLD, home.id, micro.id, target.id)
        ]
        # and the resident's scope follows (their household's path)
        assert (await actor_for("resident")).household_path == target.path

    async def test_a_position_outside_the_new_micro_grid_is_cleared_orders_there_stay(
        self, db: Database
    ) -> None:
        # given the resident's household placed in M, an order of theirs without a position
        # and one placed at a point in M
        admin = await actor_for("community_admin")
        resident = await actor_for("resident")
        micro, target = await area(M), await area(M2)
        home = await Household.get(id=resident.household_id)
        assert home.longitude is not None and home.latitude is not None
        drawn = await boundary_of(micro.id)
        assert drawn is not None
        spot = load_boundary(drawn).representative_point()
        plain = await place()
        placed = await workorders.place_order(
            actor=resident,
            category="WATER_ELECTRIC",
            description="楼道灯不亮",
            position=GeoPoint(spot.x, spot.y),
        )
        assert placed.area_id == micro.id
        # when the household moves to M's sibling, whose boundary does not hold its position
        await grids.move_households(actor=admin, household_ids=[home.id], micro_grid_id=target.id)
        # then its position is cleared (to be given again)
        moved = await Household.get(id=home.id)
        assert (moved.longitude, moved.latitude) == (None, None)
        # and the order placed at a point of M stays in M; the other follows the household
        assert (await WorkOrder.get(id=placed.id)).area_id == micro.id
        assert (await WorkOrder.get(id=plain.id)).area_id == target.id

    async def test_a_position_inside_the_new_micro_grid_is_kept(self, db: Database) -> None:
        # given the resident's household placed at a point of M's sibling
        admin = await actor_for("community_admin")
        resident = await actor_for("resident")
        target = await area(M2)
        drawn = await boundary_of(target.id)
        assert drawn is not None
        spot = load_boundary(drawn).representative_point()
        await Household.filter(id=resident.household_id).update(longitude=spot.x, latitude=spot.y)
        # when it moves there, then its position is kept
        await grids.move_households(
            actor=admin, household_ids=[resident.household_id or 0], micro_grid_id=target.id
        )
        moved = await Household.get(id=resident.household_id)
        assert (moved.longitude, moved.latitude) == (spot.x, spot.y)

    async def test_a_household_moves_to_another_community(self, db: Database) -> None:
        # given the district admin and a micro-grid of another community
        admin = await actor_for("district_admin")
        resident = await actor_for("resident")
        other = await Area.filter(
            level=AreaLevel.MICRO_GRID, path__startswith=(await area(OTHER_COMMUNITY)).path
        ).first()
        assert other is not None
        # when the resident's household moves there
        moved, _ = await grids.move_households(
            actor=admin, household_ids=[resident.household_id or 0], micro_grid_id=other.id
        )
        # then it is registered in that community
        assert moved[0].community_id == (await area(OTHER_COMMUNITY)).id

    async def test_a_household_already_there_stays_without_history(self, db: Database) -> None:
        admin = await actor_for("community_admin")
        resident = await actor_for("resident")
        before = await state()
        moved, moves = await grids.move_households(
            actor=admin,
            household_ids=[resident.household_id or 0],
            micro_grid_id=(await area(M)).id,
        )
        assert moves == [] and len(moved) == 1
        assert await state() == before

    async def test_a_central_households_home_is_refused(self, db: Database) -> None:
        # given the central household's home in M, and another home of M
        admin = await actor_for("community_admin")
        central = await actor_for("central_household")
        resident = await actor_for("resident")
        before = await state()
        # when both are moved at once
        with pytest.raises(Conflict):
            await grids.move_households(
                actor=admin,
                household_ids=[resident.household_id or 0, central.household_id or 0],
                micro_grid_id=(await area(M2)).id,
            )
        # then neither moved
        assert await state() == before

    @pytest.mark.parametrize(
        ("ids", "target", "error", "field"),
        [
            ("none", M2, InvalidInput, "householdIds"),
            ("twice", M2, InvalidInput, "householdIds"),
            ("unknown", M2, NotFound, "householdIds"),
            ("one", DEMO_GRID, InvalidInput, "microGridId"),
        ],
    )
    async def test_bad_input_changes_nothing(
        self, db: Database, ids: str, target: str, error: type[Exception], field: str
    ) -> None:
        admin = await actor_for("community_admin")
        home = (await actor_for("resident")).household_id or 0
        household_ids = {"none": [], "twice": [home, home], "unknown": [999_999], "one": [home]}
        before = await state()
        with pytest.raises(error) as caught:
            await grids.move_households(
                actor=admin,
                household_ids=household_ids[ids],
                micro_grid_id=(await area(target)).id,
            )
        assert getattr(caught.value, "field", None) == field
        assert await state() == before

    async def test_a_grid_leader_may_not_move_households(self, db: Database) -> None:
        leader = await actor_for("grid_leader")
        home = (await actor_for("resident")).household_id or 0
        with pytest.raises(Forbidden):
            await grids.move_households(
                actor=leader, household_ids=[home], micro_grid_id=(await area(M2)).id
            )


async def accepted_at_the_grid(started: bool) -> tuple[WorkOrder, RoleAssignment]:
    """The resident's order of M while M had no leader: handled at G, accepted (and started)
    by G's leader; M has a leader again since. Returns it and the leadership of M."""
    admin = await actor_for("community_admin")
    micro = await area(M)
    held = await RoleAssignment.get(area_id=micro.id, role=Role.MICRO_GRID_LEADER, until=None)
    await end_leadership(micro)
    order = await act("grid_leader", "accept", await place())
    if started:
        order = await act("grid_leader", "start", order)
    await people.assign_role(
        actor=admin, person_id=held.person_id, role=Role.MICRO_GRID_LEADER, area_id=micro.id
    )
    return order, held


def heard(subscription: events.Subscription, order: WorkOrder) -> list[dict[str, object]]:
    """What subscribers heard of the order, by area."""
    payloads = []
    while not subscription.queue.empty():
        payload = subscription.queue.get_nowait().payload
        if payload["id"] == order.id:
            payloads.append(payload)
    return sorted(payloads, key=lambda p: str(p["area_path"]))


class TestMovesKeepWorkUnderWay:
    @pytest.mark.parametrize("started", [False, True])
    async def test_a_household_move_leaves_accepted_work_with_who_accepted_it(
        self, db: Database, started: bool
    ) -> None:
        # given the resident's order handled at G, accepted (or started) by G's leader
        order, _ = await accepted_at_the_grid(started)
        grid, target = await area(DEMO_GRID), await area(M2)
        steps = await WorkOrderEvent.filter(work_order_id=order.id).count()
        # when the household moves to M2, which has a leader
        await grids.move_households(
            actor=await actor_for("community_admin"),
            household_ids=[(await actor_for("resident")).household_id or 0],
            micro_grid_id=target.id,
        )
        # then it lies in M2 but G's leader, who accepted it, still handles it; no transfer
        fresh = await WorkOrder.get(id=order.id)
        assert (fresh.area_id, fresh.handling_area_id, fresh.status) == (
            target.id,
            grid.id,
            order.status,
        )
        assert fresh.accepted_by_id == order.accepted_by_id
        assert await WorkOrderEvent.filter(work_order_id=order.id).count() == steps

    @pytest.mark.parametrize("started", [False, True])
    async def test_an_area_move_leaves_accepted_work_at_grid_level(
        self, db: Database, started: bool
    ) -> None:
        # given the resident's order handled at G, accepted (or started) by G's leader
        order, _ = await accepted_at_the_grid(started)
        micro = await area(M)
        target = await Area.get(name="颜山第二网格")
        # when M (which has a leader again) moves to the second grid
        await grids.move_area(
            actor=await actor_for("community_admin"), area_id=micro.id, parent_id=target.id
        )
        # then the new grid handles it, at the level it had reached, not M's leader
        fresh = await WorkOrder.get(id=order.id)
        assert (fresh.handling_area_id, fresh.status) == (target.id, order.status)
        assert (await last_step(order)).target_area_id == target.id

    async def test_a_household_move_is_announced_to_both_areas(self, db: Database) -> None:
        # given M without a leader, so the resident's order is handled at G
        micro, grid, target = await area(M), await area(DEMO_GRID), await area(M2)
        await end_leadership(micro)
        order = await place()
        # when the household moves to M2, which has a leader
        with events.broker.subscribe(Topic.WORK_ORDER) as subscription:
            await grids.move_households(
                actor=await actor_for("community_admin"),
                household_ids=[(await actor_for("resident")).household_id or 0],
                micro_grid_id=target.id,
            )
            payloads = heard(subscription, order)
        # then M2 (where it went) and G (where it was) both hear of it, once each
        common = {"id": order.id, "action": "TRANSFER", "status": "DISPATCHED"}
        assert payloads == sorted(
            [{**common, "area_path": target.path}, {**common, "area_path": grid.path}],
            key=lambda p: str(p["area_path"]),
        )

    async def test_an_area_move_is_announced_to_both_areas(self, db: Database) -> None:
        # given M without a leader, so the resident's order is handled at G
        micro, grid = await area(M), await area(DEMO_GRID)
        await end_leadership(micro)
        order = await place()
        target = await Area.get(name="颜山第二网格")
        # when M moves to the second grid
        with events.broker.subscribe(Topic.WORK_ORDER) as subscription:
            await grids.move_area(
                actor=await actor_for("community_admin"), area_id=micro.id, parent_id=target.id
            )
            payloads = heard(subscription, order)
        # then the second grid (where it went) and G (where it was) both hear of it
        common = {"id": order.id, "action": "TRANSFER", "status": "DISPATCHED"}
        assert payloads == sorted(
            [{**common, "area_path": target.path}, {**common, "area_path": grid.path}],
            key=lambda p: str(p["area_path"]),
        )

    async def test_a_central_household_of_the_old_micro_grid_is_taken_off(
        self, db: Database
    ) -> None:
        # given the resident's order of M, accepted by M's leader and assigned to M's
        # central household
        central = await actor_for("central_household")
        order = await act("microgrid_leader", "accept", await place())
        order = await act("microgrid_leader", "assign", order, person_id=central.person_id)
        target = await area(M2)
        # when the household moves to M2
        with events.broker.subscribe(Topic.WORK_ORDER) as subscription:
            await grids.move_households(
                actor=await actor_for("community_admin"),
                household_ids=[(await actor_for("resident")).household_id or 0],
                micro_grid_id=target.id,
            )
            payloads = heard(subscription, order)
        # then M2 handles it (the level it reached) and M's central household, who may not
        # work on M2's orders, is taken off it: back to the handler, by nobody, on the timeline
        fresh = await WorkOrder.get(id=order.id)
        assert (fresh.handling_area_id, fresh.assignee_id, fresh.status) == (
            target.id,
            None,
            WorkOrderStatus.ACCEPTED,
        )
        step = await last_step(order)
        assert (step.action, step.actor_id, step.note) == (
            WorkOrderAction.ASSIGN,
            None,
            ASSIGNEE_LEFT_NOTE,
        )
        assert {p["area_path"] for p in payloads} == {target.path, (await area(M)).path}

    async def test_an_assignee_who_may_still_work_on_it_stays(self, db: Database) -> None:
        # given the resident's order of M, accepted by M's leader and assigned to the
        # community's volunteer
        volunteer = await actor_for("volunteer")
        order = await act("microgrid_leader", "accept", await place())
        order = await act("microgrid_leader", "assign", order, person_id=volunteer.person_id)
        # when the household moves to M2 of the same community
        await grids.move_households(
            actor=await actor_for("community_admin"),
            household_ids=[(await actor_for("resident")).household_id or 0],
            micro_grid_id=(await area(M2)).id,
        )
        # then the volunteer keeps it
        assert (await WorkOrder.get(id=order.id)).assignee_id == volunteer.person_id

    async def test_a_volunteer_of_the_old_community_is_taken_off_when_the_grid_moves(
        self, db: Database
    ) -> None:
        # given the resident's order of M, accepted and assigned to 颜山社区's volunteer
        volunteer = await actor_for("volunteer")
        order = await act("microgrid_leader", "accept", await place())
        order = await act("microgrid_leader", "assign", order, person_id=volunteer.person_id)
        # when G moves to 西冶街社区
        await grids.move_area(
            actor=await actor_for("street_admin"),
            area_id=(await area(DEMO_GRID)).id,
            parent_id=(await area(OTHER_COMMUNITY)).id,
        )
        # then M still handles it, but the volunteer is taken off it, on the timeline
        fresh = await WorkOrder.get(id=order.id)
        assert (fresh.handling_area_id, fresh.assignee_id) == ((await area(M)).id, None)
        step = await last_step(order)
        assert (step.action, step.note) == (WorkOrderAction.ASSIGN, ASSIGNEE_LEFT_NOTE)


class TestAreaMoves:
    async def test_the_history_is_for_admins_and_leaders_of_the_area(self, db: Database) -> None:
        with pytest.raises(Forbidden):
            await grids.area_moves(
                actor=await actor_for("resident"),
                area_id=(await area(M)).id,
                window=Window(first=10),
            )

    async def test_closed_orders_keep_where_they_were_handled(self, db: Database) -> None:
        # given G's closed orders (the demo's history)
        street = await actor_for("street_admin")
        grid = await area(DEMO_GRID)
        closed = await WorkOrder.filter(
            handling_path__startswith=grid.path, status=WorkOrderStatus.CLOSED
        ).values_list("id", "handling_path")
        # when G moves to another community
        await grids.move_area(
            actor=street, area_id=grid.id, parent_id=(await area(OTHER_COMMUNITY)).id
        )
        # then they keep the path they were handled at (history)
        for order_id, path in closed:
            assert (await WorkOrder.get(id=order_id)).handling_path == path
