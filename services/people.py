"""People, their role assignments (with history) and the public duty cards (便民服务牌)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from services.auth import Actor, require_actor
from services.enums import ADMIN_ROLES, ROLE_LEVEL, SINGLE_HOLDER_ROLES, Role
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.grids import get_area, in_subtree
from services.models import CareLink, Household, Person, RoleAssignment
from services.pagination import Page, paginate

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


@dataclass(frozen=True)
class PersonView:
    """A person as the actor may see them: `full` adds phone, household and role history."""

    person: Person
    full: bool


def _now() -> datetime:
    return datetime.now(UTC)


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
    return await Person.create(
        name=clean_name, phone=clean_phone, party_member=party_member, household_id=household_id
    )


async def new_person(*, name: str, phone: str | None, party_member: bool = False) -> Person:
    """A person with no household yet (sign-up); callers own the transaction."""
    return await Person.create(
        name=check_name(name), phone=_check_phone(phone), party_member=party_member
    )


async def _visibility(actor: Actor | None, persons: list[Person]) -> dict[int, bool | None]:
    """person id → True (full), False (public role holder: name and roles), None (hidden)."""
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
    cared: set[int] = set()
    if actor is not None and household_ids:
        linked = await CareLink.filter(
            household_id__in=household_ids, central_id=actor.person_id
        ).values_list("household_id", flat=True)
        cared = set(cast("list[int]", linked))
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
    return result


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
    first: int,
    after: int | None = None,
) -> Page[PersonView]:
    """People living or holding a role under an area the actor reads (admins and leaders)."""
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
    query = Person.filter(where)
    if search and search.strip():
        term = search.strip()
        query = query.filter(Q(name__icontains=term) | Q(phone__startswith=term))
    page = await paginate(query, first=first, after=after)
    return Page(
        items=[PersonView(p, full=True) for p in page.items],
        keys=page.keys,
        has_next=page.has_next,
        has_previous=page.has_previous,
        count=page.count,
    )


async def assign_role(
    *, actor: Actor | None, person_id: int, role: Role, area_id: int
) -> RoleAssignment:
    """Appoint a person to a role at an area (admins appoint below themselves)."""
    actor = require_actor(actor)
    level = ROLE_LEVEL[role]
    if level is None:
        raise InvalidInput("Every signed-up person is a resident already.", field="role")
    area = await get_area(area_id=area_id)
    if area.level is not level:
        raise InvalidInput(f"{role.value} is held at a {level.value}.", field="areaId")
    if role in ADMIN_ROLES:
        if not actor.appoints_admins_at(area.path):
            raise Forbidden("Admins are appointed from the level above.")
    else:
        actor.require_admin_of(area.path, "appoint people")
    person = await person_to_place(actor=actor, person_id=person_id)
    if role is Role.CENTRAL_HOUSEHOLD:
        home = await Household.get_or_none(id=person.household_id) if person.household_id else None
        if home is None or home.micro_grid_id != area.id:
            raise InvalidInput(
                "A central household is a family of the micro-grid it serves.", field="personId"
            )
    try:
        async with in_transaction():
            if await RoleAssignment.exists(
                person_id=person.id, role=role, area_id=area.id, until=None
            ):
                raise Conflict("The person already holds this role here.", field="personId")
            if role in SINGLE_HOLDER_ROLES and await RoleAssignment.exists(
                role=role, area_id=area.id, until=None
            ):
                raise Conflict(
                    f"{area.name} already has a {role.value}; end that role first.", field="areaId"
                )
            return await RoleAssignment.create(
                person_id=person.id,
                role=role,
                area_id=area.id,
                area_path=area.path,
                since=_now(),
                assigned_by_id=actor.account_id,
            )
    except IntegrityError as exc:  # a concurrent appointment won the unique index
        raise Conflict(f"{area.name} already has a {role.value}.", field="areaId") from exc


async def grant_resident(*, person_id: int) -> RoleAssignment:
    """The RESIDENT role every signed-up person holds (no area: joining a household is separate)."""
    return await RoleAssignment.create(
        person_id=person_id, role=Role.RESIDENT, area_id=None, area_path="", since=_now()
    )


async def end_role(*, actor: Actor | None, assignment_id: int, reason: str) -> RoleAssignment:
    """End a role assignment; the row stays as history with the reason and who ended it."""
    actor = require_actor(actor)
    reason = reason.strip()
    if not reason or len(reason) > 500:
        raise InvalidInput("Give a reason of 1 to 500 characters.", field="reason")
    assignment = await RoleAssignment.get_or_none(id=assignment_id)
    if assignment is None or not actor.reads(assignment.area_path or "-"):
        raise NotFound("No such role assignment.", field="assignmentId")
    if assignment.role in ADMIN_ROLES:
        if not actor.appoints_admins_at(assignment.area_path):
            raise Forbidden("Admins are removed from the level above.")
    else:
        actor.require_admin_of(assignment.area_path, "end roles")
    if assignment.until is not None:
        raise Conflict("This role has already ended.", field="assignmentId")
    if assignment.role is Role.DISTRICT_ADMIN and not await RoleAssignment.exists(
        role=Role.DISTRICT_ADMIN, area_id=assignment.area_id, until=None, id__not=assignment.id
    ):
        # Nobody could appoint a new one: the district would be locked out of its own net.
        raise Conflict("Appoint another district admin before ending the last one.")
    # Conditional update: two admins ending the same role at once both see one end.
    changed = await RoleAssignment.filter(id=assignment.id, until=None).update(
        until=_now(), end_reason=reason, ended_by_id=actor.account_id
    )
    if not changed:
        raise Conflict("This role has already ended.", field="assignmentId")
    return await RoleAssignment.get(id=assignment.id)


async def roles_by_person(
    *, person_ids: list[int], include_ended: bool = False
) -> list[list[RoleAssignment]]:
    """Each person's role assignments (open ones unless `include_ended`); one query."""
    query = RoleAssignment.filter(person_id__in=person_ids)
    if not include_ended:
        query = query.filter(until=None)
    roles: dict[int, list[RoleAssignment]] = {i: [] for i in person_ids}
    for assignment in await query.order_by("id"):
        roles[assignment.person_id].append(assignment)
    return [roles[i] for i in person_ids]


