"""Who may do what where: each demo role against its own area, a sibling, the parent, elsewhere.

One row per (actor, target), one column per action, one expected outcome per cell. Targets are
found in the demo tree relative to the actor's own area (where their role is held; a resident's
home micro-grid), never by id, so the table keeps its meaning if the seed grows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from seed.demo import DEMO_COMMUNITY, DEMO_STREET
from services import grids, households, people
from services.enums import LEVEL_ORDER, AreaLevel, Role
from services.errors import DomainError
from services.grids import Coverage
from services.kit.auth import Actor
from services.kit.pagination import Window
from services.models import Area, CareLink, Household, Person, RoleAssignment
from tests.conftest import Database, actor_for

# Outcomes (one per cell).
OK = "ok"  # allowed; for a person: the full view, phone included
PB = "public"  # a duty-card holder seen from outside their scope: name and roles, no phone
FB = "Forbidden"
NF = "NotFound"  # reads answer NotFound rather than Forbidden, so ids cannot be probed
UA = "Unauthenticated"

# Targets, relative to the actor's own area.
OWN = "own"  # the actor's own area (actions needing a lower level use the first area below it)
SIB = "sibling"  # the first other child of the same parent
UP = "ancestor"  # the parent; people and households are picked outside the actor's own area
FAR = "other-street"  # same level under the other street (a community, for street/district admins)

ACTIONS = (
    "coverage",  # grids.coverage of the target
    "list_households",  # households.list_households under the target
    "read_household",  # get_household / households_by_ids of a household under the target
    "read_resident",  # people.get_person of someone under the target who holds no role
    "read_holder",  # people.get_person of a duty-card holder under the target
    "list_people",  # people.list_people under the target
    "create_household",  # households.create_household in the target (or its first place below)
    "create_area",  # grids.create_area of the next level under the target
    "assign_role",  # people.assign_role of the target level's role (ROLE_AT) at the target
    "end_role",  # people.end_role of an open ROLE_AT assignment at the target (others first)
)

# Columns: coverage, list_households, read_household, read_resident, read_holder, list_people |
# create_household, create_area, assign_role, end_role (see ACTIONS).
# fmt: off
TABLE = [
    # actor               tgt   cov  lsHH rdHH res  hold lsPP  +HH   +area assgn end
    ("district_admin",    OWN,  OK,  OK,  OK,  OK,  OK,  OK,   OK,   OK,   OK,   OK),
    ("district_admin",    FAR,  OK,  OK,  OK,  OK,  OK,  OK,   OK,   OK,   OK,   OK),
    ("street_admin",      OWN,  OK,  OK,  OK,  OK,  OK,  OK,   OK,   OK,   FB,   FB),
    ("street_admin",      SIB,  FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("street_admin",      UP,   FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("street_admin",      FAR,  FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("community_admin",   OWN,  OK,  OK,  OK,  OK,  OK,  OK,   OK,   OK,   OK,   OK),
    ("community_admin",   SIB,  FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("community_admin",   UP,   FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("community_admin",   FAR,  FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("grid_leader",       OWN,  OK,  OK,  OK,  OK,  OK,  OK,   FB,   FB,   FB,   FB),
    ("grid_leader",       SIB,  FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("grid_leader",       UP,   FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("grid_leader",       FAR,  FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("microgrid_leader",  OWN,  OK,  OK,  OK,  OK,  OK,  OK,   FB,   FB,   FB,   FB),
    ("microgrid_leader",  SIB,  FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("microgrid_leader",  UP,   FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("microgrid_leader",  FAR,  FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    # a central household reads the households it looks after, and the people living in them
    ("central_household", OWN,  FB,  FB,  OK,  OK,  OK,  FB,   FB,   FB,   FB,   NF),
    ("central_household", SIB,  FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("central_household", UP,   FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("central_household", FAR,  FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("rider",             OWN,  FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("rider",             SIB,  FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("rider",             UP,   FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("rider",             FAR,  FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("volunteer",         OWN,  FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("volunteer",         SIB,  FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("volunteer",         UP,   FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("volunteer",         FAR,  FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("partner",           OWN,  FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("partner",           SIB,  FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("partner",           UP,   FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("partner",           FAR,  FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("resident",          OWN,  FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("resident",          SIB,  FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("resident",          UP,   FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    ("resident",          FAR,  FB,  FB,  NF,  NF,  PB,  FB,   FB,   FB,   FB,   NF),
    # anonymous: "own" is the demo community; coverage answers Forbidden per area, not Unauth.
    ("anonymous",         OWN,  FB,  UA,  NF,  NF,  PB,  UA,   UA,   UA,   UA,   UA),
]
# fmt: on

# The role assign_role / end_role use at a target, by the target's level.
ROLE_AT = {
    AreaLevel.DISTRICT: Role.DISTRICT_ADMIN,
    AreaLevel.STREET: Role.STREET_ADMIN,
    AreaLevel.COMMUNITY: Role.VOLUNTEER,
    AreaLevel.GRID: Role.PART_TIME_GRID_MEMBER,
    AreaLevel.MICRO_GRID: Role.CENTRAL_HOUSEHOLD,
}
WRITES = ("create_household", "create_area", "assign_role", "end_role")


# --- finding targets in the demo tree -----------------------------------------------------------


def inside(path: str, root: Area, outside: Area | None = None) -> bool:
    """Is `path` under `root` (and not under `outside`)? Written out, not taken from services."""
    return path.startswith(root.path) and not (outside and path.startswith(outside.path))


async def own_area(actor: Actor | None) -> Area:
    """Where the actor's first role is held, else their home micro-grid (anonymous: 颜山社区)."""
    if actor is None:
        return await Area.get(name=DEMO_COMMUNITY)
    for grant in actor.grants:
        if grant.area_id is not None:
            return await Area.get(id=grant.area_id)
    home = await Household.get(id=actor.household_id)
    return await Area.get(id=home.micro_grid_id)


