"""People: registration, who may see whom, and listing."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from services.care_links import cared_households
from services.enums import Role
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.grids import get_area
from services.kit import db
from services.kit.auth import Actor, require_actor
from services.kit.pagination import Page, Window, paginate
from services.kit.paths import in_subtree, subtree_bounds
from services.kit.text import search_term
from services.models import Household, Person, RoleAssignment, UserAccount

# Roles that carry a public duty card; volunteers, partner members and residents do not.


DUTY_CARD_ROLES = frozenset(
    {
        Role.DISTRICT_ADMIN,
        Role.STREET_ADMIN,
        Role.COMMUNITY_ADMIN,
        Role.GRID_LEADER,
        Role.MICRO_GRID_LEADER,
        Role.CENTRAL_HOUSEHOLD,
        Role.PART_TIME_GRID_MEMBER,
    }
)


# The most people one household (户) holds: what `memberCount` accepts, and a bound the API's
# cost estimate relies on (`Household.members`).
MAX_HOUSEHOLD_MEMBERS = 50


async def make_room_in_household(household_id: int) -> None:
    """Inside a transaction: lock the household's row (a no-op write, so that two additions
    serialize) and refuse a member beyond MAX_HOUSEHOLD_MEMBERS."""
    await db.execute("UPDATE household SET path = path WHERE id = ? RETURNING id", [household_id])
    if await Person.filter(household_id=household_id).count() >= MAX_HOUSEHOLD_MEMBERS:
        raise Conflict(
            f"A household has at most {MAX_HOUSEHOLD_MEMBERS} members.", field="householdId"
        )


@dataclass(frozen=True)
class PersonView:
    """A person as the actor may see them: `full` adds phone, household and role history."""

    person: Person
    full: bool


def _check_phone(phone: str | None) -> str | None:
    phone = (phone or "").strip().replace(" ", "").replace("-", "")
    if not phone:
        return None
    if not (phone.lstrip("+").isdigit() and 5 <= len(phone) <= 20):
        raise InvalidInput("A phone number has 5 to 20 digits.", field="phone")
    return phone


def check_name(name: str) -> str:
    """A person's name: 1-50 characters after trimming."""
    name = name.strip()
    if not name or len(name) > 50:
        raise InvalidInput("A name has 1 to 50 characters.", field="name")
    return name


async def create_person(
    *,
    actor: Actor | None,
    name: str,
    phone: str | None = None,
    party_member: bool = False,
    household_id: int | None = None,
) -> Person:
    """Register a person (e.g. an elderly resident without the app) in a household in scope."""
    actor = require_actor(actor)
    clean_name, clean_phone = check_name(name), _check_phone(phone)
    if household_id is None:
        if not actor.admin_paths:
            raise Forbidden("Only admins register people.")
    else:
        household = await Household.get_or_none(id=household_id)
        if household is None or not actor.reads(household.path):
            raise NotFound("No such household.", field="householdId")
        actor.require_admin_of(household.path, "register people")
    async with in_transaction():
        if household_id is not None:
            await make_room_in_household(household_id)
        return await Person.create(
            name=clean_name, phone=clean_phone, party_member=party_member, household_id=household_id
        )


async def new_person(*, name: str, phone: str | None, party_member: bool = False) -> Person:
    """A person with no household yet (sign-up); callers own the transaction."""
    return await Person.create(
        name=check_name(name), phone=_check_phone(phone), party_member=party_member
    )


async def _visibility(actor: Actor | None, persons: list[Person]) -> dict[int, bool | None]:
    """person id → True (full), False (name and roles: a public role holder, or someone on a
    list the actor runs), None (hidden)."""
    ids = [p.id for p in persons]
    household_ids = {p.household_id for p in persons if p.household_id is not None}
    paths = dict(
        await Household.filter(id__in=household_ids).values_list("id", "path")
        if household_ids
        else []
    )
    roles: dict[int, list[tuple[Role, str]]] = {i: [] for i in ids}
    for pid, role, path in await RoleAssignment.filter(person_id__in=ids, until=None).values_list(
        "person_id", "role", "area_path"
    ):
        roles[pid].append((Role(role), path))
    cared = await cared_households(actor, paths)
    result: dict[int, bool | None] = {}
    for p in persons:
        home = paths.get(p.household_id) if p.household_id is not None else None
        full = actor is not None and (
            p.id == actor.person_id
            or (p.household_id is not None and p.household_id == actor.household_id)
            or (home is not None and actor.reads(home))
            or (p.household_id in cared)
            or any(path and actor.reads(path) for _, path in roles[p.id])
        )
        public = any(role in DUTY_CARD_ROLES for role, _ in roles[p.id])
        result[p.id] = True if full else (False if public else None)
    if actor is not None:
        for pid in await _on_lists_run_by(
            actor, [i for i, level in result.items() if level is None]
        ):
            result[pid] = False
    return result


