"""The leaderboard names people, so it shows each line to whoever may see that person anywhere
else: everyone to the admins and leaders of the area, some lines (at their true ranks) to the
people of its community, nothing to outsiders."""

from __future__ import annotations

import pytest

from services import points
from services.enums import AreaLevel, Role
from services.errors import Forbidden
from services.kit.auth import Actor, RoleGrant
from services.models import Area, Household, Person, RoleAssignment
from services.people import people_by_ids
from tests.conftest import Database, actor_for
from tests.services.points_support import HOUR, OTHER_COMMUNITY, community, key, rule


async def actor_of(person: Person) -> Actor:
    """A person of the neighbouring community (they have no sign-in) as an actor."""
    home = await Household.get_or_none(id=person.household_id) if person.household_id else None
    grants = []
    for held in await RoleAssignment.filter(person_id=person.id, until=None).exclude(area_id=None):
        area = await Area.get(id=held.area_id)
        grants.append(RoleGrant(held.role, area.id, area.path, area.level))
    return Actor(
        account_id=0,
        person_id=person.id,
        username=f"person-{person.id}",
        household_id=home.id if home else None,
        household_path=home.path if home else None,
        grants=tuple(grants),
    )


async def _plain_residents(grid: Area) -> list[Person]:
    """People living in a grid who hold no role but RESIDENT (hidden outside their circle)."""
    holders = RoleAssignment.filter(until=None).exclude(role=Role.RESIDENT)
    return (
        await Person.filter(household__path__startswith=grid.path)
        .exclude(id__in=await holders.values_list("person_id", flat=True))
        .order_by("id")
    )


class Board:
    """The neighbouring community (no points in the demo), four people given credit:
    `top` and `low` live in grid A without a role, `central` is a central household (a public
    duty role), `me` lives in grid B without a role."""

    async def build(self) -> Board:
        self.area = await community(OTHER_COMMUNITY)
        grid_a, grid_b = (
            await Area.filter(parent_id=self.area.id, level=AreaLevel.GRID).order_by("id").limit(2)
        )
        in_a, in_b = await _plain_residents(grid_a), await _plain_residents(grid_b)
        self.top, self.low, self.me = in_a[0], in_a[1], in_b[0]
        central = await RoleAssignment.filter(
            role=Role.CENTRAL_HOUSEHOLD, until=None, area_path__startswith=grid_b.path
        ).first()
        assert central is not None
        self.central = await Person.get(id=central.person_id)
        leader = await RoleAssignment.get(role=Role.GRID_LEADER, until=None, area_id=grid_a.id)
        self.leader = await actor_of(await Person.get(id=leader.person_id))
        await rule()
        district = await actor_for("district_admin")
        for person, hours in ((self.top, 5), (self.central, 3), (self.me, 2), (self.low, 1)):
            await points.award_points(
                actor=district,
                person_id=person.id,
                rule_code=HOUR,
                quantity=hours,
                reason="志愿服务",
                source=None,
                idempotency_key=key(),
            )
        return self

    async def seen_by(self, actor: Actor) -> list[tuple[int, int, int]]:
        standings = await points.leaderboard(
            actor=actor, under_id=self.area.id, period=None, dimension=None, role=None, first=20
        )
        return [(s.rank, s.person_id, s.points) for s in standings]


class TestWhoSeesWhichLines:
    async def test_an_admin_of_the_area_sees_every_line(self, db: Database) -> None:
        board = await Board().build()
        assert await board.seen_by(await actor_for("street_admin")) == [
            (1, board.top.id, 50),
            (2, board.central.id, 30),
            (3, board.me.id, 20),
            (4, board.low.id, 10),
        ]

    async def test_a_leader_sees_their_grid_and_the_public_role_holders(self, db: Database) -> None:
        board = await Board().build()
        # grid A's leader: A's people in full, the central household by their duty card;
        # `me` lives in grid B without a role, so the line is left out (its rank stays)
        assert await board.seen_by(board.leader) == [
            (1, board.top.id, 50),
            (2, board.central.id, 30),
            (4, board.low.id, 10),
        ]

    async def test_a_resident_sees_themselves_and_the_public_role_holders(
        self, db: Database
    ) -> None:
        board = await Board().build()
        assert await board.seen_by(await actor_of(board.me)) == [
            (2, board.central.id, 30),
            (3, board.me.id, 20),
        ]

    async def test_an_outsider_is_refused(self, db: Database) -> None:
        board = await Board().build()
        # a resident of the demo community, signed in, lives elsewhere
        with pytest.raises(Forbidden):
            await board.seen_by(await actor_for("resident"))

    async def test_every_line_is_a_person_the_viewer_may_see_and_no_other(
        self, db: Database
    ) -> None:
        board = await Board().build()
        everyone = [p for _, p, _ in await board.seen_by(await actor_for("street_admin"))]
        for viewer in (board.leader, await actor_of(board.me), await actor_of(board.top)):
            shown = {p for _, p, _ in await board.seen_by(viewer)}
            views = await people_by_ids(actor=viewer, person_ids=everyone)
            assert shown == {p for p, v in zip(everyone, views, strict=True) if v is not None}

    async def test_a_page_is_filled_with_visible_lines(self, db: Database) -> None:
        board = await Board().build()
        resident = await actor_of(board.me)
        standings = await points.leaderboard(
            actor=resident, under_id=board.area.id, period=None, dimension=None, role=None, first=1
        )
        assert [(s.rank, s.person_id) for s in standings] == [(2, board.central.id)]
