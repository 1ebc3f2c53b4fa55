"""Households (services.households): where they are registered, moves between micro-grids,
members, care links."""

from __future__ import annotations

import pytest

from seed.demo import DEMO_COMMUNITY, DEMO_GRID
from services import households, people
from services.enums import AreaLevel, Role
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.kit.pagination import Window
from services.models import Area, CareLink, Household, Person, RoleAssignment
from tests.conftest import Database, actor_for

M = "颜山花园1-2号楼微网格"  # micro-grid M of the demo story

M2 = "颜山花园3-4号楼微网格"  # its sibling in the demo grid


async def area(name: str) -> Area:
    return await Area.get(name=name)


async def home_of(username: str) -> Household:
    actor = await actor_for(username)
    return await Household.get(id=actor.household_id)


async def person_of(username: str) -> Person:
    return await Person.get(id=(await actor_for(username)).person_id)


async def central_of(micro: Area, *, skip: int = 0) -> Person:
    """A central household (the person) serving the micro-grid."""
    roles = await RoleAssignment.filter(
        area_id=micro.id, role=Role.CENTRAL_HOUSEHOLD, until=None
    ).order_by("id")
    return await Person.get(id=roles[skip].person_id)


async def state() -> tuple[object, ...]:
    """Everything a refused household change must leave as it was."""
    return (
        await Household.all().order_by("id").values_list("id", "micro_grid_id", "path"),
        await CareLink.all().order_by("id").values_list("household_id", "central_id"),
        await Person.all().order_by("id").values_list("id", "household_id"),
    )


class TestCreateHousehold:
    async def test_a_household_registered_in_a_micro_grid_is_assigned(self, db: Database) -> None:
        # given micro-grid M and its community
        admin = await actor_for("community_admin")
        micro, community = await area(M), await area(DEMO_COMMUNITY)
        # when a household is registered there
        made = await households.create_household(
            actor=admin,
            area_id=micro.id,
            address=" 博山区颜山路8号颜山花园 ",
            building="1号楼",
            unit="1单元",
            room="101",
            member_count=3,
        )
        # then it belongs to M and its community, with M's path and trimmed text
        stored = await Household.get(id=made.id)
        assert (stored.micro_grid_id, stored.community_id, stored.path) == (
            micro.id,
            community.id,
            micro.path,
        )
        assert (stored.address, stored.building, stored.member_count) == (
            "博山区颜山路8号颜山花园",
            "1号楼",
            3,
        )

    async def test_a_household_registered_in_a_community_waits_for_a_micro_grid(
        self,
        db: Database,
    ) -> None:
        # given 颜山社区
        admin = await actor_for("community_admin")
        community = await area(DEMO_COMMUNITY)
        # when a household is registered in the community itself
        made = await households.create_household(
            actor=admin, area_id=community.id, address="颜山路新住户", building="  "
        )
        # then it is in the community but in no micro-grid yet (blank text is stored as null)
        stored = await Household.get(id=made.id)
        assert (stored.micro_grid_id, stored.community_id, stored.path) == (
            None,
            community.id,
            community.path,
        )
        assert stored.building is None

    @pytest.mark.parametrize("name", ["博山区", "城西街道", DEMO_GRID])
    async def test_a_household_is_registered_only_in_a_community_or_micro_grid(
        self, db: Database, name: str
    ) -> None:
        # given the district admin and an area of another level
        admin = await actor_for("district_admin")
        before = await state()
        # when a household is registered there
        with pytest.raises(InvalidInput) as err:
            await households.create_household(
                actor=admin, area_id=(await area(name)).id, address="某路1号"
            )
        # then it is refused and nothing is written
        assert err.value.field == "areaId"
        assert await state() == before

    @pytest.mark.parametrize(
        ("member_count", "accepted"), [(-1, False), (0, True), (50, True), (51, False)]
    )
    async def test_member_count_is_0_to_50(
        self, db: Database, member_count: int, accepted: bool
    ) -> None:
        # given a community admin
        admin = await actor_for("community_admin")
        before = await Household.all().count()
        # when a household of that size is registered
        try:
            made = await households.create_household(
                actor=admin,
                area_id=(await area(M)).id,
                address="颜山路1号",
                member_count=member_count,
            )
        except InvalidInput as exc:
            # then sizes outside 0..50 are refused on the field and nothing is written
            assert not accepted
            assert exc.field == "memberCount"
            assert await Household.all().count() == before
        else:
            assert accepted
            assert (await Household.get(id=made.id)).member_count == member_count

    @pytest.mark.parametrize(
        ("field", "values"),
        [
            ("address", {"address": "   "}),
            ("address", {"address": "路" * 201}),
            ("building", {"address": "颜山路1号", "building": "楼" * 21}),
            ("room", {"address": "颜山路1号", "room": "1" * 21}),
        ],
    )
    async def test_household_text_is_checked(
        self, db: Database, field: str, values: dict[str, str]
    ) -> None:
        # given a community admin
        admin = await actor_for("community_admin")
        before = await Household.all().count()
        # when a household with a blank address or an overlong field is registered
        with pytest.raises(InvalidInput) as err:
            await households.create_household(actor=admin, area_id=(await area(M)).id, **values)
        # then the field is named and nothing is written
        assert err.value.field == field
        assert await Household.all().count() == before


