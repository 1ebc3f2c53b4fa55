"""Roles (services.people.roles): appointing and ending roles (with history), duty cards, role
holders."""

from __future__ import annotations

import pytest

from seed.demo import DEMO_COMMUNITY, DEMO_GRID
from services import people
from services.enums import Role
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.kit.pagination import Window
from services.models import Area, Person, RoleAssignment
from tests.conftest import Database, actor_for
from tests.services.people.support import M, area, person_of, roles_state


async def newcomer(name: str = "新人", phone: str | None = "13700000000") -> Person:
    """A person without household or role, registered by the district admin."""
    return await people.create_person(
        actor=await actor_for("district_admin"), name=name, phone=phone
    )


async def open_role(person: Person, role: Role) -> RoleAssignment:
    return await RoleAssignment.get(person_id=person.id, role=role, until=None)


class TestAssignRole:
    """Who may be appointed to what, where, by whom."""

    @pytest.mark.parametrize(
        ("role", "area_name"),
        [
            (Role.VOLUNTEER, DEMO_GRID),  # held at a community
            (Role.PARTNER_MEMBER, M),
            (Role.GRID_LEADER, DEMO_COMMUNITY),
            (Role.MICRO_GRID_LEADER, DEMO_GRID),
            (Role.PART_TIME_GRID_MEMBER, M),
            (Role.CENTRAL_HOUSEHOLD, DEMO_GRID),
            (Role.COMMUNITY_ADMIN, "城西街道"),
            (Role.STREET_ADMIN, "博山区"),
            (Role.DISTRICT_ADMIN, "城西街道"),
        ],
    )
    async def test_a_role_is_held_at_its_level_only(
        self, db: Database, role: Role, area_name: str
    ) -> None:
        # given the district admin and a newcomer
        admin = await actor_for("district_admin")
        person = await newcomer()
        before = await roles_state()
        # when the newcomer is appointed at an area of the wrong level
        with pytest.raises(InvalidInput) as err:
            await people.assign_role(
                actor=admin, person_id=person.id, role=role, area_id=(await area(area_name)).id
            )
        # then it is refused on the area and nothing is written
        assert err.value.field == "areaId"
        assert await roles_state() == before

    async def test_resident_is_not_assignable(self, db: Database) -> None:
        # given the district admin and a newcomer
        before = await roles_state()
        # when the newcomer is "appointed" RESIDENT / then refused on the role
        with pytest.raises(InvalidInput) as err:
            await people.assign_role(
                actor=await actor_for("district_admin"),
                person_id=(await newcomer()).id,
                role=Role.RESIDENT,
                area_id=(await area(DEMO_COMMUNITY)).id,
            )
        assert err.value.field == "role"
        assert len(await roles_state()) == len(before)

    @pytest.mark.parametrize(
        ("username", "role", "area_name", "allowed"),
        [
            # appointer         role                  at             allowed
            ("community_admin", Role.COMMUNITY_ADMIN, DEMO_COMMUNITY, False),  # not from own level
            ("community_admin", Role.COMMUNITY_ADMIN, "西冶街社区", False),
            ("street_admin", Role.COMMUNITY_ADMIN, DEMO_COMMUNITY, True),
            ("street_admin", Role.COMMUNITY_ADMIN, "古窑社区", False),  # the other street
            ("street_admin", Role.STREET_ADMIN, "城西街道", False),
            ("district_admin", Role.STREET_ADMIN, "城西街道", True),
            ("district_admin", Role.DISTRICT_ADMIN, "博山区", True),
            ("community_admin", Role.VOLUNTEER, DEMO_COMMUNITY, True),
            ("grid_leader", Role.PART_TIME_GRID_MEMBER, DEMO_GRID, False),  # leaders appoint nobody
        ],
    )
    async def test_admins_are_appointed_from_the_level_above(
        self, db: Database, username: str, role: Role, area_name: str, allowed: bool
    ) -> None:
        # given an appointer and a newcomer
        actor = await actor_for(username)
        person = await newcomer()
        target = await area(area_name)
        before = await roles_state()
        # when the newcomer is appointed
        try:
            made = await people.assign_role(
                actor=actor, person_id=person.id, role=role, area_id=target.id
            )
        except Forbidden:
            # then a refusal writes nothing
            assert not allowed
            assert await roles_state() == before
        else:
            # then an appointment is open, at the area, recorded with who made it
            assert allowed
            assert (made.role, made.area_id, made.area_path, made.until) == (
                role,
                target.id,
                target.path,
                None,
            )
            assert made.assigned_by_id == actor.account_id

    @pytest.mark.parametrize(
        ("role", "area_name"), [(Role.GRID_LEADER, DEMO_GRID), (Role.MICRO_GRID_LEADER, M)]
    )
    async def test_a_grid_or_micro_grid_has_one_leader(
        self, db: Database, role: Role, area_name: str
    ) -> None:
        # given a led grid / micro-grid and a newcomer
        admin = await actor_for("community_admin")
        target = await area(area_name)
        person = await newcomer()
        before = await roles_state()
        # when the newcomer is appointed leader there
        with pytest.raises(Conflict) as err:
            await people.assign_role(actor=admin, person_id=person.id, role=role, area_id=target.id)
        # then it conflicts on the area and nothing is written
        assert err.value.field == "areaId"
        assert await roles_state() == before
        # when the sitting leader's role ends, the newcomer may take over
        (sitting,) = await RoleAssignment.filter(area_id=target.id, role=role, until=None)
        await people.end_role(actor=admin, assignment_id=sitting.id, reason="换届")
        made = await people.assign_role(
            actor=admin, person_id=person.id, role=role, area_id=target.id
        )
        assert made.until is None
        assert await RoleAssignment.filter(area_id=target.id, role=role, until=None).count() == 1

    async def test_the_same_role_twice_in_one_place_conflicts(self, db: Database) -> None:
        # given `volunteer`, a volunteer of 颜山社区
        admin = await actor_for("street_admin")
        volunteer = await person_of("volunteer")
        before = await roles_state()
        # when they are made a volunteer of 颜山社区 again
        with pytest.raises(Conflict) as err:
            await people.assign_role(
                actor=admin,
                person_id=volunteer.id,
                role=Role.VOLUNTEER,
                area_id=(await area(DEMO_COMMUNITY)).id,
            )
        # then it conflicts and nothing is written
        assert err.value.field == "personId"
        assert await roles_state() == before
        # but they may volunteer for a second community as well
        made = await people.assign_role(
            actor=admin,
            person_id=volunteer.id,
            role=Role.VOLUNTEER,
            area_id=(await area("西冶街社区")).id,
        )
        assert made.until is None

    async def test_a_central_household_lives_in_the_micro_grid_it_serves(
        self, db: Database
    ) -> None:
        # given M, the volunteer (lives in M2), a newcomer with no home, and a neighbour living in M
        admin = await actor_for("community_admin")
        micro = await area(M)
        resident = await person_of("resident")
        before = await roles_state()
        # when the volunteer or the newcomer is made a central household of M / then refused
        for outsider in (await person_of("volunteer"), await newcomer()):
            with pytest.raises(InvalidInput) as err:
                await people.assign_role(
                    actor=admin,
                    person_id=outsider.id,
                    role=Role.CENTRAL_HOUSEHOLD,
                    area_id=micro.id,
                )
            assert err.value.field == "personId"
        assert await roles_state() == before
        # when the resident (lives in M) is / then they are
        made = await people.assign_role(
            actor=admin, person_id=resident.id, role=Role.CENTRAL_HOUSEHOLD, area_id=micro.id
        )
        assert (made.role, made.area_id) == (Role.CENTRAL_HOUSEHOLD, micro.id)

    async def test_appointing_a_missing_person_is_not_found(self, db: Database) -> None:
        # given an id no person has
        missing = (await Person.all().order_by("-id").first() or await person_of("resident")).id + 1
        # when they are appointed / then NotFound on the person
        with pytest.raises(NotFound) as err:
            await people.assign_role(
                actor=await actor_for("community_admin"),
                person_id=missing,
                role=Role.VOLUNTEER,
                area_id=(await area(DEMO_COMMUNITY)).id,
            )
        assert err.value.field == "personId"

    async def test_a_new_sign_up_can_be_placed_and_appointed(self, db: Database) -> None:
        # given someone who just signed up (no household, no role at an area)
        person = await newcomer()
        admin = await actor_for("community_admin")
        yanshan = await area(DEMO_COMMUNITY)
        # when the community admin appoints them a volunteer
        assignment = await people.assign_role(
            actor=admin, person_id=person.id, role=Role.VOLUNTEER, area_id=yanshan.id
        )
        # then they hold the role and are now in the admin's view
        assert assignment.person_id == person.id
        assert (await people.get_person(actor=admin, person_id=person.id)).full


