"""Areas of the net: the tree, its materialized paths, stations and contact groups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.filters import escape_like
from tortoise.functions import Count
from tortoise.models import Model
from tortoise.transactions import in_transaction

from services.enums import AreaKind, AreaLevel
from services.errors import Conflict, InvalidInput, NotFound
from services.geo.points import GeoPoint
from services.kit import db
from services.kit.auth import Actor, require_actor
from services.kit.pagination import Page, PageKey, Window, keyset_sql, page_from_rows
from services.kit.paths import subtree_bounds
from services.kit.text import search_term
from services.models import Area, GridStation

# The most areas directly under one area (streets of a district, communities of a street, ...):
# a bound the API's cost estimate relies on (a notice's coverage lists each child area).
MAX_CHILDREN = 100
# The longest area code (区划代码 are 12 digits; a grid's or micro-grid's code adds a few more).
MAX_CODE = 32


@dataclass(frozen=True)
class StationInput:
    """A grid station's public details; its position (either datum, stored in WGS-84) is set
    when `position_given` (None clears it) and kept otherwise."""

    name: str
    address: str
    hours: str
    position: GeoPoint | None = None
    position_given: bool = False


def clean_text(value: str, *, field: str, max_length: int, required: bool = True) -> str:
    text = value.strip()
    if required and not text:
        raise InvalidInput(f"`{field}` must not be empty.", field=field)
    if len(text) > max_length:
        raise InvalidInput(f"`{field}` is longer than {max_length} characters.", field=field)
    return text


async def get_area(*, area_id: int) -> Area:
    """An area by id (the territory is public: the grid map hangs on the wall)."""
    area = await Area.get_or_none(id=area_id)
    if area is None:
        raise NotFound("No such area.", field="areaId")
    return area


async def find_area_by_code(*, code: str) -> Area | None:
    """The area with the district's own code (区划/网格编码), if any (the territory is public)."""
    text = code.strip()
    if not text or len(text) > MAX_CODE:
        return None
    return await Area.get_or_none(code=text)


async def area_by_code(*, code: str) -> Area:
    """An area by the district's own code; NotFound if none has it."""
    area = await find_area_by_code(code=code)
    if area is None:
        raise NotFound(f"No area has the code {code.strip()}.", field="code")
    return area


def clean_code(code: str | None) -> str | None:
    """An area code as stored: trimmed, 1 to 32 letters, digits, '-' or '_'; None for none."""
    if code is None:
        return None
    text = code.strip()
    if not text:
        return None
    if len(text) > MAX_CODE or not all(c.isascii() and (c.isalnum() or c in "-_") for c in text):
        raise InvalidInput(
            f"An area code is at most {MAX_CODE} letters, digits, '-' or '_'.", field="code"
        )
    return text


async def _check_code_free(code: str | None, *, area_id: int | None = None) -> None:
    if code is not None and await Area.filter(code=code).exclude(id=area_id or 0).exists():
        raise Conflict(f"Another area already has the code {code}.", field="code")


async def areas_by_ids(*, area_ids: list[int]) -> list[Area | None]:
    """Areas for the ids, in order (None where missing); one query."""
    found = {a.id: a for a in await Area.filter(id__in=area_ids)}
    return [found.get(i) for i in area_ids]


def ancestor_ids(area: Area) -> list[int]:
    """Ids from the district down to the area's parent, read off the path."""
    return [int(part) for part in area.path.strip("/").split("/")[:-1]]


@dataclass(frozen=True, slots=True)
class AreaRow:
    """An area as a list shows it: the model's columns but its creation time, read-only."""

    id: int
    name: str
    code: str | None
    level: AreaLevel
    kind: AreaKind
    parent_id: int | None
    path: str
    contact_group_name: str | None
    contact_group_link: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any], *, id_column: str = "id") -> AreaRow:
        """From a `fetch` row holding the area's columns (its id under `id_column`)."""
        return cls(
            id=row[id_column],
            name=row["name"],
            code=row["code"],
            level=AreaLevel(row["level"]),
            kind=AreaKind(row["kind"]),
            parent_id=row["parent_id"],
            path=row["path"],
            contact_group_name=row["contact_group_name"],
            contact_group_link=row["contact_group_link"],
        )


