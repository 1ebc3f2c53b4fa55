"""The resource list (资源清单) of each unit and the need list (需求清单) of communities and grids.

Both lists are readable by every signed-in user (they hang on the community's wall). A unit's
managers edit its resource entries; the admins and leaders of an area edit its need entries.
Remaining and committed quantities change only by conditional UPDATEs (here and in matching),
so an edit never takes back what a match has committed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from services.enums import (
    AreaLevel,
    NeedStatus,
    ResourceCategory,
    ResourceStatus,
    Urgency,
)
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.grids import clean_text, get_area
from services.kit import clock, db
from services.kit.auth import Actor, require_actor
from services.kit.pagination import Page, Window, paginate
from services.kit.paths import community_path, subtree_bounds
from services.models import Area, NeedEntry, ResourceArea, ResourceOffer
from services.partners.units import managed_unit
from services.points import Source

MAX_QUANTITY = 10_000_000
MAX_SERVED = 20
MAX_SOURCES = 20
SERVED_LEVELS = (AreaLevel.DISTRICT, AreaLevel.STREET, AreaLevel.COMMUNITY)


@dataclass(frozen=True)
class ResourceInput:
    """A new resource entry's fields."""

    category: ResourceCategory | None = None
    title: str | None = None
    description: str | None = None
    quantity: int | None = None
    unit_label: str | None = None
    available_from: datetime | None = None
    available_until: datetime | None = None
    served_area_ids: list[int] | None = None


@dataclass(frozen=True)
class NeedInput:
    """A new need entry's fields."""

    category: ResourceCategory | None = None
    title: str | None = None
    description: str | None = None
    quantity: int | None = None
    unit_label: str | None = None
    urgency: Urgency | None = None
    deadline: datetime | None = None
    place: str | None = None
    sources: list[Source] | None = None


def _check_quantity(quantity: int) -> int:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidInput(f"A quantity is 1 to {MAX_QUANTITY}.", field="quantity")
    return quantity


def _check_time(value: datetime, field: str) -> datetime:
    """An aware time, stored in UTC: SQLite compares stored times as text, so every stored
    time has the same offset."""
    if value.tzinfo is None:
        raise InvalidInput("Give times with an offset.", field=field)
    return value.astimezone(UTC)


async def _served_areas(area_ids: list[int]) -> list[Area]:
    unique = list(dict.fromkeys(area_ids))
    if not 1 <= len(unique) <= MAX_SERVED:
        raise InvalidInput(f"Serve 1 to {MAX_SERVED} areas.", field="servedAreaIds")
    found = {a.id: a for a in await Area.filter(id__in=unique)}
    areas = []
    for area_id in unique:
        area = found.get(area_id)
        if area is None:
            raise NotFound("No such area.", field="servedAreaIds")
        if area.level not in SERVED_LEVELS:
            raise InvalidInput(
                "A resource serves communities (or whole streets or the district).",
                field="servedAreaIds",
            )
        areas.append(area)
    return areas


def check_resource(
    *, title: str, description: str | None, unit_label: str | None, quantity: int
) -> tuple[str, str, str, int]:
    """A resource entry's title, description, unit label and quantity as postResource and the
    import take them (InvalidInput on the field otherwise)."""
    return (
        clean_text(title, field="title", max_length=100),
        clean_text(description or "", field="description", max_length=1000, required=False),
        clean_text(unit_label or "", field="unitLabel", max_length=20),
        _check_quantity(quantity),
    )


async def set_quantity(resource_id: int, quantity: int) -> bool:
    """Set a resource's quantity, moving its remaining quantity by the same amount; False (and
    nothing changed) when matches have committed more than the new quantity. One conditional
    UPDATE relative to the committed part: a concurrent acceptance keeps its decrement."""
    rows = await db.execute(
        "UPDATE resource_offer SET remaining = remaining + (? - quantity), quantity = ? "
        "WHERE id = ? AND remaining + (? - quantity) >= 0 RETURNING id",
        [quantity, quantity, resource_id, quantity],
    )
    return bool(rows)