class TestEndRole:
    """Ending a role keeps it as history; who may end which."""

    async def test_ending_a_role_keeps_it_as_history(self, db: Database) -> None:
        # given the rider's open part-time grid member role
        admin = await actor_for("community_admin")
        rider = await person_of("rider")
        role = await open_role(rider, Role.PART_TIME_GRID_MEMBER)
        # when it ends with a reason
        ended = await people.end_role(
            actor=admin, assignment_id=role.id, reason="  评估不合格，动态退出 "
        )
        # then the row stays, closed: when, why (trimmed) and by whom
        stored = await RoleAssignment.get(id=role.id)
        assert stored.until is not None and stored.until >= stored.since
        assert (stored.end_reason, stored.ended_by_id) == ("评估不合格，动态退出", admin.account_id)
        assert ended.assignment.id == role.id
        # and it is gone from the open roles but kept in the history
        (open_roles,) = await people.roles_by_person(person_ids=[rider.id])
        (history,) = await people.roles_by_person(person_ids=[rider.id], include_ended=True)
        assert role.id not in [r.id for r in open_roles]
        assert role.id in [r.id for r in history]
        assert [r.role for r in open_roles] == [Role.RESIDENT]
        # and the rider, holding no duty role now, is no longer public
        with pytest.raises(NotFound):
            await people.get_person(actor=None, person_id=rider.id)

    async def test_ending_a_role_twice_conflicts(self, db: Database) -> None:
        # given the rider's role, ended once
        admin = await actor_for("community_admin")
        role = await open_role(await person_of("rider"), Role.PART_TIME_GRID_MEMBER)
        first = await people.end_role(actor=admin, assignment_id=role.id, reason="第一次")
        # when it is ended again
        with pytest.raises(Conflict):
            await people.end_role(actor=admin, assignment_id=role.id, reason="第二次")
        # then the first end stands
        stored = await RoleAssignment.get(id=role.id)
        assert (stored.until, stored.end_reason) == (first.assignment.until, "第一次")

    @pytest.mark.parametrize("reason", ["", "   ", "因" * 501])
    async def test_an_end_needs_a_reason_of_1_to_500_characters(
        self, db: Database, reason: str
    ) -> None:
        # given the rider's role
        role = await open_role(await person_of("rider"), Role.PART_TIME_GRID_MEMBER)
        # when it is ended without a usable reason / then refused, still open
        with pytest.raises(InvalidInput) as err:
            await people.end_role(
                actor=await actor_for("community_admin"), assignment_id=role.id, reason=reason
            )
        assert err.value.field == "reason"
        assert (await RoleAssignment.get(id=role.id)).until is None

    @pytest.mark.parametrize(
        ("username", "error"),
        [
            ("community_admin", Forbidden),  # admins are removed from the level above
            ("grid_leader", NotFound),  # cannot see it
            ("street_admin", None),
        ],
    )
    async def test_an_admin_is_removed_from_above(
        self, db: Database, username: str, error: type[Exception] | None
    ) -> None:
        # given the community admin's own role
        role = await open_role(await person_of("community_admin"), Role.COMMUNITY_ADMIN)
        # when someone ends it
        actor = await actor_for(username)
        if error is None:
            await people.end_role(actor=actor, assignment_id=role.id, reason="调任")
            # then only the street admin could
            assert (await RoleAssignment.get(id=role.id)).until is not None
        else:
            with pytest.raises(error):
                await people.end_role(actor=actor, assignment_id=role.id, reason="调任")
            assert (await RoleAssignment.get(id=role.id)).until is None

    async def test_the_resident_role_cannot_be_ended(self, db: Database) -> None:
        # given the resident's RESIDENT role (held without an area)
        role = await open_role(await person_of("resident"), Role.RESIDENT)
        # when even the district admin ends it / then NotFound, still open
        with pytest.raises(NotFound):
            await people.end_role(
                actor=await actor_for("district_admin"), assignment_id=role.id, reason="注销"
            )
        assert (await RoleAssignment.get(id=role.id)).until is None

    async def test_the_last_district_admin_cannot_be_removed(self, db: Database) -> None:
        # given the demo district's only district admin, acting on their own role
        admin = await actor_for("district_admin")
        (own,) = await RoleAssignment.filter(role=Role.DISTRICT_ADMIN, until=None)
        # when they try to end it
        # then it is refused and the role stays open
        with pytest.raises(Conflict):
            await people.end_role(actor=admin, assignment_id=own.id, reason="换届")
        assert (await RoleAssignment.get(id=own.id)).until is None
        # and once a peer is appointed, it can end
        peer = await newcomer("新区管理员")
        district = await Area.get(level="DISTRICT")
        await people.assign_role(
            actor=admin, person_id=peer.id, role=Role.DISTRICT_ADMIN, area_id=district.id
        )
        ended = await people.end_role(actor=admin, assignment_id=own.id, reason="换届")
        assert ended.assignment.until is not None


