"""Coverage (services.grids.coverage): the full-coverage (全覆盖) figures of an area."""

from __future__ import annotations

import pytest

from seed.coverage import GAP_COMMUNITY, GAP_MICRO_GRID
from seed.demo import DEMO_COMMUNITY, DEMO_GRID
from services import grids, households, people
from services.enums import AreaLevel, Role
from services.errors import Forbidden, NotFound
from services.grids import Coverage
from services.kit.auth import Actor
from services.kit.pagination import Window
from services.models import Area, CareLink, Household, RoleAssignment
from tests.conftest import Database, actor_for
from tests.services.grids.support import area


async def coverage_of(actor: Actor, name: str) -> Coverage:
    (figure,) = await grids.coverage(actor=actor, area_ids=[(await area(name)).id])
    assert isinstance(figure, Coverage), figure
    return figure


async def expected_coverage(a: Area) -> Coverage:
    """The figures counted row by row through the models (independent of the SQL in services)."""
    homes = [h for h in await Household.all() if h.path.startswith(a.path)]
    cared = set(await CareLink.all().values_list("household_id", flat=True))
    micro = [m for m in await Area.filter(level=AreaLevel.MICRO_GRID) if m.path.startswith(a.path)]
    led = set(
        await RoleAssignment.filter(role=Role.MICRO_GRID_LEADER, until=None).values_list(
            "area_id", flat=True
        )
    )
    assigned = sum(h.micro_grid_id is not None for h in homes)
    return Coverage(
        households=len(homes),
        assigned_households=assigned,
        unassigned_households=len(homes) - assigned,
        micro_grids=len(micro),
        micro_grids_without_leader=sum(m.id not in led for m in micro),
        households_with_central_household=sum(h.id in cared for h in homes),
    )