_AREA_COLUMNS = (
    "id, name, code, level, kind, parent_id, path, contact_group_name, contact_group_link"
)


async def list_areas(
    *,
    level: AreaLevel | None = None,
    kind: AreaKind | None = None,
    under_id: int | None = None,
    parent_id: int | None = None,
    search: str | None = None,
    window: Window,
) -> Page[AreaRow]:
    """Areas filtered by level, kind, subtree, parent and name."""
    # Hand-written SQL and plain rows: this is the busiest list of the API, and building the
    # query and the models through the ORM cost several times what the database does.
    where: list[str] = []
    params: list[Any] = []
    if under_id is not None:
        found = await db.fetch("SELECT path FROM area WHERE id = ?", [under_id])
        if not found:
            raise NotFound("No such area.", field="areaId")
        where.append("path >= ? AND path < ?")
        params.extend(subtree_bounds(found[0]["path"]))
    if parent_id is not None:
        where.append("parent_id = ?")
        params.append(parent_id)
    if level is not None:
        where.append("level = ?")
        params.append(level.value)
    if kind is not None:
        where.append("kind = ?")
        params.append(kind.value)
    term = search_term(search)
    if term:
        # As the ORM's `icontains`: case-insensitive, with LIKE's wildcards taken literally.
        where.append("UPPER(CAST(name AS VARCHAR)) LIKE UPPER(?) ESCAPE '\\'")
        params.append(f"%{escape_like(term)}%")
    conditions = " AND ".join(where) or "1 = 1"
    keyset = keyset_sql(window, "id")
    rows = (
        await db.fetch(
            f"SELECT {_AREA_COLUMNS} FROM area WHERE {conditions}{keyset.bounds} "
            f"ORDER BY id {keyset.direction} LIMIT ?",
            [*params, *keyset.params, keyset.limit],
        )
        if window.size
        else []
    )
    listed = [AreaRow.from_row(row) for row in rows]

    async def count() -> int:
        total = await db.fetch(f"SELECT COUNT(*) AS n FROM area WHERE {conditions}", params)
        return int(total[0]["n"])

    return page_from_rows(listed, [a.id for a in listed], window, count=count)


async def _set_station(grid: Area, station: StationInput) -> None:
    if grid.level is not AreaLevel.GRID:
        raise InvalidInput("Only grids have a station (网格驿站).", field="station")
    values: dict[str, object] = {
        "name": clean_text(station.name, field="station.name", max_length=100),
        "address": clean_text(station.address, field="station.address", max_length=200),
        "hours": clean_text(station.hours, field="station.hours", max_length=100),
    }
    if station.position_given:
        point = (
            None if station.position is None else station.position.wgs84(field="station.position")
        )
        values["longitude"] = None if point is None else point[0]
        values["latitude"] = None if point is None else point[1]
    await GridStation.update_or_create(defaults=values, grid_id=grid.id)