class TestDutyCards:
    """The public duty cards (便民服务牌)."""

    async def test_duty_cards_are_the_open_duty_roles_under_an_area(self, db: Database) -> None:
        # given M and the whole district
        micro = await area(M)
        # when M's duty cards are read (no actor: they are public)
        page = await people.duty_cards(under_id=micro.id, window=Window(first=100))
        # then they are M's leader and central households, nothing else
        expected = await RoleAssignment.filter(
            area_id=micro.id,
            until=None,
            role__in=[Role.MICRO_GRID_LEADER, Role.CENTRAL_HOUSEHOLD],
        ).values_list("id", flat=True)
        assert sorted(page.keys) == sorted(expected)
        assert (await person_of("microgrid_leader")).id in [c.person_id for c in page.items]
        # and under 颜山社区 every card lies in its subtree, volunteers and partners excluded
        community = await area(DEMO_COMMUNITY)
        everything = await people.duty_cards(under_id=community.id, window=Window(first=1000))
        assert everything.items and all(
            c.area_path.startswith(community.path) for c in everything.items
        )
        assert {c.role for c in everything.items} <= people.DUTY_CARD_ROLES
        assert (
            await everything.count()
            == await RoleAssignment.filter(
                until=None,
                area_path__startswith=community.path,
                role__in=list(people.DUTY_CARD_ROLES),
            ).count()
        )

    async def test_an_ended_role_leaves_the_duty_cards(self, db: Database) -> None:
        # given the rider's card in the demo grid
        grid = await area(DEMO_GRID)
        role = await open_role(await person_of("rider"), Role.PART_TIME_GRID_MEMBER)
        assert role.id in (await people.duty_cards(under_id=grid.id, window=Window(first=100))).keys
        # when the role ends
        await people.end_role(
            actor=await actor_for("community_admin"), assignment_id=role.id, reason="离职"
        )
        # then the card is gone, by list and by id
        assert (
            role.id
            not in (await people.duty_cards(under_id=grid.id, window=Window(first=100))).keys
        )
        assert await people.duty_cards_by_ids(card_ids=[role.id]) == [None]