class TestCoverage:
    async def test_the_demo_community_is_fully_covered(self, db: Database) -> None:
        # given the demo district
        admin = await actor_for("district_admin")
        everything = await Area.all().order_by("id")
        # when coverage is read for every area at once
        figures = await grids.coverage(actor=admin, area_ids=[a.id for a in everything])
        # then each matches a row-by-row count
        for a, figure in zip(everything, figures, strict=True):
            assert figure == await expected_coverage(a), a.name
        # and 颜山社区 is fully covered: nobody unassigned, every micro-grid led, everyone cared for
        figure = await coverage_of(admin, DEMO_COMMUNITY)
        assert figure.households > 0 and figure.micro_grids == 10
        assert figure.unassigned_households == 0
        assert figure.micro_grids_without_leader == 0
        assert figure.central_household_coverage == 1.0

    async def test_an_unassigned_household_shows_in_the_community_not_in_its_grids(
        self,
        db: Database,
    ) -> None:
        # given 颜山社区's figures
        admin = await actor_for("community_admin")
        community, grid = (
            await coverage_of(admin, DEMO_COMMUNITY),
            await coverage_of(admin, DEMO_GRID),
        )
        # when a household is registered in the community without a micro-grid
        await households.create_household(
            actor=admin, area_id=(await area(DEMO_COMMUNITY)).id, address="颜山路1号新住户"
        )
        # then the community has one more household, unassigned and not cared for
        after = await coverage_of(admin, DEMO_COMMUNITY)
        assert after.households == community.households + 1
        assert after.unassigned_households == 1
        assert after.assigned_households == community.assigned_households
        assert after.central_household_coverage < 1.0
        # and no grid counts it
        assert await coverage_of(admin, DEMO_GRID) == grid

    async def test_ending_a_micro_grid_leaders_role_leaves_the_micro_grid_leaderless(
        self,
        db: Database,
    ) -> None:
        # given micro-grid M of the demo grid, led by `microgrid_leader`
        admin = await actor_for("community_admin")
        leader = await actor_for("microgrid_leader")
        (grant,) = [g for g in leader.grants if g.role is Role.MICRO_GRID_LEADER]
        assignment = await RoleAssignment.get(
            person_id=leader.person_id, role=Role.MICRO_GRID_LEADER
        )
        m = await Area.get(id=grant.area_id)
        line = await Area.filter(id__in=[*grids.ancestor_ids(m), m.id])
        district_admin = await actor_for("district_admin")
        before = await grids.coverage(actor=district_admin, area_ids=[a.id for a in line])
        # when the role ends
        await people.end_role(actor=admin, assignment_id=assignment.id, reason="搬离本小区")
        # then M and every area above it count one more micro-grid without a leader (the
        # street and the district also count the demo's gap, seed.coverage)
        after = await grids.coverage(actor=district_admin, area_ids=[a.id for a in line])
        for a, was, figure in zip(line, before, after, strict=True):
            assert isinstance(was, Coverage) and isinstance(figure, Coverage)
            assert figure.micro_grids_without_leader == was.micro_grids_without_leader + 1, a.name
            if a.id == m.id:
                assert figure.micro_grids_without_leader == 1
        # and the sibling micro-grid is still led
        sibling = await area("颜山花园3-4号楼微网格")
        (figure,) = await grids.coverage(actor=admin, area_ids=[sibling.id])
        assert isinstance(figure, Coverage) and figure.micro_grids_without_leader == 0

    async def test_a_household_without_a_care_link_lowers_central_household_coverage(
        self,
        db: Database,
    ) -> None:
        # given micro-grid M, every household in the care of a central household
        admin = await actor_for("community_admin")
        m = await area("颜山花园1-2号楼微网格")
        sibling = await area("颜山花园3-4号楼微网格")
        before_m, before_community = (
            await coverage_of(admin, m.name),
            await coverage_of(admin, DEMO_COMMUNITY),
        )
        assert before_m.central_household_coverage == 1.0
        # when one household moves from the sibling micro-grid into M (its care link ends with it)
        centrals = await RoleAssignment.filter(role=Role.CENTRAL_HOUSEHOLD, until=None).values_list(
            "person__household_id", flat=True
        )
        mover = (
            await Household.filter(micro_grid_id=sibling.id)
            .exclude(id__in=list(centrals))
            .order_by("id")
            .first()
        )
        assert mover is not None
        await households.assign_household(actor=admin, household_id=mover.id, micro_grid_id=m.id)
        # then M has one more household but no more cared ones
        after_m = await coverage_of(admin, m.name)
        assert after_m.households == before_m.households + 1
        assert (
            after_m.households_with_central_household == before_m.households_with_central_household
        )
        assert after_m.central_household_coverage == pytest.approx(
            before_m.households / (before_m.households + 1)
        )
        # and the community still has every household assigned, one of them uncared for
        after_community = await coverage_of(admin, DEMO_COMMUNITY)
        assert after_community.unassigned_households == 0
        assert (
            after_community.households_with_central_household
            == before_community.households_with_central_household - 1
        )

    async def test_coverage_answers_each_area_on_its_own(self, db: Database) -> None:
        # given the grid leader, one area they lead, one they do not, and an id no area has
        leader = await actor_for("grid_leader")
        mine, other = await area(DEMO_GRID), await area("颜山第二网格")
        missing = (await Area.all().order_by("-id").first() or mine).id + 1000
        # when coverage is read for all three at once
        figures = await grids.coverage(actor=leader, area_ids=[missing, other.id, mine.id])
        # then each gets its own answer, in order
        assert [type(f) for f in figures] == [NotFound, Forbidden, Coverage]
        # and household counts (public aggregates) need no actor
        assert await grids.household_counts(area_ids=[mine.id, other.id]) == [
            (await expected_coverage(mine)).households,
            (await expected_coverage(other)).households,
        ]

    async def test_coverage_of_an_empty_area_is_zero(self, db: Database) -> None:
        # given a new grid with no micro-grids or households
        admin = await actor_for("community_admin")
        grid = await grids.create_area(
            actor=admin,
            parent_id=(await area(DEMO_COMMUNITY)).id,
            name="空网格",
            level=AreaLevel.GRID,
        )
        # when its coverage is read / then everything is zero, the share too
        figure = await coverage_of(admin, grid.name)
        assert figure == Coverage(0, 0, 0, 0, 0, 0)
        assert figure.central_household_coverage == 0.0


