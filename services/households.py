"""Households (户), their members, and the central households (中心户) that look after them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tortoise.transactions import in_transaction

from services.care_links import HOUSEHOLD_MOVED, TAKEN_OVER, cared_households, end_care_links
from services.enums import AreaLevel, Role
from services.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from services.geo.boundaries import lies_inside, require_inside
from services.geo.points import GeoPoint
from services.grids import areas_by_ids, get_area, nested_rows
from services.kit.auth import Actor, require_actor
from services.kit.pagination import Page, PageKey, Window, page_from_rows, paginate
from services.kit.paths import SUBTREE_END, in_subtree
from services.models import Area, CareLink, Household, Person, RoleAssignment
from services.people import MAX_HOUSEHOLD_MEMBERS, make_room_in_household, person_to_place


def _text(value: str | None, *, field: str, max_length: int, required: bool = False) -> str | None:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"`{field}` must not be empty.", field=field)
    if len(text) > max_length:
        raise InvalidInput(f"`{field}` is longer than {max_length} characters.", field=field)
    return text or None


def _check_members(member_count: int) -> int:
    if member_count < 0 or member_count > MAX_HOUSEHOLD_MEMBERS:
        raise InvalidInput(
            f"A household has 0 to {MAX_HOUSEHOLD_MEMBERS} members.", field="memberCount"
        )
    return member_count


def _community_of(area: Area) -> int:
    """The id of the community an area lies in (or is)."""
    if area.level is AreaLevel.COMMUNITY:
        return area.id
    if area.level.rank < AreaLevel.COMMUNITY.rank:
        raise InvalidInput("Households are registered in a community.", field="areaId")
    return int(area.path.strip("/").split("/")[AreaLevel.COMMUNITY.rank])


async def can_read(actor: Actor | None, household: Household) -> bool:
    """Admins and leaders of its area, its members, and its central household (while that
    role lasts) may read it."""
    if actor is None:
        return False
    if actor.reads(household.path) or actor.household_id == household.id:
        return True
    return household.id in await cared_households(actor, {household.id: household.path})


async def get_household(*, actor: Actor | None, household_id: int) -> Household:
    """A household the actor may read (NotFound otherwise, so ids cannot be probed)."""
    household = await Household.get_or_none(id=household_id)
    if household is None or not await can_read(actor, household):
        raise NotFound("No such household.", field="householdId")
    return household


async def households_by_ids(
    *, actor: Actor | None, household_ids: list[int]
) -> list[Household | None]:
    """Households for the ids in order; None where missing or not readable."""
    found = {h.id: h for h in await Household.filter(id__in=household_ids)}
    cared = await cared_households(actor, {h.id: h.path for h in found.values()})
    result: list[Household | None] = []
    for hid in household_ids:
        h = found.get(hid)
        ok = (
            h is not None
            and actor is not None
            and (actor.reads(h.path) or actor.household_id == h.id or h.id in cared)
        )
        result.append(h if ok else None)
    return result


async def list_households(*, actor: Actor | None, area_id: int, window: Window) -> Page[Household]:
    """Households under an area, for admins and leaders of that area."""
    (page,) = await household_pages(actor=actor, keys=[PageKey(area_id, window)])
    if isinstance(page, Exception):
        raise page
    return page


async def create_household(
    *,
    actor: Actor | None,
    area_id: int,
    address: str,
    building: str | None = None,
    unit: str | None = None,
    room: str | None = None,
    member_count: int = 1,
    position: GeoPoint | None = None,
) -> Household:
    """Register a household in a micro-grid (assigned) or a community (not yet assigned),
    optionally with its position on the map (either datum; stored in WGS-84), which must lie
    inside the micro-grid's boundary when it has one."""
    actor = require_actor(actor)
    point = None if position is None else position.wgs84(field="position")
    clean_address = _text(address, field="address", max_length=200, required=True)
    building = _text(building, field="building", max_length=20)
    unit = _text(unit, field="unit", max_length=20)
    room = _text(room, field="room", max_length=20)
    member_count = _check_members(member_count)
    area = await get_area(area_id=area_id)
    actor.require_admin_of(area.path, "register households")
    if area.level not in (AreaLevel.COMMUNITY, AreaLevel.MICRO_GRID):
        raise InvalidInput("Register a household in a micro-grid or a community.", field="areaId")
    community_id = _community_of(area)
    if point is not None and area.level is AreaLevel.MICRO_GRID:
        await require_inside(area.id, point, field="position")
    household = await Household.create(
        community_id=community_id,
        micro_grid_id=area.id if area.level is AreaLevel.MICRO_GRID else None,
        path=area.path,
        address=clean_address,
        building=building,
        unit=unit,
        room=room,
        member_count=member_count,
        longitude=None if point is None else point[0],
        latitude=None if point is None else point[1],
    )
    household.number = default_number(household.id)
    await Household.filter(id=household.id).update(number=household.number)
    return household