async def relative(anchor: Area, relation: str) -> Area:
    """The target `relation` names, seen from the actor's own area."""
    if relation == OWN:
        return anchor
    if relation == UP:
        return await Area.get(id=anchor.parent_id)
    if relation == SIB:
        siblings = Area.filter(parent_id=anchor.parent_id).exclude(id=anchor.id).order_by("id")
        sibling = await siblings.first()
        assert sibling is not None, f"{anchor.name} has no sibling"
        return sibling
    other_street = await Area.filter(level=AreaLevel.STREET).exclude(name=DEMO_STREET).get()
    level = max(anchor.level, AreaLevel.COMMUNITY, key=lambda lv: lv.rank)
    areas = await Area.filter(level=level).order_by("id")
    return next(a for a in areas if inside(a.path, other_street))


async def pick_household(target: Area, outside: Area | None, actor: Actor | None) -> Household:
    """The first household under the target that is not the actor's own."""
    own = actor.household_id if actor else None
    return next(
        h
        for h in await Household.all().order_by("id")
        if inside(h.path, target, outside) and h.id != own
    )


async def pick_resident(target: Area, outside: Area | None, actor: Actor | None) -> Person:
    """The first person living under the target who holds no role but RESIDENT (not the actor)."""
    homes = {h.id for h in await Household.all() if inside(h.path, target, outside)}
    role_holders = set(
        await RoleAssignment.filter(until=None)
        .exclude(role=Role.RESIDENT)
        .values_list("person_id", flat=True)
    )
    me = actor.person_id if actor else None
    return next(
        p
        for p in await Person.filter(household_id__in=homes).order_by("id")
        if p.id not in role_holders and p.id != me
    )