async def post_resource(*, actor: Actor | None, unit_id: int, data: ResourceInput) -> ResourceOffer:
    """Add an entry to a unit's resource list (its managers). It serves the unit's community
    unless other areas are named."""
    actor = require_actor(actor)
    if data.category is None or data.title is None or data.quantity is None:
        raise InvalidInput("A resource needs a category, a title and a quantity.", field="title")
    title, description, label, quantity = check_resource(
        title=data.title,
        description=data.description,
        unit_label=data.unit_label,
        quantity=data.quantity,
    )
    start = _check_time(data.available_from, "availableFrom") if data.available_from else None
    end = _check_time(data.available_until, "availableUntil") if data.available_until else None
    if start and end and end <= start:
        raise InvalidInput(
            "`availableUntil` must be after `availableFrom`.", field="availableUntil"
        )
    unit = await managed_unit(actor, unit_id)
    served = await _served_areas(data.served_area_ids or [unit.community_id])
    moment = clock.now()
    async with in_transaction():
        offer = await ResourceOffer.create(
            unit_id=unit.id,
            community_path=unit.community_path,
            category=data.category,
            title=title,
            description=description,
            quantity=quantity,
            unit_label=label,
            remaining=quantity,
            available_from=start,
            available_until=end,
            status=ResourceStatus.OPEN,
            created_by_id=actor.person_id,
            created_at=moment,
            updated_at=moment,
        )
        await _write_served(offer, served)
    return offer


async def _write_served(offer: ResourceOffer, served: list[Area]) -> None:
    await ResourceArea.filter(resource_id=offer.id).delete()
    await ResourceArea.bulk_create(
        [
            ResourceArea(
                resource_id=offer.id,
                area_id=a.id,
                area_path=a.path,
                area_level=a.level,
                category=offer.category,
            )
            for a in served
        ]
    )


async def update_resource(
    *, actor: Actor | None, resource_id: int, changes: Mapping[str, Any]
) -> ResourceOffer:
    """Change a resource entry (managers of its unit). `changes` holds the fields of
    ResourceInput that were given: a window end given as None is cleared, any other field
    given as None stays as it is. A new quantity moves the remaining quantity by the same
    amount and may not take back what matches have committed; the category stays (matches and
    rewards refer to it)."""
    actor = require_actor(actor)
    offer = await ResourceOffer.get_or_none(id=resource_id)
    if offer is None:
        raise NotFound("No such resource.", field="resourceId")
    await managed_unit(actor, offer.unit_id, field="resourceId")
    category = changes.get("category")
    if category is not None and category is not offer.category:
        raise InvalidInput("The category of a resource stays; post a new one.", field="category")
    # Only the fields given are written: a concurrent edit of other fields is kept.
    written: list[str] = []
    if (title := changes.get("title")) is not None:
        offer.title = clean_text(title, field="title", max_length=100)
        written.append("title")
    if (description := changes.get("description")) is not None:
        offer.description = clean_text(
            description, field="description", max_length=1000, required=False
        )
        written.append("description")
    if (unit_label := changes.get("unit_label")) is not None:
        offer.unit_label = clean_text(unit_label, field="unitLabel", max_length=20)
        written.append("unit_label")
    for name, camel in (("available_from", "availableFrom"), ("available_until", "availableUntil")):
        if name in changes:
            value = changes[name]
            setattr(offer, name, None if value is None else _check_time(value, camel))
            written.append(name)
    if (
        offer.available_from is not None
        and offer.available_until is not None
        and offer.available_until <= offer.available_from
    ):
        raise InvalidInput(
            "`availableUntil` must be after `availableFrom`.", field="availableUntil"
        )
    if (status := changes.get("status")) is not None:
        offer.status = status
        written.append("status")
    served_area_ids = changes.get("served_area_ids")
    served = await _served_areas(served_area_ids) if served_area_ids is not None else None
    quantity = changes.get("quantity")
    if quantity is not None:
        quantity = _check_quantity(quantity)
    async with in_transaction():
        if quantity is not None and not await set_quantity(offer.id, quantity):
            raise Conflict(
                "Matches have committed more than that; the quantity cannot go below it.",
                field="quantity",
            )
        offer.updated_at = clock.now()
        await offer.save(update_fields=[*written, "updated_at"])
        if served is not None:
            await _write_served(offer, served)
    return await ResourceOffer.get(id=offer.id)


def may_edit_need_at(actor: Actor, area_path: str) -> bool:
    """Admins and leaders of the area post and edit its needs (and act for it in matches)."""
    return actor.reads(area_path)