async def update_household(
    *, actor: Actor | None, household_id: int, changes: Mapping[str, Any]
) -> Household:
    """Change a household's details (admins of its area). `changes` holds the fields to
    change, a field left out stays: `position` (a GeoPoint in either datum, stored in WGS-84;
    None clears it), which must lie inside its micro-grid's boundary when that has one."""
    actor = require_actor(actor)
    unknown = set(changes) - {"position"}
    if unknown:
        raise InvalidInput(f"Unknown household fields: {sorted(unknown)}.")
    household = await Household.get_or_none(id=household_id)
    if household is None or not actor.reads(household.path):
        raise NotFound("No such household.", field="householdId")
    actor.require_admin_of(household.path, "change households")
    values: dict[str, Any] = {}
    if "position" in changes:
        position: GeoPoint | None = changes["position"]
        point = None if position is None else position.wgs84(field="position")
        if point is not None and household.micro_grid_id is not None:
            await require_inside(household.micro_grid_id, point, field="position")
        values["longitude"] = None if point is None else point[0]
        values["latitude"] = None if point is None else point[1]
    if values:
        await Household.filter(id=household.id).update(**values)
    return await Household.get(id=household.id)


def default_number(household_id: int) -> str:
    """The number (户号) of a household registered without one: "H" + its id on 8 digits
    (migration 0030 gave every earlier household the same), so every household has a number
    that exports write and imports match."""
    return f"H{household_id:08d}"


# The form of default numbers: "H" and 8 or more digits (ids from 100,000,000 on take 9).
_DEFAULT_FORM = re.compile(r"H[0-9]{8,}")


def reserved_number_problem(number: str) -> str | None:
    """Why a number (户号) given for a new household cannot be stored (None if it can): the
    default form is reserved for default_number, since a household registered later would get
    the same number. A stored household keeps the number it has, default form or not (so an
    export imports back): callers ask only for a number no household holds yet."""
    if not _DEFAULT_FORM.fullmatch(number):
        return None
    return (
        f"户号 {number} has the form of the numbers given to new households (H and 8 digits), "
        "which is reserved for them; choose another number."
    )


async def assign_household(
    *, actor: Actor | None, household_id: int, micro_grid_id: int
) -> Household:
    """Put a household into a micro-grid of its community (full coverage: exactly one); its
    position is cleared when it lies outside the micro-grid's boundary."""
    actor = require_actor(actor)
    household = await Household.get_or_none(id=household_id)
    if household is None or not actor.reads(household.path):
        raise NotFound("No such household.", field="householdId")
    actor.require_admin_of(household.path, "move households")
    target = await get_area(area_id=micro_grid_id)
    if target.level is not AreaLevel.MICRO_GRID:
        raise InvalidInput("Households are assigned to micro-grids.", field="microGridId")
    actor.require_admin_of(target.path, "move households")
    if _community_of(target) != household.community_id:
        raise InvalidInput("The micro-grid lies in another community.", field="microGridId")
    if target.id == household.micro_grid_id:
        return household  # already there: a retried request must not drop its care link
    # A central household lives in the micro-grid it serves (see people.assign_role).
    if household.micro_grid_id is not None and await RoleAssignment.exists(
        person__household_id=household.id,
        role=Role.CENTRAL_HOUSEHOLD,
        area_id=household.micro_grid_id,
        until=None,
    ):
        raise Conflict(
            "A member is a central household of this micro-grid; end that role first.",
            field="householdId",
        )
    # A position outside the new micro-grid's boundary would put the household on the map in
    # another micro-grid than its own: it is cleared (to be given again).
    cleared: dict[str, Any] = {}
    if (
        household.longitude is not None
        and household.latitude is not None
        and not await lies_inside(target.id, (household.longitude, household.latitude))
    ):
        cleared = {"longitude": None, "latitude": None}
    async with in_transaction():
        await Household.filter(id=household.id).update(
            micro_grid_id=target.id, path=target.path, **cleared
        )
        # A central household looks after neighbours in its own micro-grid only.
        await end_care_links(household_id=household.id, reason=HOUSEHOLD_MOVED)
    return await Household.get(id=household.id)


