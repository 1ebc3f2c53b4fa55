"""Party units (党组织) at each level of the net, their secretaries and members.

A unit is attached to an area of its level (区委 to the district, 街道党工委 to a street, 社区党委/
总支 to a community, 网格党支部 to a grid, 党小组 to a micro-grid), one active unit per area and
kind. The admins of the area set it up, edit it, add and remove members and dissolve it.
Secretaries and members are people: a party member the admin may place (in their view, or a
new sign-up placed nowhere yet). The secretary is always a member. A person is in at most one
unit of each level at a time. Dissolved units and ended memberships are kept as history.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from services.enums import PARTY_UNIT_LEVEL, PartyUnitKind
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.grids import clean_text, get_area
from services.kit import clock, db
from services.kit.auth import Actor, require_actor
from services.kit.pagination import Page, Window, paginate
from services.models import Area, PartyMembership, PartyUnit, Person
from services.people.persons import person_to_place

# The most units one person belongs to at once: one a level (a bound the API's cost estimate
# relies on, `Person.partyMemberships`).
MAX_MEMBERSHIPS = len(PartyUnitKind)


async def _unit_in_charge(actor: Actor, unit_id: int, what: str) -> tuple[PartyUnit, Area]:
    """An active unit and its area, which the actor administers."""
    unit = await PartyUnit.get_or_none(id=unit_id)
    if unit is None:
        raise NotFound("No such party unit.", field="partyUnitId")
    area = await get_area(area_id=unit.area_id)
    actor.require_admin_of(area.path, what)
    if unit.dissolved_at is not None:
        raise Conflict("The party unit was dissolved.", field="partyUnitId")
    return unit, area


async def _party_member(actor: Actor, person_id: int, field: str) -> Person:
    """A person the actor may place in a unit (NotFound for anyone out of their reach)."""
    try:
        return await person_to_place(actor=actor, person_id=person_id)
    except NotFound as exc:
        raise NotFound("No such person.", field=field) from exc


async def _join(actor: Actor, unit: PartyUnit, person: Person, field: str) -> PartyMembership:
    """Inside a transaction: an open membership of the unit for the person, recorded as a
    party member (党员). Conflict if they are in the unit, or another of its level, already."""
    open_ = await PartyMembership.filter(person_id=person.id, left_at=None, kind=unit.kind).first()
    if open_ is not None:
        raise Conflict(
            "The person is in this unit already."
            if open_.unit_id == unit.id
            else "The person is in another unit of this level; remove them there first.",
            field=field,
        )
    if not person.party_member:
        await Person.filter(id=person.id).update(party_member=True)
    return await PartyMembership.create(
        unit_id=unit.id,
        person_id=person.id,
        kind=unit.kind,
        joined_at=clock.now(),
        added_by_id=actor.person_id,
    )


async def create_unit(
    *,
    actor: Actor | None,
    area_id: int,
    kind: PartyUnitKind,
    name: str,
    secretary_id: int | None = None,
    secretary_name: str | None = None,
) -> PartyUnit:
    """Attach a party unit to an area of its level (the admins of the area). A secretary given
    by id becomes its first member; a name alone is kept as text (a secretary not on record)."""
    actor = require_actor(actor)
    area = await get_area(area_id=area_id)
    actor.require_admin_of(area.path, "set up party units")
    if PARTY_UNIT_LEVEL[kind] is not area.level:
        raise InvalidInput(
            f"A {kind.value} belongs to a {PARTY_UNIT_LEVEL[kind].value}.", field="kind"
        )
    name = clean_text(name, field="name", max_length=100)
    text = clean_text(secretary_name or "", field="secretaryName", max_length=50, required=False)
    if secretary_id is not None and text:
        raise InvalidInput("Name the secretary by id or by name, not both.", field="secretaryName")
    secretary = (
        await _party_member(actor, secretary_id, "secretaryId")
        if secretary_id is not None
        else None
    )
    try:
        async with in_transaction():
            if await PartyUnit.exists(area_id=area.id, kind=kind, dissolved_at=None):
                raise Conflict(f"{area.name} already has a {kind.value}.", field="kind")
            unit = await PartyUnit.create(
                area_id=area.id,
                kind=kind,
                name=name,
                secretary_id=secretary.id if secretary else None,
                secretary_name=text or None,
                created_at=clock.now(),
            )
            if secretary is not None:
                await _join(actor, unit, secretary, "secretaryId")
    except IntegrityError as exc:  # a concurrent creation won the partial unique index
        raise Conflict(f"{area.name} already has a {kind.value}.", field="kind") from exc
    return unit


async def update_unit(
    *, actor: Actor | None, unit_id: int, changes: Mapping[str, Any]
) -> PartyUnit:
    """Rename a unit or change its secretary (the admins of its area). `changes` holds what was
    given: `name`; `secretary_id` (a party member, who becomes a member if not one yet; None
    clears the secretary). Naming a person drops the secretary's free-text name."""
    actor = require_actor(actor)
    unit, _ = await _unit_in_charge(actor, unit_id, "edit party units")
    written: list[str] = []
    if (name := changes.get("name")) is not None:
        unit.name = clean_text(name, field="name", max_length=100)
        written.append("name")
    secretary: Person | None = None
    if "secretary_id" in changes:
        if (secretary_id := changes["secretary_id"]) is not None:
            secretary = await _party_member(actor, secretary_id, "secretaryId")
        unit.secretary_id = secretary.id if secretary else None
        unit.secretary_name = None
        written += ["secretary_id", "secretary_name"]
    if not written:
        return unit
    try:
        async with in_transaction():
            # Written only while the unit is active: a concurrent dissolution wins.
            if not await PartyUnit.filter(id=unit.id, dissolved_at=None).update(
                **{column: getattr(unit, column) for column in written}
            ):
                raise Conflict("The party unit was dissolved.", field="partyUnitId")
            if secretary is not None and not await PartyMembership.exists(
                unit_id=unit.id, person_id=secretary.id, left_at=None
            ):
                await _join(actor, unit, secretary, "secretaryId")
    except IntegrityError as exc:
        raise Conflict("The person is in another unit of this level.", field="secretaryId") from exc
    return await PartyUnit.get(id=unit.id)


