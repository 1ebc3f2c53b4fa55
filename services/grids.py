"""The territory: areas, grid stations, contact groups, party units and coverage (全覆盖)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.models import Model
from tortoise.transactions import in_transaction

from services import db
from services.auth import Actor, require_actor, subtree_bounds
from services.enums import PARTY_UNIT_LEVEL, AreaKind, AreaLevel, PartyUnitKind, Role
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.models import Area, GridStation, PartyUnit
from services.pagination import Page, PageKey, page_from_rows, paginate


@dataclass(frozen=True)
class Coverage:
    """Full-coverage figures for one area."""

    households: int
    assigned_households: int
    unassigned_households: int
    micro_grids: int
    micro_grids_without_leader: int
    households_with_central_household: int

    @property
    def central_household_coverage(self) -> float:
        """Share (0..1) of households looked after by a central household."""
        return self.households_with_central_household / self.households if self.households else 0.0


@dataclass(frozen=True)
class StationInput:
    """A grid station's public details."""

    name: str
    address: str
    hours: str


def _clean_text(value: str, *, field: str, max_length: int, required: bool = True) -> str:
    text = value.strip()
    if required and not text:
        raise InvalidInput(f"`{field}` must not be empty.", field=field)
    if len(text) > max_length:
        raise InvalidInput(f"`{field}` is longer than {max_length} characters.", field=field)
    return text


def in_subtree(path: str, column: str = "path") -> Q:
    """A filter for rows whose `column` path lies under `path` (index range scan)."""
    low, high = subtree_bounds(path)
    return Q(**{f"{column}__gte": low, f"{column}__lt": high})


async def get_area(*, area_id: int) -> Area:
    """An area by id (the territory is public: the grid map hangs on the wall)."""
    area = await Area.get_or_none(id=area_id)
    if area is None:
        raise NotFound("No such area.", field="areaId")
    return area


async def areas_by_ids(*, area_ids: list[int]) -> list[Area | None]:
    """Areas for the ids, in order (None where missing); one query."""
    found = {a.id: a for a in await Area.filter(id__in=area_ids)}
    return [found.get(i) for i in area_ids]


def ancestor_ids(area: Area) -> list[int]:
    """Ids from the district down to the area's parent, read off the path."""
    return [int(part) for part in area.path.strip("/").split("/")[:-1]]


async def list_areas(
    *,
    level: AreaLevel | None = None,
    kind: AreaKind | None = None,
    under_id: int | None = None,
    parent_id: int | None = None,
    search: str | None = None,
    first: int,
    after: int | None = None,
) -> Page[Area]:
    """Areas filtered by level, kind, subtree, parent and name."""
    query = Area.all()
    if under_id is not None:
        query = query.filter(in_subtree((await get_area(area_id=under_id)).path))
    if parent_id is not None:
        query = query.filter(parent_id=parent_id)
    if level is not None:
        query = query.filter(level=level)
    if kind is not None:
        query = query.filter(kind=kind)
    if search:
        query = query.filter(name__icontains=search.strip())
    return await paginate(query, first=first, after=after)


async def _set_station(grid: Area, station: StationInput) -> None:
    if grid.level is not AreaLevel.GRID:
        raise InvalidInput("Only grids have a station (网格驿站).", field="station")
    values = {
        "name": _clean_text(station.name, field="station.name", max_length=100),
        "address": _clean_text(station.address, field="station.address", max_length=200),
        "hours": _clean_text(station.hours, field="station.hours", max_length=100),
    }
    await GridStation.update_or_create(defaults=values, grid_id=grid.id)


def _check_contact_link(link: str | None) -> str | None:
    if link is None:
        return None
    link = _clean_text(link, field="contactGroupLink", max_length=500, required=False)
    if link and not link.startswith(("https://", "http://", "weixin://")):
        raise InvalidInput(
            "The contact group link must be a web or WeChat link.", field="contactGroupLink"
        )
    return link or None


async def create_area(
    *,
    actor: Actor | None,
    parent_id: int,
    name: str,
    level: AreaLevel,
    kind: AreaKind = AreaKind.RESIDENTIAL,
    contact_group_name: str | None = None,
    contact_group_link: str | None = None,
    station: StationInput | None = None,
) -> Area:
    """Create an area under `parent_id`; the levels nest strictly in order."""
    actor = require_actor(actor)
    name = _clean_text(name, field="name", max_length=100)
    parent = await get_area(area_id=parent_id)
    actor.require_admin_of(parent.path, "create areas")
    if level is AreaLevel.DISTRICT or level.rank != parent.level.rank + 1:
        raise InvalidInput(
            f"A {level.value} cannot sit under a {parent.level.value}.", field="level"
        )
    if level is AreaLevel.MICRO_GRID:
        kind = parent.kind  # a micro-grid belongs to its grid's population
    elif level is not AreaLevel.GRID and kind is not AreaKind.RESIDENTIAL:
        raise InvalidInput("Only grids can be dedicated (专属) grids.", field="kind")
    link = _check_contact_link(contact_group_link)
    group_name = _clean_text(
        contact_group_name or "", field="contactGroupName", max_length=100, required=False
    )
    try:
        async with in_transaction():
            if await Area.exists(parent_id=parent.id, name=name):
                raise Conflict(f"{parent.name} already has an area named {name}.", field="name")
            # The path needs the new id: insert with a unique placeholder, then set it.
            area = await Area.create(
                name=name,
                level=level,
                kind=kind,
                parent_id=parent.id,
                path=f"{parent.path}new-{parent.id}-{name}/",
                contact_group_name=group_name or None,
                contact_group_link=link,
            )
            area.path = f"{parent.path}{area.id}/"
            await area.save(update_fields=["path"])
            if station is not None:
                await _set_station(area, station)
    except IntegrityError as exc:  # a concurrent create took the name (unique parent+name)
        raise Conflict(f"{parent.name} already has an area named {name}.", field="name") from exc
    return area