async def add_member(*, actor: Actor | None, household_id: int, person_id: int) -> Person:
    """Record that a person lives in a household (a join request approved by an admin)."""
    actor = require_actor(actor)
    household = await Household.get_or_none(id=household_id)
    if household is None or not actor.reads(household.path):
        raise NotFound("No such household.", field="householdId")
    actor.require_admin_of(household.path, "change households")
    person = await person_to_place(actor=actor, person_id=person_id)
    if person.household_id == household.id:
        return person
    if person.household_id is not None:
        raise Conflict("The person already lives in another household.", field="personId")
    async with in_transaction():
        await make_room_in_household(household.id)
        if not await Person.filter(id=person.id, household_id=None).update(
            household_id=household.id
        ):
            raise Conflict("The person already lives in another household.", field="personId")
    return await Person.get(id=person.id)


async def link_central_household(
    *, actor: Actor | None, household_id: int, central_person_id: int
) -> CareLink:
    """Put a household in the care of a central household of its micro-grid (replacing any)."""
    actor = require_actor(actor)
    household = await Household.get_or_none(id=household_id)
    if household is None or not actor.reads(household.path):
        raise NotFound("No such household.", field="householdId")
    actor.require_admin_of(household.path, "link central households")
    if household.micro_grid_id is None:
        raise InvalidInput("Assign the household to a micro-grid first.", field="householdId")
    holds_role = await RoleAssignment.exists(
        person_id=central_person_id,
        role=Role.CENTRAL_HOUSEHOLD,
        area_id=household.micro_grid_id,
        until=None,
    )
    if not holds_role:
        raise InvalidInput(
            "That person is not a central household of this micro-grid.", field="centralPersonId"
        )
    async with in_transaction():
        current = await CareLink.get_or_none(household_id=household.id)
        if current is not None and current.central_id == central_person_id:
            return current  # linked already: a retried request keeps the link (and its age)
        await end_care_links(household_id=household.id, reason=TAKEN_OVER)
        return await CareLink.create(household_id=household.id, central_id=central_person_id)


async def care_links_by_household(*, household_ids: list[int]) -> list[CareLink | None]:
    """The care link of each household (None where none); one query."""
    found = {c.household_id: c for c in await CareLink.filter(household_id__in=household_ids)}
    return [found.get(i) for i in household_ids]


async def members_by_household(*, household_ids: list[int]) -> list[list[Person]]:
    """The people living in each household; one query."""
    members: dict[int, list[Person]] = {i: [] for i in household_ids}
    for person in await Person.filter(household_id__in=household_ids).order_by("id"):
        if person.household_id is not None:
            members[person.household_id].append(person)
    return [members[i] for i in household_ids]


async def household_pages(
    *, actor: Actor | None, keys: list[PageKey]
) -> list[Page[Household] | Exception]:
    """Households pages under many areas at once, for the admins and leaders of each area."""
    found = await areas_by_ids(area_ids=[k.owner for k in keys])
    areas = {area.id: area for area in found if area is not None}
    allowed = [
        k
        for k in keys
        if k.owner in areas and actor is not None and actor.reads(areas[k.owner].path)
    ]
    pages: dict[PageKey, Page[Household]] = {}
    if len(allowed) == 1:
        # One owner: a plain LIMIT query (numbering the rows of a large subtree, such as a
        # whole district, would read all of them).
        (key,) = allowed
        query = Household.filter(in_subtree(areas[key.owner].path))
        pages[key] = await paginate(query, key.window)
    elif allowed:
        rows = await nested_rows(
            allowed,
            "a.id AS owner_id, x.*",
            f"x.path >= a.path AND x.path < {SUBTREE_END}",
            Household,
        )
        for k in allowed:
            pages[k] = page_from_rows(
                rows[k],
                [r.id for r in rows[k]],
                k.window,
                count=Household.filter(in_subtree(areas[k.owner].path)).count,
            )
    result: list[Page[Household] | Exception] = []
    for k in keys:
        if k.owner not in areas:
            result.append(NotFound("No such area.", field="areaId"))
        elif actor is None:
            result.append(Unauthenticated("Sign in first."))
        elif k not in pages:
            result.append(Forbidden("Only admins and leaders of the area may list its households."))
        else:
            result.append(pages[k])
    return result