async def add_member(*, actor: Actor | None, unit_id: int, person_id: int) -> PartyMembership:
    """Add a party member to a unit (the admins of its area); a person not yet recorded as a
    party member (党员) is recorded as one. One unit of each level a person at a time."""
    actor = require_actor(actor)
    unit, _ = await _unit_in_charge(actor, unit_id, "add party members")
    person = await _party_member(actor, person_id, "personId")
    try:
        async with in_transaction():
            # The unit's row is locked (a no-op write) so that a dissolution and an addition
            # serialize: nobody joins a unit that was dissolved meanwhile.
            if not await PartyUnit.filter(id=unit.id, dissolved_at=None).update(name=unit.name):
                raise Conflict("The party unit was dissolved.", field="partyUnitId")
            return await _join(actor, unit, person, "personId")
    except IntegrityError as exc:  # a concurrent addition won a partial unique index
        raise Conflict("The person is in a unit of this level already.", field="personId") from exc


async def remove_member(
    *, actor: Actor | None, unit_id: int, person_id: int, reason: str | None = None
) -> PartyMembership:
    """End a person's membership of a unit (the admins of its area), kept as history. The
    secretary stays: name another (or none) with updatePartyUnit first."""
    actor = require_actor(actor)
    unit, _ = await _unit_in_charge(actor, unit_id, "remove party members")
    note = clean_text(reason or "", field="reason", max_length=500, required=False)
    membership = await PartyMembership.get_or_none(
        unit_id=unit.id, person_id=person_id, left_at=None
    )
    if membership is None:
        raise NotFound("The person is not a member of this unit.", field="personId")
    if unit.secretary_id == person_id:
        raise Conflict(
            "The secretary stays a member; name another secretary first.", field="personId"
        )
    changed = await PartyMembership.filter(id=membership.id, left_at=None).update(
        left_at=clock.now(), removed_by_id=actor.person_id, leave_reason=note or None
    )
    if not changed:
        raise Conflict("The person left this unit already.", field="personId")
    return await PartyMembership.get(id=membership.id)


async def dissolve_unit(*, actor: Actor | None, unit_id: int, reason: str) -> PartyUnit:
    """Dissolve a unit (the admins of its area), with a reason: it is kept with its secretary
    and members as history (their memberships end now) and no longer listed as active, so the
    area may have a new one."""
    actor = require_actor(actor)
    note = clean_text(reason, field="reason", max_length=500)
    unit, _ = await _unit_in_charge(actor, unit_id, "dissolve party units")
    moment = clock.now()
    async with in_transaction():
        if not await PartyUnit.filter(id=unit.id, dissolved_at=None).update(
            dissolved_at=moment, dissolved_by_id=actor.person_id, dissolve_reason=note
        ):
            raise Conflict("The party unit was dissolved already.", field="partyUnitId")
        await PartyMembership.filter(unit_id=unit.id, left_at=None).update(
            left_at=moment, removed_by_id=actor.person_id, leave_reason="the unit was dissolved"
        )
    return await PartyUnit.get(id=unit.id)