async def pick_holder(target: Area, outside: Area | None, actor: Actor | None) -> Person:
    """The duty-card holder nearest the top of the target (not the actor)."""
    me = actor.person_id if actor else None
    cards = [
        r
        for r in await RoleAssignment.filter(until=None, role__in=list(people.DUTY_CARD_ROLES))
        if inside(r.area_path, target, outside) and r.person_id != me
    ]
    card = min(cards, key=lambda r: (r.area_path.count("/"), r.id))
    return await Person.get(id=card.person_id)


async def pick_place(target: Area, outside: Area | None) -> Area:
    """Where a household can be registered: the target, or the first community/micro-grid below."""
    places = (AreaLevel.COMMUNITY, AreaLevel.MICRO_GRID)
    if target.level in places:
        return target
    below = await Area.filter(level__in=list(places)).order_by("id")
    return next(a for a in below if inside(a.path, target, outside))


@dataclass
class Scene:
    """Everything one row acts on, resolved before any action runs."""

    actor: Actor | None
    target: Area
    household: Household
    resident: Person
    holder: Person
    place: Area
    appointee: Person
    assignment: RoleAssignment


async def build_scene(username: str, relation: str) -> Scene:
    actor = None if username == "anonymous" else await actor_for(username)
    anchor = await own_area(actor)
    target = await relative(anchor, relation)
    # Seen from below, "the ancestor" means the rest of it: the actor's own area is excluded.
    outside = anchor if relation == UP else None
    resident = await pick_resident(target, outside, actor)
    role = ROLE_AT[target.level]
    if role is Role.CENTRAL_HOUSEHOLD:
        appointee = resident  # a central household must live in the micro-grid
    else:
        appointee = await people.create_person(
            actor=await actor_for("district_admin"), name="候任人员", phone="13800000000"
        )
    open_here = await RoleAssignment.filter(area_id=target.id, role=role, until=None).order_by("id")
    me = actor.person_id if actor else None
    assignment = min(open_here, key=lambda r: (r.person_id == me, r.id))  # others first
    return Scene(
        actor=actor,
        target=target,
        household=await pick_household(target, outside, actor),
        resident=resident,
        holder=await pick_holder(target, outside, actor),
        place=await pick_place(target, outside),
        appointee=appointee,
        assignment=assignment,
    )


# --- the actions: each returns OK / PB, or raises the domain error ------------------------------


async def households_under(area: Area) -> set[int]:
    return {h.id for h in await Household.all() if inside(h.path, area)}


async def do_coverage(s: Scene) -> str:
    (figure,) = await grids.coverage(actor=s.actor, area_ids=[s.target.id])
    if isinstance(figure, Exception):
        raise figure
    assert isinstance(figure, Coverage)
    assert figure.households == len(await households_under(s.target))
    return OK


async def do_list_households(s: Scene) -> str:
    page = await households.list_households(
        actor=s.actor, area_id=s.target.id, window=Window(first=1000)
    )
    assert {h.id for h in page.items} == await households_under(s.target)
    return OK


async def do_read_household(s: Scene) -> str:
    (batched,) = await households.households_by_ids(actor=s.actor, household_ids=[s.household.id])
    try:
        found = await households.get_household(actor=s.actor, household_id=s.household.id)
    except DomainError:
        assert batched is None, "the batch loader shows what get_household hides"
        raise
    assert batched is not None and batched.id == found.id == s.household.id
    return OK


async def read_person(s: Scene, person: Person) -> str:
    view = await people.get_person(actor=s.actor, person_id=person.id)
    assert view.person.id == person.id
    return OK if view.full else PB


async def do_list_people(s: Scene) -> str:
    page = await people.list_people(actor=s.actor, under_id=s.target.id, window=Window(first=1000))
    homes = await households_under(s.target)
    holders = {
        r.person_id
        for r in await RoleAssignment.filter(until=None)
        if r.area_path and inside(r.area_path, s.target)
    }
    listed = {v.person.id for v in page.items}
    assert listed, "an area in the demo always has people"
    assert all(v.full for v in page.items)
    assert all(v.person.household_id in homes or v.person.id in holders for v in page.items)
    return OK