class TestAssignHousehold:
    async def test_assigning_a_household_moves_it_and_ends_its_care_link(
        self, db: Database
    ) -> None:
        # given the resident's household in M, in the care of `central_household`
        admin = await actor_for("community_admin")
        home = await home_of("resident")
        assert await CareLink.exists(household_id=home.id)
        target = await area(M2)
        # when it is assigned to the sibling micro-grid M2
        moved = await households.assign_household(
            actor=admin, household_id=home.id, micro_grid_id=target.id
        )
        # then it is in M2 (id and path) and no longer in the care of M's central household
        assert (moved.micro_grid_id, moved.path) == (target.id, target.path)
        (link,) = await households.care_links_by_household(household_ids=[home.id])
        assert link is None
        # and the former central household no longer reads it
        with pytest.raises(NotFound):
            await households.get_household(
                actor=await actor_for("central_household"), household_id=home.id
            )

    async def test_an_unassigned_household_gets_its_micro_grid(self, db: Database) -> None:
        # given a household registered in 颜山社区 without a micro-grid
        admin = await actor_for("community_admin")
        made = await households.create_household(
            actor=admin, area_id=(await area(DEMO_COMMUNITY)).id, address="颜山路新住户"
        )
        micro = await area(M)
        # when it is assigned to M
        moved = await households.assign_household(
            actor=admin, household_id=made.id, micro_grid_id=micro.id
        )
        # then it is in M
        assert (moved.micro_grid_id, moved.path) == (micro.id, micro.path)

    async def test_reassigning_to_the_same_micro_grid_keeps_the_care_link(
        self, db: Database
    ) -> None:
        # given the resident's household in M, in the care of `central_household`
        admin = await actor_for("community_admin")
        home = await home_of("resident")
        (before,) = await households.care_links_by_household(household_ids=[home.id])
        assert before is not None
        # when it is "assigned" to M again (a retried request, say)
        await households.assign_household(
            actor=admin, household_id=home.id, micro_grid_id=home.micro_grid_id or 0
        )
        # then nothing changed: it is still looked after
        (after,) = await households.care_links_by_household(household_ids=[home.id])
        assert after is not None and after.central_id == before.central_id

    async def test_a_micro_grid_of_another_community_is_refused(self, db: Database) -> None:
        # given the street admin, who runs both 颜山社区 and 西冶街社区
        admin = await actor_for("street_admin")
        home = await home_of("resident")
        elsewhere = (
            await Area.filter(
                level=AreaLevel.MICRO_GRID, path__startswith=(await area("西冶街社区")).path
            )
            .order_by("id")
            .first()
        )
        assert elsewhere is not None
        before = await state()
        # when the resident's household is assigned to a micro-grid of 西冶街社区
        with pytest.raises(InvalidInput) as err:
            await households.assign_household(
                actor=admin, household_id=home.id, micro_grid_id=elsewhere.id
            )
        # then it is refused on the micro-grid and nothing changes
        assert err.value.field == "microGridId"
        assert await state() == before

    async def test_households_are_assigned_to_micro_grids_only(self, db: Database) -> None:
        # given the resident's household
        admin = await actor_for("community_admin")
        home = await home_of("resident")
        before = await state()
        # when it is assigned to a grid / then refused, nothing changes
        with pytest.raises(InvalidInput):
            await households.assign_household(
                actor=admin, household_id=home.id, micro_grid_id=(await area(DEMO_GRID)).id
            )
        assert await state() == before

    async def test_a_community_admin_cannot_move_a_household_out_of_their_community(
        self,
        db: Database,
    ) -> None:
        # given 颜山社区's admin and a micro-grid of 西冶街社区
        admin = await actor_for("community_admin")
        home = await home_of("resident")
        elsewhere = (
            await Area.filter(
                level=AreaLevel.MICRO_GRID, path__startswith=(await area("西冶街社区")).path
            )
            .order_by("id")
            .first()
        )
        assert elsewhere is not None
        before = await state()
        # when they move the household there / then Forbidden, nothing changes
        with pytest.raises(Forbidden):
            await households.assign_household(
                actor=admin, household_id=home.id, micro_grid_id=elsewhere.id
            )
        assert await state() == before

    @pytest.mark.parametrize(
        ("username", "error"), [("microgrid_leader", Forbidden), ("rider", NotFound)]
    )
    async def test_only_admins_move_households(
        self, db: Database, username: str, error: type[Exception]
    ) -> None:
        # given the leader of M (reads its households) and a rider (reads nothing)
        actor = await actor_for(username)
        home = await home_of("resident")
        before = await state()
        # when either moves the resident's household / then refused, nothing changes
        with pytest.raises(error):
            await households.assign_household(
                actor=actor, household_id=home.id, micro_grid_id=(await area(M2)).id
            )
        assert await state() == before

    async def test_a_central_households_home_cannot_leave_the_micro_grid_it_serves(
        self,
        db: Database,
    ) -> None:
        # given the home of `central_household`, who serves M and lives there
        admin = await actor_for("community_admin")
        home = await home_of("central_household")
        before = await state()
        # when it is moved to M2
        with pytest.raises(Conflict):
            await households.assign_household(
                actor=admin, household_id=home.id, micro_grid_id=(await area(M2)).id
            )
        # then it is refused (a central household lives in the micro-grid it serves): nothing
        # changes
        assert await state() == before
        # and once the role has ended, the family may move
        role = await RoleAssignment.get(
            person_id=(await person_of("central_household")).id, role=Role.CENTRAL_HOUSEHOLD
        )
        await people.end_role(actor=admin, assignment_id=role.id, reason="搬家")
        moved = await households.assign_household(
            actor=admin, household_id=home.id, micro_grid_id=(await area(M2)).id
        )
        assert moved.micro_grid_id == (await area(M2)).id