async def create_district(*, name: str) -> Area:
    """Create the district, the root of the tree (installation and seeding only, not the API)."""
    name = _clean_text(name, field="name", max_length=100)
    async with in_transaction():
        area = await Area.create(name=name, level=AreaLevel.DISTRICT, path=f"new-root-{name}/")
        area.path = f"/{area.id}/"
        await area.save(update_fields=["path"])
    return area


async def update_area(
    *,
    actor: Actor | None,
    area_id: int,
    name: str | None = None,
    kind: AreaKind | None = None,
    contact_group_name: str | None = None,
    contact_group_link: str | None = None,
    station: StationInput | None = None,
) -> Area:
    """Rename an area, change a grid's kind, or set its station and contact group (一格一群)."""
    actor = require_actor(actor)
    area = await get_area(area_id=area_id)
    actor.require_admin_of(area.path, "change areas")
    updates: dict[str, object] = {}
    if name is not None:
        name = _clean_text(name, field="name", max_length=100)
        taken = name != area.name and area.parent_id is not None
        if taken and await Area.exists(parent_id=area.parent_id, name=name):
            raise Conflict(f"A sibling area is already named {name}.", field="name")
        updates["name"] = name
    if kind is not None and kind is not area.kind:
        if area.level is not AreaLevel.GRID:
            raise InvalidInput("Only a grid's kind can be changed.", field="kind")
        updates["kind"] = kind
    if contact_group_name is not None:
        updates["contact_group_name"] = (
            _clean_text(
                contact_group_name, field="contactGroupName", max_length=100, required=False
            )
            or None
        )
    if contact_group_link is not None:
        updates["contact_group_link"] = _check_contact_link(contact_group_link)
    if station is not None and area.level is not AreaLevel.GRID:
        raise InvalidInput("Only grids have a station (网格驿站).", field="station")
    try:
        await _apply_area_update(area, updates, station)
    except IntegrityError as exc:  # a concurrent rename took the name (unique parent+name)
        raise Conflict(f"A sibling area is already named {name}.", field="name") from exc
    return await get_area(area_id=area.id)


async def _apply_area_update(
    area: Area, updates: dict[str, object], station: StationInput | None
) -> None:
    async with in_transaction():
        if updates:
            await Area.filter(id=area.id).update(**updates)
        if "kind" in updates:
            await Area.filter(parent_id=area.id).update(kind=updates["kind"])
        if station is not None:
            await _set_station(area, station)


async def nested_rows(
    keys: list[PageKey], select: str, owner_filter: str, model: type[Model]
) -> dict[PageKey, list[Any]]:
    """Rows for many nested pages: one statement per distinct (first, after), with the rows of
    each owner numbered by id (ROW_NUMBER, on both databases) and cut at first+1."""
    found: dict[PageKey, list[Any]] = {}
    groups: dict[tuple[int, int | None], list[PageKey]] = {}
    for key in keys:
        groups.setdefault((key.first, key.after), []).append(key)
    for (first, after), group in groups.items():
        owners = sorted({k.owner for k in group})
        marks = ",".join("?" for _ in owners)
        rows = await db.fetch(
            f"""
            SELECT * FROM (
                SELECT {select}, ROW_NUMBER() OVER (PARTITION BY a.id ORDER BY x.id) AS rn
                FROM area a JOIN {model._meta.db_table} x ON {owner_filter}
                WHERE a.id IN ({marks}) AND x.id > ?
            ) numbered WHERE rn <= ? ORDER BY owner_id, id
            """,
            [*owners, after or 0, first + 1],
        )
        by_owner: dict[int, list[Any]] = {}
        for row in rows:
            owner = row.pop("owner_id")
            row.pop("rn")
            by_owner.setdefault(owner, []).append(model._init_from_db(**row))
        for key in group:
            found[key] = by_owner.get(key.owner, [])
    return found


async def child_counts(*, area_ids: list[int]) -> list[int]:
    """How many children each area has; one grouped query."""
    rows = (
        await Area.filter(parent_id__in=area_ids)
        .group_by("parent_id")
        .annotate(n=Count("id"))
        .values_list("parent_id", "n")
    )
    counts = {int(parent): int(n) for parent, n in rows}
    return [counts.get(i, 0) for i in area_ids]