async def role_holders_by_area(*, area_ids: list[int]) -> list[list[RoleAssignment]]:
    """The open role assignments held at each area with their holders (public: who runs it,
    as on the duty cards); one query."""
    holders: dict[int, list[RoleAssignment]] = {i: [] for i in area_ids}
    query = RoleAssignment.filter(area_id__in=area_ids, until=None, role__in=list(DUTY_CARD_ROLES))
    for assignment in await query.select_related("person").order_by("id"):
        if assignment.area_id is not None:
            holders[assignment.area_id].append(assignment)
    return [holders[i] for i in area_ids]


async def duty_cards(
    *, under_id: int | None = None, first: int, after: int | None = None
) -> Page[RoleAssignment]:
    """Public duty cards (便民服务牌): open duty roles under an area, with the holder."""
    query = RoleAssignment.filter(until=None, role__in=list(DUTY_CARD_ROLES))
    if under_id is not None:
        query = query.filter(in_subtree((await get_area(area_id=under_id)).path, "area_path"))
    return await paginate(query, first=first, after=after)


async def role_assignments_by_ids(
    *, actor: Actor | None, assignment_ids: list[int]
) -> list[RoleAssignment | None]:
    """Role assignments for the ids: duty roles in office are public, the rest in scope only."""
    found = {r.id: r for r in await RoleAssignment.filter(id__in=assignment_ids)}
    result: list[RoleAssignment | None] = []
    for aid in assignment_ids:
        r = found.get(aid)
        visible = r is not None and (
            (r.until is None and r.role in DUTY_CARD_ROLES)
            or (
                actor is not None
                and (r.person_id == actor.person_id or actor.reads(r.area_path or "-"))
            )
        )
        result.append(r if visible else None)
    return result


async def duty_cards_by_ids(*, card_ids: list[int]) -> list[RoleAssignment | None]:
    """Duty cards (open duty-role assignments) for the ids; public."""
    found = {
        r.id: r
        for r in await RoleAssignment.filter(
            id__in=card_ids, until=None, role__in=list(DUTY_CARD_ROLES)
        )
    }
    return [found.get(i) for i in card_ids]


async def card_holders(*, person_ids: list[int]) -> list[Person | None]:
    """The people behind duty cards (name and phone are published on the card)."""
    found = {p.id: p for p in await Person.filter(id__in=person_ids)}
    return [found.get(i) for i in person_ids]