class TestAddMember:
    async def test_add_member_puts_a_homeless_person_in_and_is_idempotent(
        self, db: Database
    ) -> None:
        # given a person with no household (the rider) and the resident's household
        admin = await actor_for("community_admin")
        rider, home = await person_of("rider"), await home_of("resident")
        # when the rider is added, twice
        first = await households.add_member(actor=admin, household_id=home.id, person_id=rider.id)
        again = await households.add_member(actor=admin, household_id=home.id, person_id=rider.id)
        # then the rider lives there, once
        assert first.household_id == again.household_id == home.id
        (members,) = await households.members_by_household(household_ids=[home.id])
        assert [p.id for p in members].count(rider.id) == 1

    async def test_add_member_refuses_someone_living_elsewhere(self, db: Database) -> None:
        # given the grid leader, who lives in M2, and the resident's household in M
        admin = await actor_for("community_admin")
        lodger, home = await person_of("grid_leader"), await home_of("resident")
        before = await state()
        # when the grid leader is added to the resident's household
        with pytest.raises(Conflict) as err:
            await households.add_member(actor=admin, household_id=home.id, person_id=lodger.id)
        # then it conflicts and nobody moves
        assert err.value.field == "personId"
        assert await state() == before

    async def test_add_member_errors(self, db: Database) -> None:
        # given the resident's household, a household of 山头街道, and the rider (no household)
        home = await home_of("resident")
        far = await Household.filter(path__startswith=(await area("山头街道")).path).first()
        assert far is not None
        rider = await person_of("rider")
        missing = (await Person.all().order_by("-id").first() or rider).id + 1000
        before = await state()
        # when a missing person is added / then NotFound on the person
        with pytest.raises(NotFound) as err:
            await households.add_member(
                actor=await actor_for("community_admin"), household_id=home.id, person_id=missing
            )
        assert err.value.field == "personId"
        # when 城西街道's admin adds the rider to a household of the other street / then NotFound
        with pytest.raises(NotFound) as err:
            await households.add_member(
                actor=await actor_for("street_admin"), household_id=far.id, person_id=rider.id
            )
        assert err.value.field == "householdId"
        # when M's leader (reads the household, administers nothing) adds the rider / then Forbidden
        with pytest.raises(Forbidden):
            await households.add_member(
                actor=await actor_for("microgrid_leader"), household_id=home.id, person_id=rider.id
            )
        # and nothing changed
        assert await state() == before