async def post_need(*, actor: Actor | None, area_id: int, data: NeedInput) -> NeedEntry:
    """Add an entry to the need list of a community, grid or micro-grid (its admins and
    leaders)."""
    actor = require_actor(actor)
    if data.category is None or data.title is None or data.quantity is None:
        raise InvalidInput("A need has a category, a title and a quantity.", field="title")
    title = clean_text(data.title, field="title", max_length=100)
    description = clean_text(
        data.description or "", field="description", max_length=1000, required=False
    )
    label = clean_text(data.unit_label or "", field="unitLabel", max_length=20)
    place = clean_text(data.place or "", field="place", max_length=200, required=False)
    quantity = _check_quantity(data.quantity)
    deadline = _future(data.deadline) if data.deadline is not None else None
    sources = _sources(data.sources or [])
    area = await get_area(area_id=area_id)
    community = community_path(area.path)
    if community is None:
        raise InvalidInput("Needs are posted by a community or one of its grids.", field="areaId")
    if not may_edit_need_at(actor, area.path):
        raise Forbidden("Admins and leaders of the area post its needs.", field="areaId")
    moment = clock.now()
    return await NeedEntry.create(
        area_id=area.id,
        area_path=area.path,
        community_id=int(community.strip("/").split("/")[-1]),
        community_path=community,
        category=data.category,
        title=title,
        description=description,
        quantity=quantity,
        unit_label=label,
        committed=0,
        urgency=data.urgency or Urgency.NORMAL,
        deadline=deadline,
        place=place,
        sources=sources,
        status=NeedStatus.OPEN,
        posted_by_id=actor.person_id,
        created_at=moment,
        updated_at=moment,
    )


def _future(deadline: datetime) -> datetime:
    deadline = _check_time(deadline, "deadline")
    if deadline <= clock.now():
        raise InvalidInput("The deadline has passed.", field="deadline")
    return deadline


def _sources(sources: list[Source]) -> list[list[str]]:
    if len(sources) > MAX_SOURCES:
        raise InvalidInput(f"Cite at most {MAX_SOURCES} requests.", field="sourceIds")
    return [[s.type, s.id] for s in dict.fromkeys(sources)]


async def update_need(
    *, actor: Actor | None, need_id: int, changes: Mapping[str, Any]
) -> NeedEntry:
    """Change a need entry (admins and leaders of its area): its details, quantity (never
    below what is committed), or status (OPEN ↔ CANCELLED; FULFILLED follows the quantities).
    `changes` holds the fields of NeedInput that were given: a deadline given as None is
    cleared, any other field given as None stays as it is."""
    actor = require_actor(actor)
    need = await NeedEntry.get_or_none(id=need_id)
    if need is None:
        raise NotFound("No such need.", field="needId")
    if not may_edit_need_at(actor, need.area_path):
        raise Forbidden("Admins and leaders of the area edit its needs.", field="needId")
    category = changes.get("category")
    if category is not None and category is not need.category:
        raise InvalidInput("The category of a need stays; post a new one.", field="category")
    values: dict[str, Any] = {}
    if (title := changes.get("title")) is not None:
        values["title"] = clean_text(title, field="title", max_length=100)
    if (description := changes.get("description")) is not None:
        values["description"] = clean_text(
            description, field="description", max_length=1000, required=False
        )
    if (unit_label := changes.get("unit_label")) is not None:
        values["unit_label"] = clean_text(unit_label, field="unitLabel", max_length=20)
    if (place := changes.get("place")) is not None:
        values["place"] = clean_text(place, field="place", max_length=200, required=False)
    if (urgency := changes.get("urgency")) is not None:
        values["urgency"] = urgency
    if "deadline" in changes:
        deadline = changes["deadline"]
        values["deadline"] = None if deadline is None else _future(deadline)
    if (sources := changes.get("sources")) is not None:
        values["sources"] = _sources(sources)
    status = changes.get("status")
    if status is NeedStatus.FULFILLED:
        raise InvalidInput("A need is fulfilled by accepted matches.", field="status")
    quantity = changes.get("quantity")
    if quantity is not None:
        quantity = _check_quantity(quantity)
    async with in_transaction():
        if quantity is not None:
            # Never below the committed part (checked in the same statement as the write, so a
            # concurrent acceptance cannot slip in between); FULFILLED follows the quantities.
            rows = await db.execute(
                "UPDATE need_entry SET quantity = ?, status = CASE "
                "WHEN status = 'CANCELLED' THEN status "
                "WHEN committed = ? THEN 'FULFILLED' ELSE 'OPEN' END "
                "WHERE id = ? AND committed <= ? RETURNING id",
                [quantity, quantity, need.id, quantity],
            )
            if not rows:
                raise Conflict(
                    "Matches have committed more than that; the quantity cannot go below it.",
                    field="quantity",
                )
        if status is NeedStatus.CANCELLED:
            changed = await NeedEntry.filter(id=need.id, status=NeedStatus.OPEN).update(
                status=NeedStatus.CANCELLED
            )
            if not changed:
                raise Conflict("Only an open need is cancelled.", field="status")
        elif status is NeedStatus.OPEN:
            rows = await db.execute(
                "UPDATE need_entry SET status = CASE WHEN committed = quantity THEN 'FULFILLED' "
                "ELSE 'OPEN' END WHERE id = ? AND status = 'CANCELLED' RETURNING id",
                [need.id],
            )
            if not rows:
                raise Conflict("Only a cancelled need is reopened.", field="status")
        values["updated_at"] = clock.now()
        await NeedEntry.filter(id=need.id).update(**values)
    return await NeedEntry.get(id=need.id)


