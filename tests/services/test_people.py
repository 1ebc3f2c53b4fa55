"""People: appointing and ending roles (with history), duty cards, who sees whom, listing."""

from __future__ import annotations

import pytest

from seed.demo import DEMO_COMMUNITY, DEMO_GRID
from services import households, people
from services.enums import Role
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.models import Area, Household, Person, RoleAssignment
from tests.conftest import Database, actor_for

M = "颜山花园1-2号楼微网格"  # micro-grid M of the demo story
M2 = "颜山花园3-4号楼微网格"


async def area(name: str) -> Area:
    return await Area.get(name=name)


async def person_of(username: str) -> Person:
    return await Person.get(id=(await actor_for(username)).person_id)


async def newcomer(name: str = "新人", phone: str | None = "13700000000") -> Person:
    """A person without household or role, registered by the district admin."""
    return await people.create_person(
        actor=await actor_for("district_admin"), name=name, phone=phone
    )


async def open_role(person: Person, role: Role) -> RoleAssignment:
    return await RoleAssignment.get(person_id=person.id, role=role, until=None)


async def roles_state() -> list[tuple[object, ...]]:
    return list(
        await RoleAssignment.all()
        .order_by("id")
        .values_list("id", "person_id", "role", "area_id", "until", "end_reason")
    )


# --- assigning --------------------------------------------------------------------------------


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
async def test_a_role_is_held_at_its_level_only(db: Database, role: Role, area_name: str) -> None:
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


async def test_resident_is_not_assignable(db: Database) -> None:
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
    db: Database, username: str, role: Role, area_name: str, allowed: bool
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
    db: Database, role: Role, area_name: str
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
    made = await people.assign_role(actor=admin, person_id=person.id, role=role, area_id=target.id)
    assert made.until is None
    assert await RoleAssignment.filter(area_id=target.id, role=role, until=None).count() == 1


async def test_the_same_role_twice_in_one_place_conflicts(db: Database) -> None:
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


async def test_a_central_household_lives_in_the_micro_grid_it_serves(db: Database) -> None:
    # given M, the volunteer (lives in M2), a newcomer with no home, and a neighbour living in M
    admin = await actor_for("community_admin")
    micro = await area(M)
    resident = await person_of("resident")
    before = await roles_state()
    # when the volunteer or the newcomer is made a central household of M / then refused
    for outsider in (await person_of("volunteer"), await newcomer()):
        with pytest.raises(InvalidInput) as err:
            await people.assign_role(
                actor=admin, person_id=outsider.id, role=Role.CENTRAL_HOUSEHOLD, area_id=micro.id
            )
        assert err.value.field == "personId"
    assert await roles_state() == before
    # when the resident (lives in M) is / then they are
    made = await people.assign_role(
        actor=admin, person_id=resident.id, role=Role.CENTRAL_HOUSEHOLD, area_id=micro.id
    )
    assert (made.role, made.area_id) == (Role.CENTRAL_HOUSEHOLD, micro.id)


async def test_appointing_a_missing_person_is_not_found(db: Database) -> None:
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


# --- ending -----------------------------------------------------------------------------------


async def test_ending_a_role_keeps_it_as_history(db: Database) -> None:
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
    assert ended.id == role.id
    # and it is gone from the open roles but kept in the history
    (open_roles,) = await people.roles_by_person(person_ids=[rider.id])
    (history,) = await people.roles_by_person(person_ids=[rider.id], include_ended=True)
    assert role.id not in [r.id for r in open_roles]
    assert role.id in [r.id for r in history]
    assert [r.role for r in open_roles] == [Role.RESIDENT]
    # and the rider, holding no duty role now, is no longer public
    with pytest.raises(NotFound):
        await people.get_person(actor=None, person_id=rider.id)