def check_contact_link(link: str | None) -> str | None:
    """A contact group link as stored: a web (http/https) or WeChat (weixin://) link, at most
    500 characters; None for none. Shared by create/updateArea and the AREAS import."""
    if link is None:
        return None
    link = clean_text(link, field="contactGroupLink", max_length=500, required=False)
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
    code: str | None = None,
    contact_group_name: str | None = None,
    contact_group_link: str | None = None,
    station: StationInput | None = None,
) -> Area:
    """Create an area under `parent_id`; the levels nest strictly in order."""
    actor = require_actor(actor)
    name = clean_text(name, field="name", max_length=100)
    code = clean_code(code)
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
    link = check_contact_link(contact_group_link)
    group_name = clean_text(
        contact_group_name or "", field="contactGroupName", max_length=100, required=False
    )
    try:
        async with in_transaction():
            # The parent's row is locked (a no-op write) so that two creations serialize.
            await db.execute("UPDATE area SET name = name WHERE id = ? RETURNING id", [parent.id])
            if await Area.exists(parent_id=parent.id, name=name):
                raise Conflict(f"{parent.name} already has an area named {name}.", field="name")
            await _check_code_free(code)
            if await Area.filter(parent_id=parent.id).count() >= MAX_CHILDREN:
                raise Conflict(
                    f"An area has at most {MAX_CHILDREN} areas directly under it.",
                    field="parentId",
                )
            # The path needs the new id: insert with a unique placeholder, then set it.
            area = await Area.create(
                name=name,
                code=code,
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
    except IntegrityError as exc:  # a concurrent create took the name or the code
        if code is not None and await Area.exists(code=code):
            raise Conflict(f"Another area already has the code {code}.", field="code") from exc
        raise Conflict(f"{parent.name} already has an area named {name}.", field="name") from exc
    return area


async def create_district(*, name: str, code: str | None = None) -> Area:
    """Create the district, the root of the tree (installation and seeding only, not the API)."""
    name = clean_text(name, field="name", max_length=100)
    code = clean_code(code)
    async with in_transaction():
        await _check_code_free(code)
        area = await Area.create(
            name=name, code=code, level=AreaLevel.DISTRICT, path=f"new-root-{name}/"
        )
        area.path = f"/{area.id}/"
        await area.save(update_fields=["path"])
    return area


async def update_area(
    *,
    actor: Actor | None,
    area_id: int,
    name: str | None = None,
    kind: AreaKind | None = None,
    code: str | None = None,
    contact_group_name: str | None = None,
    contact_group_link: str | None = None,
    station: StationInput | None = None,
) -> Area:
    """Rename an area, change a grid's kind, its code, or set its station and contact group
    (一格一群). A code of "" is no code."""
    actor = require_actor(actor)
    area = await get_area(area_id=area_id)
    actor.require_admin_of(area.path, "change areas")
    updates: dict[str, object] = {}
    if name is not None:
        name = clean_text(name, field="name", max_length=100)
        taken = name != area.name and area.parent_id is not None
        if taken and await Area.exists(parent_id=area.parent_id, name=name):
            raise Conflict(f"A sibling area is already named {name}.", field="name")
        updates["name"] = name
    if kind is not None and kind is not area.kind:
        if area.level is not AreaLevel.GRID:
            raise InvalidInput("Only a grid's kind can be changed.", field="kind")
        updates["kind"] = kind
    if code is not None and (new_code := clean_code(code)) != area.code:
        await _check_code_free(new_code, area_id=area.id)
        updates["code"] = new_code
    if contact_group_name is not None:
        updates["contact_group_name"] = (
            clean_text(contact_group_name, field="contactGroupName", max_length=100, required=False)
            or None
        )
    if contact_group_link is not None:
        updates["contact_group_link"] = check_contact_link(contact_group_link)
    if station is not None and area.level is not AreaLevel.GRID:
        raise InvalidInput("Only grids have a station (网格驿站).", field="station")
    try:
        await _apply_area_update(area, updates, station)
    except IntegrityError as exc:  # a concurrent change took the name or the code
        if "code" in updates:
            raise Conflict("Another area already has that code.", field="code") from exc
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
    """Rows for many nested pages: one statement per distinct window, with the rows of each
    owner numbered by id in the window's reading order (ROW_NUMBER, on both databases) and cut
    at size+1; none for a page of 0 (which reads nothing, as everywhere)."""
    found: dict[PageKey, list[Any]] = {}
    groups: dict[Window, list[PageKey]] = {}
    for key in keys:
        groups.setdefault(key.window, []).append(key)
    for window, group in groups.items():
        if not window.size:
            found.update((k, []) for k in group)
            continue
        owners = sorted({k.owner for k in group})
        marks = ",".join("?" for _ in owners)
        keyset = keyset_sql(window, "x.id")
        rows = await db.fetch(
            f"""
            SELECT * FROM (
                SELECT {select},
                    ROW_NUMBER() OVER (PARTITION BY a.id ORDER BY x.id {keyset.direction}) AS rn
                FROM area a JOIN {model._meta.db_table} x ON {owner_filter}
                WHERE a.id IN ({marks}){keyset.bounds}
            ) numbered WHERE rn <= ? ORDER BY owner_id, id {keyset.direction}
            """,
            [*owners, *keyset.params, keyset.limit],
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
            k.window,
            count=Area.filter(parent_id=k.owner).count,
        )
        for k in keys
    ]


async def stations_by_grid(*, grid_ids: list[int]) -> list[GridStation | None]:
    """The station of each grid (None where it has none); one query."""
    found = {s.grid_id: s for s in await GridStation.filter(grid_id__in=grid_ids)}
    return [found.get(i) for i in grid_ids]
