"""Sunk-down cadres (下沉干部): unit members assigned to grids for a period, and what they did
there (平战融合: lectures, home medical visits, clean-ups, and in an emergency whatever the
grid needs)."""

from __future__ import annotations

from datetime import date

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from services.enums import AreaLevel, PartnerUnitStatus
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.grids import clean_text, get_area
from services.kit import clock, db
from services.kit.auth import Actor, require_actor
from services.kit.pagination import Page, Window, paginate
from services.kit.paths import subtree_bounds
from services.models import CadreAssignment, CadreService, PartnerMember
from services.partners.units import get_unit

MAX_DAYS = 366
MAX_MINUTES = 24 * 60


async def assign_cadre(
    *,
    actor: Actor | None,
    unit_id: int,
    person_id: int,
    area_id: int,
    starts_on: date,
    ends_on: date,
    duties: str,
) -> CadreAssignment:
    """Assign a member of an approved unit to a grid or micro-grid for a period (admins of that
    area). A cadre serves one grid at a time: overlapping periods are a Conflict."""
    actor = require_actor(actor)
    duties = clean_text(duties, field="duties", max_length=500, required=False)
    if ends_on < starts_on:
        raise InvalidInput("The period ends before it starts.", field="endsOn")
    if (ends_on - starts_on).days >= MAX_DAYS:
        raise InvalidInput(f"An assignment lasts at most {MAX_DAYS} days.", field="endsOn")
    area = await get_area(area_id=area_id)
    if area.level not in (AreaLevel.GRID, AreaLevel.MICRO_GRID):
        raise InvalidInput("Cadres are sunk to a grid or micro-grid.", field="areaId")
    actor.require_admin_of(area.path, "assign cadres")
    unit = await get_unit(actor, unit_id)
    if unit.status is not PartnerUnitStatus.APPROVED:
        raise Conflict("The unit is not approved by its community yet.", field="unitId")
    if not await PartnerMember.exists(unit_id=unit.id, person_id=person_id, left_at=None):
        raise NotFound("No such member of this unit.", field="personId")
    async with in_transaction():
        # The person's row first (a no-op write): two assignments of the same cadre serialize
        # on it on PostgreSQL too, so the overlap check below sees the other one.
        await db.execute("UPDATE person SET name = name WHERE id = ? RETURNING id", [person_id])
        assignment = await CadreAssignment.create(
            unit_id=unit.id,
            person_id=person_id,
            area_id=area.id,
            area_path=area.path,
            starts_on=starts_on,
            ends_on=ends_on,
            duties=duties,
            assigned_by_id=actor.person_id,
            created_at=clock.now(),
        )
        if await CadreAssignment.filter(
            person_id=person_id,
            starts_on__lte=ends_on,
            ends_on__gte=starts_on,
            id__not=assignment.id,
        ).exists():
            raise Conflict("The cadre is assigned elsewhere in that period.", field="startsOn")
    return assignment


async def record_service(
    *, actor: Actor | None, assignment_id: int, served_on: date, minutes: int, description: str
) -> CadreService:
    """Record a day of service: the cadre themselves, or admins and leaders of the area, for a
    day inside the assignment and not in the future."""
    actor = require_actor(actor)
    description = clean_text(description, field="description", max_length=500)
    assignment = await CadreAssignment.get_or_none(id=assignment_id)
    if assignment is None:
        raise NotFound("No such cadre assignment.", field="assignmentId")
    if assignment.person_id != actor.person_id and not actor.reads(assignment.area_path):
        raise Forbidden(
            "The cadre and the admins and leaders of the area record service.",
            field="assignmentId",
        )
    if not assignment.starts_on <= served_on <= assignment.ends_on:
        raise InvalidInput("That day is outside the assignment.", field="servedOn")
    if served_on > clock.today():
        raise InvalidInput("Service is recorded once it is done.", field="servedOn")
    if not 1 <= minutes <= MAX_MINUTES:
        raise InvalidInput(f"Minutes are 1 to {MAX_MINUTES}.", field="minutes")
    return await CadreService.create(
        assignment_id=assignment.id,
        served_on=served_on,
        minutes=minutes,
        description=description,
        recorded_by_id=actor.person_id,
        created_at=clock.now(),
    )


async def list_cadres(
    *,
    actor: Actor | None,
    under_id: int | None,
    unit_id: int | None,
    active_on: date | None,
    window: Window,
) -> Page[CadreAssignment]:
    """Cadre assignments under an area (or of a unit), newest first. The roster is public to
    signed-in users, like the duty cards of the grids they serve."""
    actor = require_actor(actor)
    query = CadreAssignment.all()
    if under_id is not None:
        low, high = subtree_bounds((await get_area(area_id=under_id)).path)
        query = query.filter(area_path__gte=low, area_path__lt=high)
    if unit_id is not None:
        await get_unit(actor, unit_id)
        query = query.filter(unit_id=unit_id)
    if active_on is not None:
        query = query.filter(Q(starts_on__lte=active_on), Q(ends_on__gte=active_on))
    return await paginate(query, window, newest_first=True)


async def cadres_by_ids(
    *, actor: Actor | None, assignment_ids: list[int]
) -> list[CadreAssignment | None]:
    """Assignments for the ids (signed-in users), in order."""
    if actor is None:
        return [None for _ in assignment_ids]
    found = {a.id: a for a in await CadreAssignment.filter(id__in=assignment_ids)}
    return [found.get(i) for i in assignment_ids]


# The most service records an assignment lists (the latest; `minutes_served` counts them all):
# a bound the API's cost estimate relies on (`CadreAssignment.services`).
SERVICES_LIMIT = 50


async def services_of(*, assignment_ids: list[int]) -> list[list[CadreService]]:
    """Each assignment's latest SERVICES_LIMIT service records, newest day first; one query."""
    found: dict[int, list[CadreService]] = {i: [] for i in assignment_ids}
    for s in await CadreService.filter(assignment_id__in=assignment_ids).order_by(
        "-served_on", "-id"
    ):
        if len(found[s.assignment_id]) < SERVICES_LIMIT:
            found[s.assignment_id].append(s)
    return [found[i] for i in assignment_ids]


async def minutes_served(*, assignment_ids: list[int]) -> list[int]:
    """Total minutes recorded per assignment; one query."""
    if not assignment_ids:
        return []
    marks = ",".join("?" for _ in assignment_ids)
    rows = await db.fetch(
        f"SELECT assignment_id, SUM(minutes) AS m FROM cadre_service "
        f"WHERE assignment_id IN ({marks}) GROUP BY assignment_id",
        list(assignment_ids),
    )
    found = {int(r["assignment_id"]): int(r["m"]) for r in rows}
    return [found.get(i, 0) for i in assignment_ids]