async def test_ending_a_role_twice_conflicts(db: Database) -> None:
    # given the rider's role, ended once
    admin = await actor_for("community_admin")
    role = await open_role(await person_of("rider"), Role.PART_TIME_GRID_MEMBER)
    first = await people.end_role(actor=admin, assignment_id=role.id, reason="第一次")
    # when it is ended again
    with pytest.raises(Conflict):
        await people.end_role(actor=admin, assignment_id=role.id, reason="第二次")
    # then the first end stands
    stored = await RoleAssignment.get(id=role.id)
    assert (stored.until, stored.end_reason) == (first.until, "第一次")


@pytest.mark.parametrize("reason", ["", "   ", "因" * 501])
async def test_an_end_needs_a_reason_of_1_to_500_characters(db: Database, reason: str) -> None:
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
    db: Database, username: str, error: type[Exception] | None
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


async def test_the_resident_role_cannot_be_ended(db: Database) -> None:
    # given the resident's RESIDENT role (held without an area)
    role = await open_role(await person_of("resident"), Role.RESIDENT)
    # when even the district admin ends it / then NotFound, still open
    with pytest.raises(NotFound):
        await people.end_role(
            actor=await actor_for("district_admin"), assignment_id=role.id, reason="注销"
        )
    assert (await RoleAssignment.get(id=role.id)).until is None


# --- duty cards -------------------------------------------------------------------------------


async def test_duty_cards_are_the_open_duty_roles_under_an_area(db: Database) -> None:
    # given M and the whole district
    micro = await area(M)
    # when M's duty cards are read (no actor: they are public)
    page = await people.duty_cards(under_id=micro.id, first=100)
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
    everything = await people.duty_cards(under_id=community.id, first=1000)
    assert everything.items and all(
        c.area_path.startswith(community.path) for c in everything.items
    )
    assert {c.role for c in everything.items} <= people.DUTY_CARD_ROLES
    assert (
        await everything.count()
        == await RoleAssignment.filter(
            until=None, area_path__startswith=community.path, role__in=list(people.DUTY_CARD_ROLES)
        ).count()
    )


async def test_an_ended_role_leaves_the_duty_cards(db: Database) -> None:
    # given the rider's card in the demo grid
    grid = await area(DEMO_GRID)
    role = await open_role(await person_of("rider"), Role.PART_TIME_GRID_MEMBER)
    assert role.id in (await people.duty_cards(under_id=grid.id, first=100)).keys
    # when the role ends
    await people.end_role(
        actor=await actor_for("community_admin"), assignment_id=role.id, reason="离职"
    )
    # then the card is gone, by list and by id
    assert role.id not in (await people.duty_cards(under_id=grid.id, first=100)).keys
    assert await people.duty_cards_by_ids(card_ids=[role.id]) == [None]


# --- seeing people ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("viewer", "subject", "seen"),
    [
        # viewer             subject             seen: "full" (with phone), "public", None
        (None, "microgrid_leader", "public"),  # a duty-card holder: name, to anyone
        ("volunteer", "microgrid_leader", "public"),
        ("microgrid_leader", "microgrid_leader", "full"),  # oneself
        ("grid_leader", "microgrid_leader", "full"),  # the leader above
        ("central_household", "microgrid_leader", "full"),  # looks after the leader's home
        (None, "resident", None),  # no duty role: hidden
        ("volunteer", "resident", None),
        ("central_household", "resident", "full"),
        ("community_admin", "resident", "full"),
        (None, "volunteer", None),  # volunteers carry no duty card
        ("resident", "partner", None),
        ("community_admin", "partner", "full"),  # holds a role in the admin's community
        ("grid_leader", "rider", "full"),  # holds a role in the leader's grid
        ("microgrid_leader", "rider", "public"),
    ],
)
async def test_who_sees_whom(
    db: Database, viewer: str | None, subject: str, seen: str | None
) -> None:
    # given a viewer (None: anonymous) and a demo person
    actor = await actor_for(viewer) if viewer else None
    person = await person_of(subject)
    # when the viewer looks them up, alone and in a batch
    (batched,) = await people.people_by_ids(actor=actor, person_ids=[person.id])
    try:
        view = await people.get_person(actor=actor, person_id=person.id)
    except NotFound:
        got = None
    else:
        got = "full" if view.full else "public"
        assert view.person.name == person.name  # the name is always there when seen at all
    # then the view is as expected, and the batch agrees
    assert got == seen
    assert (None if batched is None else "full" if batched.full else "public") == seen