class TestReadingRoles:
    """Role holders and open roles as read for the API."""

    async def test_role_holders_are_read_as_the_models_hold_them(self, db: Database) -> None:
        # given the micro-grids of the demo community and their open role assignments
        community = await area(DEMO_COMMUNITY)
        ids = list(await Area.filter(parent__parent_id=community.id).values_list("id", flat=True))
        # when their role holders are read in one go
        found = await people.role_holders_by_area(area_ids=ids)
        # then each matches the models field for field: duty roles in office only, in id order
        for area_id, holders in zip(ids, found, strict=True):
            expected = (
                await RoleAssignment.filter(
                    area_id=area_id, until=None, role__in=list(people.DUTY_CARD_ROLES)
                )
                .select_related("person")
                .order_by("id")
            )
            assert [h.id for h in holders] == [r.id for r in expected]
            for holder, model in zip(holders, expected, strict=True):
                assert (holder.role, holder.since, holder.until, holder.area_id) == (
                    model.role,
                    model.since,
                    model.until,
                    model.area_id,
                )
                assert holder.since.utcoffset() == model.since.utcoffset()
                p = model.person
                assert (holder.person.name, holder.person.phone, holder.person.party_member) == (
                    p.name,
                    p.phone,
                    p.party_member,
                )
                assert holder.person.household_id == p.household_id
        assert any(found), "the demo micro-grids have leaders"

    async def test_open_roles_are_read_with_their_areas(self, db: Database) -> None:
        # given the grid leader, who holds RESIDENT (no area) and GRID_LEADER (at G)
        leader = await person_of("grid_leader")
        expected = await RoleAssignment.filter(person_id=leader.id, until=None).order_by("id")
        assert {r.area_id is None for r in expected} == {True, False}
        # when their open roles are read with the areas
        held = await people.open_roles_with_areas(person_id=leader.id)
        # then they are the open assignments, field for field, each with its area (none for
        # RESIDENT)
        assert [h.id for h in held] == [r.id for r in expected]
        for h, r in zip(held, expected, strict=True):
            assert (h.role, h.since, h.until, h.area_id, h.area_path) == (
                r.role,
                r.since,
                r.until,
                r.area_id,
                r.area_path,
            )
            if r.area_id is None:
                assert h.area is None
            else:
                a = await Area.get(id=r.area_id)
                assert h.area is not None
                assert (h.area.name, h.area.level, h.area.kind, h.area.path, h.area.parent_id) == (
                    a.name,
                    a.level,
                    a.kind,
                    a.path,
                    a.parent_id,
                )