async def children_pages(*, keys: list[PageKey]) -> list[Page[Area]]:
    """The children pages of many areas at once (no query per parent)."""
    rows = await nested_rows(keys, "a.id AS owner_id, x.*", "x.parent_id = a.id", Area)
    return [
        page_from_rows(
            rows[k],
            [r.id for r in rows[k]],
            first=k.first,
            after=k.after,
            count=Area.filter(parent_id=k.owner).count,
        )
        for k in keys
    ]


async def stations_by_grid(*, grid_ids: list[int]) -> list[GridStation | None]:
    """The station of each grid (None where it has none); one query."""
    found = {s.grid_id: s for s in await GridStation.filter(grid_id__in=grid_ids)}
    return [found.get(i) for i in grid_ids]


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
    name = _clean_text(name, field="name", max_length=100)
    if await PartyUnit.exists(area_id=area.id, kind=kind):
        raise Conflict(f"{area.name} already has a {kind.value}.", field="kind")
    return await PartyUnit.create(
        area_id=area.id,
        kind=kind,
        name=name,
        secretary_name=(secretary_name or "").strip() or None,
    )


SUBTREE_END = "substr(a.path, 1, length(a.path) - 1) || '0'"  # see auth.subtree_bounds


async def household_counts(*, area_ids: list[int]) -> list[int]:
    """Households registered under each area; one query (aggregates are public)."""
    if not area_ids:
        return []
    marks = ",".join("?" for _ in area_ids)
    rows = await db.fetch(
        f"""
        SELECT a.id AS area_id, COUNT(h.id) AS households
        FROM area a
        LEFT JOIN household h ON h.path >= a.path AND h.path < {SUBTREE_END}
        WHERE a.id IN ({marks})
        GROUP BY a.id
        """,
        list(area_ids),
    )
    counts = {row["area_id"]: int(row["households"]) for row in rows}
    return [counts.get(i, 0) for i in area_ids]


async def coverage(*, actor: Actor | None, area_ids: list[int]) -> list[Coverage | Exception]:
    """Coverage figures per area, for admins and leaders of the area (Forbidden elsewhere)."""
    areas = await areas_by_ids(area_ids=area_ids)
    figures = iter(await _coverage([a.id for a in areas if a is not None]))
    results: list[Coverage | Exception] = []
    for area in areas:
        if area is None:
            results.append(NotFound("No such area."))
            continue
        figure = next(figures)
        if actor is None or not actor.reads(area.path):
            results.append(Forbidden("Coverage is shown to admins and leaders of the area."))
        else:
            results.append(figure)
    return results


async def _coverage(area_ids: list[int]) -> list[Coverage]:
    """Coverage for many areas in two statements (range joins on the indexed paths)."""
    if not area_ids:
        return []
    marks = ",".join("?" for _ in area_ids)
    upper = SUBTREE_END
    households = await db.fetch(
        f"""
        SELECT a.id AS area_id, COUNT(h.id) AS households,
               COUNT(h.micro_grid_id) AS assigned, COUNT(c.id) AS cared
        FROM area a
        LEFT JOIN household h ON h.path >= a.path AND h.path < {upper}
        LEFT JOIN care_link c ON c.household_id = h.id
        WHERE a.id IN ({marks})
        GROUP BY a.id
        """,
        list(area_ids),
    )
    micro_grids = await db.fetch(
        f"""
        SELECT a.id AS area_id, COUNT(m.id) AS micro_grids,
               SUM(CASE WHEN r.id IS NULL THEN 1 ELSE 0 END) AS leaderless
        FROM area a
        JOIN area m ON m.path >= a.path AND m.path < {upper} AND m.level = ?
        LEFT JOIN role_assignment r
               ON r.area_id = m.id AND r.role = ? AND r.until IS NULL
        WHERE a.id IN ({marks})
        GROUP BY a.id
        """,
        [AreaLevel.MICRO_GRID.value, Role.MICRO_GRID_LEADER.value, *area_ids],
    )
    by_area = {row["area_id"]: row for row in households}
    grids = {row["area_id"]: row for row in micro_grids}
    result = []
    for area_id in area_ids:
        h = by_area.get(area_id, {})
        m = grids.get(area_id, {})
        total = int(h.get("households") or 0)
        assigned = int(h.get("assigned") or 0)
        result.append(
            Coverage(
                households=total,
                assigned_households=assigned,
                unassigned_households=total - assigned,
                micro_grids=int(m.get("micro_grids") or 0),
                micro_grids_without_leader=int(m.get("leaderless") or 0),
                households_with_central_household=int(h.get("cared") or 0),
            )
        )
    return result


async def party_units_by_ids(*, unit_ids: list[int]) -> list[PartyUnit | None]:
    """Party units for the ids, in order; one query."""
    found = {u.id: u for u in await PartyUnit.filter(id__in=unit_ids)}
    return [found.get(i) for i in unit_ids]