async def _on_lists_run_by(actor: Actor, person_ids: list[int]) -> set[int]:
    """Of these people, those on a list the actor runs and is shown: the memberships of a
    volunteer team they lead or whose area they read, the sign-ups of an activity they
    organise (created it, lead its team) or whose area they read. Whoever is shown such a
    list sees who is on it (name and roles), through the list and by id alike."""
    if not person_ids:
        return set()
    marks = ",".join("?" for _ in person_ids)
    scope, scope_params = _under_any(actor.read_paths)
    rows = await db.fetch(
        f"SELECT m.person_id FROM team_membership m JOIN volunteer_team t ON t.id = m.team_id "
        f"WHERE m.person_id IN ({marks}) AND (t.leader_id = ? OR {scope.format(c='t.area_path')}) "
        f"UNION SELECT s.person_id FROM activity_sign_up s "
        f"JOIN volunteer_activity a ON a.id = s.activity_id "
        f"LEFT JOIN volunteer_team t ON t.id = a.team_id "
        f"WHERE s.person_id IN ({marks}) AND (a.organiser_id = ? OR t.leader_id = ? "
        f"OR {scope.format(c='a.area_path')})",
        [
            *person_ids,
            actor.person_id,
            *scope_params,
            *person_ids,
            actor.person_id,
            actor.person_id,
            *scope_params,
        ],
    )
    return {int(r["person_id"]) for r in rows}


def _under_any(roots: list[str]) -> tuple[str, list[object]]:
    """An SQL condition (column as `{c}`) true for paths under any of `roots`, and its
    parameters; false without roots."""
    if not roots:
        return "1 = 0", []
    bounds = [subtree_bounds(root) for root in roots]
    condition = " OR ".join("({c} >= ? AND {c} < ?)" for _ in bounds)
    return f"({condition})", [b for pair in bounds for b in pair]


async def people_by_ids(*, actor: Actor | None, person_ids: list[int]) -> list[PersonView | None]:
    """The people for the ids as the actor may see them (None where hidden or missing)."""
    found = {p.id: p for p in await Person.filter(id__in=person_ids)}
    seen = await _visibility(actor, list(found.values()))
    views: list[PersonView | None] = []
    for pid in person_ids:
        level = seen.get(pid)
        views.append(None if level is None else PersonView(found[pid], full=level))
    return views


async def person_to_place(*, actor: Actor, person_id: int) -> Person:
    """A person the actor may appoint or place in a household: one fully in their view, or a new
    sign-up not yet placed anywhere (no household, no role at any area). Anyone else is NotFound,
    so an admin cannot reach people outside their subtree by guessing ids."""
    (view,) = await people_by_ids(actor=actor, person_ids=[person_id])
    if view is not None and view.full:
        return view.person
    person = await Person.get_or_none(id=person_id)
    placed = person is None or person.household_id is not None
    if placed or await RoleAssignment.exists(
        person_id=person_id, until=None, area_id__isnull=False
    ):
        raise NotFound("No such person.", field="personId")
    assert person is not None
    return person


def _unplaced() -> Q:
    """People placed nowhere yet: no household and no open role at an area."""
    placed = RoleAssignment.filter(until=None, area_id__isnull=False).values("person_id")
    return Q(household_id__isnull=True) & ~Q(id__in=Subquery(placed))


async def get_person(*, actor: Actor | None, person_id: int) -> PersonView:
    """One person as the actor may see them (NotFound when hidden)."""
    (view,) = await people_by_ids(actor=actor, person_ids=[person_id])
    if view is None:
        raise NotFound("No such person.", field="personId")
    return view


async def list_people(
    *,
    actor: Actor | None,
    under_id: int | None = None,
    role: Role | None = None,
    search: str | None = None,
    window: Window,
) -> Page[PersonView]:
    """People living or holding a role under an area the actor reads (admins and leaders);
    for admins, `search` also finds a new sign-up placed nowhere yet by exact username or
    phone."""
    actor = require_actor(actor)
    if under_id is not None:
        area = await get_area(area_id=under_id)
        if not actor.reads(area.path):
            raise Forbidden("You may only list people in the areas you run.")
        roots = [area.path]
    else:
        roots = actor.read_paths
        if not roots:
            raise Forbidden("Only admins and leaders list people.")
    where = Q()
    for root in roots:
        holders = RoleAssignment.filter(in_subtree(root, "area_path"), until=None)
        if role is not None:
            where |= Q(id__in=Subquery(holders.filter(role=role).values("person_id")))
        else:
            lives = Household.filter(in_subtree(root)).values("id")
            where |= Q(household_id__in=Subquery(lives)) | Q(
                id__in=Subquery(holders.values("person_id"))
            )
    term = search_term(search)
    if term:
        matches = Q(name__icontains=term) | Q(phone__startswith=term)
        if actor.admin_paths:
            # Admins also find people by their exact username; and a new sign-up placed
            # nowhere yet (no household, no role at an area) by the exact username or phone
            # they gave, never by a part of it, so nobody can fish for phone numbers.
            username = Q(id__in=Subquery(UserAccount.filter(username=term).values("person_id")))
            where &= matches | username
            if role is None:
                where |= _unplaced() & (Q(phone=term) | username)
        else:
            where &= matches
    query = Person.filter(where)
    page = await paginate(query, window)
    # A new Page: the item type changes (Person -> PersonView), so `replace` would not do.
    return Page(
        items=[PersonView(p, full=True) for p in page.items],
        keys=page.keys,
        has_next=page.has_next,
        has_previous=page.has_previous,
        count=page.count,
    )


async def card_holders(*, person_ids: list[int]) -> list[Person | None]:
    """The people behind duty cards (name and phone are published on the card)."""
    found = {p.id: p for p in await Person.filter(id__in=person_ids)}
    return [found.get(i) for i in person_ids]