async def units_by_area(*, area_ids: list[int]) -> list[list[PartyUnit]]:
    """The active party units of each area (public, like the areas); one query."""
    units: dict[int, list[PartyUnit]] = {i: [] for i in area_ids}
    for unit in await PartyUnit.filter(area_id__in=area_ids, dissolved_at=None).order_by("id"):
        units[unit.area_id].append(unit)
    return [units[i] for i in area_ids]


async def dissolved_units(*, area_id: int, window: Window) -> Page[PartyUnit]:
    """The units of an area that were dissolved (history, public), latest first."""
    return await paginate(
        PartyUnit.filter(area_id=area_id, dissolved_at__isnull=False),
        window,
        newest_first=True,
    )


async def units_by_ids(*, unit_ids: list[int]) -> list[PartyUnit | None]:
    """Party units for the ids, in order, dissolved ones included (public); one query."""
    found = {u.id: u for u in await PartyUnit.filter(id__in=unit_ids)}
    return [found.get(i) for i in unit_ids]


async def _units_in_view(actor: Actor | None, units: list[PartyUnit]) -> set[int]:
    """The units whose members the actor may see: admins and leaders of the unit's area,
    and the unit's own members (current or past)."""
    if actor is None or not units:
        return set()
    areas = {a.id: a.path for a in await Area.filter(id__in=list({u.area_id for u in units}))}
    seen = {u.id for u in units if actor.reads(areas[u.area_id])}
    others = [u.id for u in units if u.id not in seen]
    if others:
        mine = await PartyMembership.filter(unit_id__in=others, person_id=actor.person_id)
        seen |= {m.unit_id for m in mine}
    return seen


async def unit_members(
    *, actor: Actor | None, unit: PartyUnit, window: Window
) -> Page[PartyMembership]:
    """A unit's current members (for a dissolved unit: those it had when dissolved), in the
    order they joined: for its members and the admins and leaders of its area."""
    actor = require_actor(actor)
    if unit.id not in await _units_in_view(actor, [unit]):
        raise Forbidden("Members are shown to the unit and to the admins of its area.")
    query = PartyMembership.filter(unit_id=unit.id)
    if unit.dissolved_at is None:
        query = query.filter(left_at=None)
    else:
        query = query.filter(left_at=unit.dissolved_at)
    return await paginate(query, window)


async def member_counts(*, unit_ids: list[int]) -> list[int]:
    """Current members of each unit (a public aggregate); one query."""
    if not unit_ids:
        return []
    marks = ",".join("?" for _ in unit_ids)
    rows = await db.fetch(
        f"SELECT unit_id, COUNT(*) AS n FROM party_membership WHERE unit_id IN ({marks}) "
        "AND left_at IS NULL GROUP BY unit_id",
        list(unit_ids),
    )
    counts = {int(r["unit_id"]): int(r["n"]) for r in rows}
    return [counts.get(i, 0) for i in unit_ids]


async def memberships_by_person(*, person_ids: list[int]) -> list[list[PartyMembership]]:
    """Each person's current memberships (one a level at most), top level first; one query."""
    found: dict[int, list[PartyMembership]] = {i: [] for i in person_ids}
    order = list(PartyUnitKind)
    for m in await PartyMembership.filter(person_id__in=person_ids, left_at=None):
        found[m.person_id].append(m)
    return [sorted(found[i], key=lambda m: order.index(m.kind)) for i in person_ids]


async def memberships_by_ids(
    *, actor: Actor | None, membership_ids: list[int]
) -> list[PartyMembership | None]:
    """Memberships the actor may see: their own, and those of the units whose members they
    may see (`unit_members`)."""
    if actor is None:
        return [None for _ in membership_ids]
    found = {m.id: m for m in await PartyMembership.filter(id__in=membership_ids)}
    units = await PartyUnit.filter(id__in=list({m.unit_id for m in found.values()}))
    in_view = await _units_in_view(actor, units)
    return [
        m
        if (m := found.get(i)) is not None
        and (m.person_id == actor.person_id or m.unit_id in in_view)
        else None
        for i in membership_ids
    ]