async def test_the_full_view_is_what_carries_the_phone(db: Database) -> None:
    # given the micro-grid leader's phone
    leader = await person_of("microgrid_leader")
    assert leader.phone
    # when an outsider and the leader above look them up
    public = await people.get_person(actor=None, person_id=leader.id)
    full = await people.get_person(actor=await actor_for("grid_leader"), person_id=leader.id)
    # then only the leader above gets a full view (the schema shows the phone for it alone:
    # tests/schema/test_nodes.py checks that end of it)
    assert (public.full, full.full) == (False, True)
    assert public.person.name == full.person.name == leader.name


# --- listing people -----------------------------------------------------------------------------


DEMO_PHONE_PREFIX = "1395331"  # the demo accounts' numbers (seed/demo.py)


async def names(username: str, **filters: object) -> set[str]:
    page = await people.list_people(actor=await actor_for(username), first=1000, **filters)
    assert not page.has_next
    return {v.person.name for v in page.items}


async def test_list_people_searches_names_and_phone_prefixes(db: Database) -> None:
    # given the demo accounts of 颜山社区
    # when the community admin searches by name, by phone prefix, and by a phone's middle
    by_name = await names("community_admin", search=" 李淑芬 ")
    by_part_of_name = await names("community_admin", search="淑芬")
    by_prefix = await names("community_admin", search=DEMO_PHONE_PREFIX)
    by_middle = await names("community_admin", search=DEMO_PHONE_PREFIX[2:])
    # then the name finds the resident, the prefix the eight demo people of the community
    assert by_name == by_part_of_name == {"李淑芬"}
    assert by_prefix == {
        "张红梅",
        "王德明",
        "赵桂兰",
        "陈志强",
        "马小军",
        "周晓雯",
        "郑凯",
        "李淑芬",
    }
    # and a phone matches from its start only
    assert not any(n in by_middle for n in by_prefix)
    # and the grid leader's search stays inside the grid (no community admin, no partner)
    assert await names("grid_leader", search=DEMO_PHONE_PREFIX) == by_prefix - {"张红梅", "郑凯"}


async def test_list_people_filters_by_role(db: Database) -> None:
    # given M
    micro = await area(M)
    central = {
        p.name
        for p in await Person.filter(
            id__in=await RoleAssignment.filter(
                area_id=micro.id, role=Role.CENTRAL_HOUSEHOLD, until=None
            ).values_list("person_id", flat=True)
        )
    }
    # when its leader lists its central households, and the community admin its volunteers
    listed = await names("microgrid_leader", under_id=micro.id, role=Role.CENTRAL_HOUSEHOLD)
    volunteers = await names("community_admin", role=Role.VOLUNTEER)
    # then they are exactly those
    assert listed == central and "陈志强" in listed
    community = await area(DEMO_COMMUNITY)
    assert volunteers == {
        p.name
        for p in await Person.filter(
            id__in=await RoleAssignment.filter(
                area_id=community.id, role=Role.VOLUNTEER, until=None
            ).values_list("person_id", flat=True)
        )
    }
    assert "周晓雯" in volunteers


async def test_list_people_covers_residents_and_role_holders_of_the_area(db: Database) -> None:
    # given the demo grid: its households' members, and people holding a role in it
    grid = await area(DEMO_GRID)
    homes = await Household.filter(path__startswith=grid.path).values_list("id", flat=True)
    living = set(await Person.filter(household_id__in=homes).values_list("id", flat=True))
    holding = set(
        await RoleAssignment.filter(area_path__startswith=grid.path, until=None).values_list(
            "person_id", flat=True
        )
    )
    # when its leader lists people
    page = await people.list_people(actor=await actor_for("grid_leader"), first=1000)
    # then it is exactly those (the rider has no home in the grid but holds a role in it)
    assert {v.person.id for v in page.items} == living | holding
    assert (await person_of("rider")).id in holding - living
    assert await page.count() == len(living | holding)