async def do_create_household(s: Scene) -> str:
    made = await households.create_household(
        actor=s.actor, area_id=s.place.id, address="博山区权限测试路1号"
    )
    assert made.path == s.place.path
    return OK


async def do_create_area(s: Scene) -> str:
    # A micro-grid has no level below; asking for MICRO_GRID again must still be refused first.
    level = LEVEL_ORDER[min(s.target.level.rank + 1, AreaLevel.MICRO_GRID.rank)]
    made = await grids.create_area(
        actor=s.actor, parent_id=s.target.id, name="权限测试区域", level=level
    )
    assert made.parent_id == s.target.id and made.path.startswith(s.target.path)
    return OK


async def do_assign_role(s: Scene) -> str:
    role = ROLE_AT[s.target.level]
    made = await people.assign_role(
        actor=s.actor, person_id=s.appointee.id, role=role, area_id=s.target.id
    )
    assert (made.person_id, made.role, made.area_id, made.until) == (
        s.appointee.id,
        role,
        s.target.id,
        None,
    )
    return OK


async def do_end_role(s: Scene) -> str:
    ended = await people.end_role(actor=s.actor, assignment_id=s.assignment.id, reason="权限测试")
    assert ended.assignment.until is not None
    return OK


RUN: dict[str, Callable[[Scene], Awaitable[str]]] = {
    "coverage": do_coverage,
    "list_households": do_list_households,
    "read_household": do_read_household,
    "read_resident": lambda s: read_person(s, s.resident),
    "read_holder": lambda s: read_person(s, s.holder),
    "list_people": do_list_people,
    "create_household": do_create_household,
    "create_area": do_create_area,
    "assign_role": do_assign_role,
    "end_role": do_end_role,
}


async def snapshot() -> tuple[int, ...]:
    """Row counts a denied write must leave alone (open roles count the `until` of end_role)."""
    return (
        await Area.all().count(),
        await Household.all().count(),
        await CareLink.all().count(),
        await Person.all().count(),
        await RoleAssignment.all().count(),
        await RoleAssignment.filter(until=None).count(),
    )


def row_id(row: tuple[str, ...]) -> str:
    return f"{row[0]}-{row[1]}"


def test_the_table_is_complete() -> None:
    # given the table
    # then every demo account meets every target (the district admin has no sibling or parent)
    # and every row has one cell per action
    demo = {r[0] for r in TABLE} - {"anonymous", "district_admin"}
    assert {(u, t) for u, t, *_ in TABLE} >= {(u, t) for u in demo for t in (OWN, SIB, UP, FAR)}
    assert all(len(row) == 2 + len(ACTIONS) for row in TABLE)
    assert len({row_id(r) for r in TABLE}) == len(TABLE)


@pytest.mark.parametrize("row", TABLE, ids=row_id)
async def test_permissions(db: Database, row: tuple[str, ...]) -> None:
    # given a demo actor and a target found relative to the actor's own area
    username, relation, *cells = row
    expected = dict(zip(ACTIONS, cells, strict=True))
    scene = await build_scene(username, relation)
    # when every action is tried there (reads first: an allowed write must not change them)
    outcomes: dict[str, str] = {}
    changed_although_denied: list[str] = []
    for action in ACTIONS:
        before = await snapshot()
        try:
            outcomes[action] = await RUN[action](scene)
        except DomainError as exc:
            outcomes[action] = type(exc).__name__
        after = await snapshot()
        if action in WRITES and outcomes[action] != OK and after != before:
            changed_although_denied.append(action)
        if action not in WRITES:
            assert after == before, f"the read {action} wrote something"
    # then each outcome is the table's, and a refused write changed nothing
    assert outcomes == expected
    assert changed_although_denied == []