def _under(area: Area) -> str:
    """Resources lie at their unit's community: below a community, look at the community."""
    return community_path(area.path) or area.path


async def list_resources(
    *,
    actor: Actor | None,
    under_id: int | None,
    category: ResourceCategory | None,
    available_only: bool,
    window: Window,
) -> Page[ResourceOffer]:
    """Resource entries of units based under an area (signed-in users), newest first;
    `available_only`: open, with something left, and inside their window now."""
    require_actor(actor)
    query = ResourceOffer.all()
    if under_id is not None:
        low, high = subtree_bounds(_under(await get_area(area_id=under_id)))
        query = query.filter(community_path__gte=low, community_path__lt=high)
    if category is not None:
        query = query.filter(category=category)
    if available_only:
        moment = clock.now()
        query = query.filter(
            Q(available_from__isnull=True) | Q(available_from__lte=moment),
            Q(available_until__isnull=True) | Q(available_until__gt=moment),
            status=ResourceStatus.OPEN,
            remaining__gt=0,
        )
    return await paginate(query, window, newest_first=True)


async def list_needs(
    *,
    actor: Actor | None,
    under_id: int | None,
    category: ResourceCategory | None,
    status: NeedStatus | None,
    window: Window,
) -> Page[NeedEntry]:
    """Need entries posted under an area (signed-in users), newest first."""
    require_actor(actor)
    query = NeedEntry.all()
    if under_id is not None:
        low, high = subtree_bounds((await get_area(area_id=under_id)).path)
        query = query.filter(area_path__gte=low, area_path__lt=high)
    if category is not None:
        query = query.filter(category=category)
    if status is not None:
        query = query.filter(status=status)
    return await paginate(query, window, newest_first=True)


async def resources_by_ids(
    *, actor: Actor | None, resource_ids: list[int]
) -> list[ResourceOffer | None]:
    """Resource entries for the ids (signed-in users), in order."""
    if actor is None:
        return [None for _ in resource_ids]
    found = {r.id: r for r in await ResourceOffer.filter(id__in=resource_ids)}
    return [found.get(i) for i in resource_ids]


async def needs_by_ids(*, actor: Actor | None, need_ids: list[int]) -> list[NeedEntry | None]:
    """Need entries for the ids (signed-in users), in order."""
    if actor is None:
        return [None for _ in need_ids]
    found = {n.id: n for n in await NeedEntry.filter(id__in=need_ids)}
    return [found.get(i) for i in need_ids]


async def served_areas_of(*, resource_ids: list[int]) -> list[list[int]]:
    """The area ids each resource serves; one query."""
    found: dict[int, list[int]] = {i: [] for i in resource_ids}
    for resource_id, area_id in (
        await ResourceArea.filter(resource_id__in=resource_ids)
        .order_by("id")
        .values_list("resource_id", "area_id")
    ):
        found[int(resource_id)].append(int(area_id))
    return [found[i] for i in resource_ids]


# The most offers a unit's own list shows (the newest; `resourceOffers` pages through them all):
# a bound the API's cost estimate relies on (`PartnerUnit.resourceOffers`).
UNIT_RESOURCES_LIMIT = 50


async def resources_of_units(*, unit_ids: list[int]) -> list[list[ResourceOffer]]:
    """Each unit's resource list, newest first, at most UNIT_RESOURCES_LIMIT each; one query."""
    found: dict[int, list[ResourceOffer]] = {i: [] for i in unit_ids}
    for r in await ResourceOffer.filter(unit_id__in=unit_ids).order_by("-id"):
        if len(found[r.unit_id]) < UNIT_RESOURCES_LIMIT:
            found[r.unit_id].append(r)
    return [found[i] for i in unit_ids]
