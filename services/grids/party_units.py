"""Party units attached to areas (the parallel party organisation)."""

from __future__ import annotations

from services.enums import PARTY_UNIT_LEVEL, PartyUnitKind
from services.errors import Conflict, InvalidInput
from services.grids.areas import clean_text, get_area
from services.kit.auth import Actor, require_actor
from services.models import PartyUnit


async def party_units_by_area(*, area_ids: list[int]) -> list[list[PartyUnit]]:
    """The party units attached to each area; one query."""
    units: dict[int, list[PartyUnit]] = {i: [] for i in area_ids}
    for unit in await PartyUnit.filter(area_id__in=area_ids).order_by("id"):
        units[unit.area_id].append(unit)
    return [units[i] for i in area_ids]


async def create_party_unit(
    *,
    actor: Actor | None,
    area_id: int,
    kind: PartyUnitKind,
    name: str,
    secretary_name: str | None = None,
) -> PartyUnit:
    """Attach a party unit (党组织/党支部/党小组) to an area of the matching level."""
    actor = require_actor(actor)
    area = await get_area(area_id=area_id)
    actor.require_admin_of(area.path, "set up party units")
    if PARTY_UNIT_LEVEL[kind] is not area.level:
        raise InvalidInput(
            f"A {kind.value} belongs to a {PARTY_UNIT_LEVEL[kind].value}.", field="kind"
        )
    name = clean_text(name, field="name", max_length=100)
    if await PartyUnit.exists(area_id=area.id, kind=kind):
        raise Conflict(f"{area.name} already has a {kind.value}.", field="kind")
    return await PartyUnit.create(
        area_id=area.id,
        kind=kind,
        name=name,
        secretary_name=(secretary_name or "").strip() or None,
    )


async def party_units_by_ids(*, unit_ids: list[int]) -> list[PartyUnit | None]:
    """Party units for the ids, in order; one query."""
    found = {u.id: u for u in await PartyUnit.filter(id__in=unit_ids)}
    return [found.get(i) for i in unit_ids]