@pytest.mark.parametrize("username", ["volunteer", "central_household", "resident", "partner"])
async def test_only_admins_and_leaders_list_people(db: Database, username: str) -> None:
    # given someone who leads nothing / when they list people / then Forbidden
    with pytest.raises(Forbidden):
        await people.list_people(actor=await actor_for(username), first=10)


# --- registering people -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "name", "phone"),
    [
        ("name", "  ", None),
        ("name", "名" * 51, None),
        ("phone", "王五", "12-34"),
        ("phone", "王五", "phone"),
    ],
)
async def test_create_person_checks_name_and_phone(
    db: Database, field: str, name: str, phone: str | None
) -> None:
    # given the district admin
    before = await Person.all().count()
    # when a person with a bad name or phone is registered / then refused on that field
    with pytest.raises(InvalidInput) as err:
        await people.create_person(actor=await actor_for("district_admin"), name=name, phone=phone)
    assert err.value.field == field
    assert await Person.all().count() == before


async def test_create_person_normalises_the_phone(db: Database) -> None:
    # given a number written with spaces and dashes
    # when a person is registered with it / then it is stored as digits
    made = await people.create_person(
        actor=await actor_for("district_admin"), name=" 王五 ", phone=" 139-5331 0099 "
    )
    stored = await Person.get(id=made.id)
    assert (stored.name, stored.phone) == ("王五", "13953310099")


async def test_only_admins_register_people(db: Database) -> None:
    # given a leader (reads, administers nothing) and the resident's household
    leader = await actor_for("microgrid_leader")
    home = (await actor_for("resident")).household_id
    before = await Person.all().count()
    # when they register someone without a household, or in the resident's household
    with pytest.raises(Forbidden):
        await people.create_person(actor=leader, name="王五")
    with pytest.raises(Forbidden):
        await people.create_person(actor=leader, name="王五", household_id=home)
    # then nobody was registered
    assert await Person.all().count() == before


# --- reaching people outside one's subtree -------------------------------------------------------


async def test_an_admin_cannot_pull_in_a_person_from_elsewhere_by_id(db: Database) -> None:
    # given a resident living in another street (山头街道), invisible to 颜山社区's admin
    stranger = await Person.filter(
        household__path__startswith=(await area("古窑社区")).path
    ).first()
    assert stranger is not None
    admin = await actor_for("community_admin")
    yanshan = await area(DEMO_COMMUNITY)
    home = await Household.filter(path__startswith=yanshan.path).first()
    assert home is not None
    before = await roles_state()
    # when the admin appoints them, or adds them to a household of 颜山社区, by a guessed id
    with pytest.raises(NotFound):
        await people.assign_role(
            actor=admin, person_id=stranger.id, role=Role.VOLUNTEER, area_id=yanshan.id
        )
    with pytest.raises(NotFound):
        await households.add_member(actor=admin, household_id=home.id, person_id=stranger.id)
    # then nothing changed and the stranger's details stay hidden
    assert await roles_state() == before
    assert (await Person.get(id=stranger.id)).household_id == stranger.household_id
    with pytest.raises(NotFound):
        await people.get_person(actor=admin, person_id=stranger.id)


async def test_a_new_sign_up_can_be_placed_and_appointed(db: Database) -> None:
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


async def test_the_last_district_admin_cannot_be_removed(db: Database) -> None:
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
    assert ended.until is not None


async def test_role_holders_are_read_as_the_models_hold_them(db: Database) -> None:
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


async def test_open_roles_are_read_with_their_areas(db: Database) -> None:
    # given the grid leader, who holds RESIDENT (no area) and GRID_LEADER (at G)
    leader = await person_of("grid_leader")
    expected = await RoleAssignment.filter(person_id=leader.id, until=None).order_by("id")
    assert {r.area_id is None for r in expected} == {True, False}
    # when their open roles are read with the areas
    held = await people.open_roles_with_areas(person_id=leader.id)
    # then they are the open assignments, field for field, each with its area (none for RESIDENT)
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