class TestCoverageGaps:
    async def test_the_lists_agree_with_the_figures(self, db: Database) -> None:
        # given the demo district, with the gaps seed.coverage leaves in 西冶街社区
        admin = await actor_for("district_admin")
        for a in await Area.filter(level__in=["DISTRICT", "STREET", "COMMUNITY"]):
            (figure,) = await grids.coverage(actor=admin, area_ids=[a.id])
            assert isinstance(figure, Coverage)
            # when the lists are read, then each holds as many as its figure counts
            unassigned = await grids.unassigned_households(
                actor=admin, area_id=a.id, window=Window(first=100)
            )
            leaderless = await grids.micro_grids_without_leader(
                actor=admin, area_id=a.id, window=Window(first=100)
            )
            uncared = await grids.households_without_central_household(
                actor=admin, area_id=a.id, window=Window(first=100)
            )
            assert len(unassigned.items) == await unassigned.count() == figure.unassigned_households
            assert (
                len(leaderless.items)
                == await leaderless.count()
                == figure.micro_grids_without_leader
            )
            assert (
                len(uncared.items)
                == await uncared.count()
                == figure.households - figure.households_with_central_household
            )
        # and the district lists the seeded gaps
        district = await Area.get(level="DISTRICT")
        leaderless = await grids.micro_grids_without_leader(
            actor=admin, area_id=district.id, window=Window(first=10)
        )
        assert [m.name for m in leaderless.items] == [GAP_MICRO_GRID]
        uncared = await grids.households_without_central_household(
            actor=admin, area_id=district.id, window=Window(first=2)
        )
        assert len(uncared.items) == 2 and uncared.has_next
        rest = await grids.households_without_central_household(
            actor=admin, area_id=district.id, window=Window(first=10, after=uncared.keys[-1])
        )
        assert len(rest.items) == 1 and not rest.has_next

    async def test_households_handed_to_the_leader_are_gaps(self, db: Database) -> None:
        # given M's central household, whose role ends (its households go to the leader)
        admin = await actor_for("community_admin")
        m = await area("颜山花园1-2号楼微网格")
        central = await actor_for("central_household")
        role = await RoleAssignment.get(person_id=central.person_id, role=Role.CENTRAL_HOUSEHOLD)
        cared = sorted(
            await CareLink.filter(central_id=central.person_id).values_list(
                "household_id", flat=True
            )
        )
        await people.end_role(actor=admin, assignment_id=role.id, reason="搬家")
        # when the gaps of M are read, then those households are listed
        uncared = await grids.households_without_central_household(
            actor=admin, area_id=m.id, window=Window(first=100)
        )
        assert [h.id for h in uncared.items] == cared

    async def test_only_admins_of_the_area_read_them(self, db: Database) -> None:
        community = await area(DEMO_COMMUNITY)
        with pytest.raises(Forbidden):  # a leader reads the figures, not the lists
            await grids.unassigned_households(
                actor=await actor_for("grid_leader"), area_id=community.id, window=Window(first=5)
            )
        other = await area(GAP_COMMUNITY)
        with pytest.raises(Forbidden):  # another community's admin
            await grids.micro_grids_without_leader(
                actor=await actor_for("community_admin"), area_id=other.id, window=Window(first=5)
            )
        with pytest.raises(NotFound):
            await grids.households_without_central_household(
                actor=await actor_for("district_admin"), area_id=999_999, window=Window(first=5)
            )