class TestLinkCentralHousehold:
    async def test_linking_replaces_the_care_link(self, db: Database) -> None:
        # given the resident's household, cared for by `central_household`, and M's other central
        admin = await actor_for("community_admin")
        home = await home_of("resident")
        micro = await area(M)
        other = await central_of(micro, skip=1)
        assert other.id != (await person_of("central_household")).id
        # when it is linked to the other central household of M
        link = await households.link_central_household(
            actor=admin, household_id=home.id, central_person_id=other.id
        )
        # then it has exactly one care link, the new one
        assert link.central_id == other.id
        assert await CareLink.filter(household_id=home.id).values_list("central_id", flat=True) == [
            other.id
        ]

    @pytest.mark.parametrize(
        "who",
        [
            "central household of the sibling micro-grid",
            "micro-grid leader (not a central household)",
            "central household whose role has ended",
        ],
    )
    async def test_linking_requires_an_open_central_household_of_the_same_micro_grid(
        self, db: Database, who: str
    ) -> None:
        # given the resident's household in M and someone who is not one of M's central households
        admin = await actor_for("community_admin")
        home = await home_of("resident")
        if who.startswith("central household of the sibling"):
            candidate = await central_of(await area(M2))
        elif who.startswith("micro-grid leader"):
            candidate = await person_of("microgrid_leader")
        else:
            candidate = await central_of(await area(M), skip=1)
            role = await RoleAssignment.get(
                person_id=candidate.id, role=Role.CENTRAL_HOUSEHOLD, until=None
            )
            await people.end_role(actor=admin, assignment_id=role.id, reason="动态退出")
        before = await state()
        # when the household is linked to them
        with pytest.raises(InvalidInput) as err:
            await households.link_central_household(
                actor=admin, household_id=home.id, central_person_id=candidate.id
            )
        # then it is refused and the old link stays
        assert err.value.field == "centralPersonId"
        assert await state() == before

    async def test_an_unassigned_household_cannot_be_linked(self, db: Database) -> None:
        # given a household in 颜山社区 without a micro-grid
        admin = await actor_for("community_admin")
        made = await households.create_household(
            actor=admin, area_id=(await area(DEMO_COMMUNITY)).id, address="颜山路新住户"
        )
        # when it is linked to a central household of M / then refused, no link
        with pytest.raises(InvalidInput) as err:
            await households.link_central_household(
                actor=admin,
                household_id=made.id,
                central_person_id=(await person_of("central_household")).id,
            )
        assert err.value.field == "householdId"
        assert not await CareLink.exists(household_id=made.id)


class TestReadingHouseholds:
    async def test_members_and_their_central_household_read_a_household(self, db: Database) -> None:
        # given the resident's household
        home = await home_of("resident")
        # when the resident, their central household and a neighbour in M read it
        own = await households.get_household(
            actor=await actor_for("resident"), household_id=home.id
        )
        cared = await households.get_household(
            actor=await actor_for("central_household"), household_id=home.id
        )
        # then the first two may, the volunteer (another household, no role in M) may not
        assert own.id == cared.id == home.id
        with pytest.raises(NotFound):
            await households.get_household(actor=await actor_for("volunteer"), household_id=home.id)
        # and the batch read agrees, in order, with None for the hidden and the missing
        missing = (await Household.all().order_by("-id").first() or home).id + 1000
        batch = await households.households_by_ids(
            actor=await actor_for("resident"),
            household_ids=[missing, home.id, (await home_of("volunteer")).id],
        )
        assert [h.id if h else None for h in batch] == [None, home.id, None]

    async def test_list_households_pages_by_id(self, db: Database) -> None:
        # given micro-grid M and its leader
        leader = await actor_for("microgrid_leader")
        micro = await area(M)
        expected = (
            await Household.filter(micro_grid_id=micro.id)
            .order_by("id")
            .values_list("id", flat=True)
        )
        # when its households are read 10 at a time
        seen: list[int] = []
        after: int | None = None
        while True:
            page = await households.list_households(
                actor=leader, area_id=micro.id, window=Window(first=10, after=after)
            )
            seen += page.keys
            if not page.has_next:
                break
            after = page.keys[-1]
        # then every household comes once, in id order, and the count agrees
        assert seen == list(expected)
        assert await page.count() == len(expected)
