"""Area boundaries (网格边界): import from GeoJSON, and the checks of the whole net.

An import is a GeoJSON FeatureCollection whose features carry the area's own code in
`properties.code` and a Polygon or MultiPolygon geometry. Every feature is validated first
(shape, code, validity with shapely's reason); one problem and nothing is written (all or
nothing), and the report lists every problem by feature. Boundaries are stored in WGS-84;
a file drawn on a Chinese web map (GCJ-02) is converted on the way in.

The checks of the net (`check_net`) list what an admin must fix on the map: a child that
sticks out of its parent, siblings that overlap, and gaps (the parent minus its children).
Tolerances are in degrees: about a metre on the ground (edges drawn by hand never meet exactly).
"""

from __future__ import annotations

import asyncio
import enum
import json
import weakref
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity
from tortoise.transactions import in_transaction

from services.enums import AreaLevel, Datum
from services.errors import Forbidden, InvalidInput, NotFound
from services.geo import index
from services.geo.datum import gcj02_to_wgs84, wgs84_to_gcj02
from services.kit import clock, db
from services.kit.auth import Actor, require_actor
from services.kit.pagination import Page, Window, page_from_rows
from services.kit.paths import path_ids, subtree_bounds
from services.kit.settings import get_settings
from services.models import Area, AreaBoundary

# ~1 m at the equator (less in longitude further north): what a hand-drawn shared edge may miss by.
LENGTH_TOLERANCE = 1e-5
# Overlaps and gaps smaller than this (square degrees, ~10 m² in China) are drawing noise.
AREA_TOLERANCE = 1e-9
# A child may stick out of its parent by this share of its own area (or AREA_TOLERANCE).
OUTSIDE_SHARE = 0.001
MAX_FEATURES = 50_000
# An uploaded file (importBoundaries) is read whole and parsed as JSON, which takes several
# times its size in memory: bounded below MAX_UPLOAD_BYTES, and by its vertices before shapely
# builds anything (a district's micro-grids at ~100 vertices each need far fewer).
MAX_FILE_BYTES = 16 * 1_048_576
MAX_VERTICES = 1_000_000
# Problems an upload's report lists (all are counted).
LISTED_PROBLEMS = 1_000
# Any constant: the advisory lock that serializes boundary writes on PostgreSQL.
BOUNDARY_LOCK = 16_2027
# Ids or codes per `IN (...)` (SQLite binds at most 32,766 variables, PostgreSQL 32,767).
CHUNK = 1_000
_KINDS = ("Polygon", "MultiPolygon")


class FeatureProblemKind(enum.StrEnum):
    """What is wrong with a feature of an import (or, at index -1, with the whole file)."""

    NOT_A_COLLECTION = "NOT_A_COLLECTION"
    TOO_LARGE = "TOO_LARGE"
    MISSING_CODE = "MISSING_CODE"
    REPEATED_CODE = "REPEATED_CODE"
    INVALID_GEOMETRY = "INVALID_GEOMETRY"
    OUT_OF_REGION = "OUT_OF_REGION"
    UNKNOWN_AREA = "UNKNOWN_AREA"
    NOT_ADMINISTERED = "NOT_ADMINISTERED"


@dataclass(frozen=True, slots=True)
class FeatureProblem:
    """What is wrong with one feature of an import (`index` counts from 0 in the file)."""

    index: int
    code: str | None
    message: str
    kind: FeatureProblemKind = FeatureProblemKind.INVALID_GEOMETRY


@dataclass(slots=True)
class ImportReport:
    """The result of an import: how many features, how many written, and the problems."""

    features: int
    imported: int
    dry_run: bool
    problems: list[FeatureProblem] = field(default_factory=list)
    # Problems counted but not listed (an upload lists the first LISTED_PROBLEMS).
    more_problems: int = 0


class NetProblemKind(enum.StrEnum):
    """What a check of the net found."""

    INVALID = "INVALID"
    OUTSIDE_PARENT = "OUTSIDE_PARENT"
    OVERLAP = "OVERLAP"
    GAP = "GAP"
    MISSING = "MISSING"


@dataclass(frozen=True, slots=True)
class NetProblem:
    """One problem of the net, with the areas involved (by code, or `#id` without one), the
    area of the offending piece in square degrees (0 for MISSING) and the piece itself in
    WGS-84 (the part outside the parent, the overlap, the gap, the invalid boundary; None for
    MISSING)."""

    kind: NetProblemKind
    areas: tuple[str, ...]
    size: float
    message: str
    geometry: BaseGeometry | None = None


def _to_wgs84(geometry: BaseGeometry, datum: Datum) -> BaseGeometry:
    if datum is Datum.WGS84:
        return geometry

    def convert(coords: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        return np.array([gcj02_to_wgs84(float(x), float(y)) for x, y in coords])

    return shapely.transform(geometry, convert)


def parse_geometry(raw: Any) -> BaseGeometry:
    """A GeoJSON Polygon/MultiPolygon geometry → shapely; ValueError with the reason if not."""
    if not isinstance(raw, Mapping) or raw.get("type") not in _KINDS:
        raise ValueError("the geometry must be a GeoJSON Polygon or MultiPolygon")
    try:
        geometry = shape(dict(raw))
    except Exception as error:  # shapely raises several kinds on malformed coordinates
        raise ValueError(f"malformed coordinates ({error})") from error
    if geometry.is_empty:
        raise ValueError("the geometry is empty")
    if not geometry.is_valid:
        raise ValueError(f"invalid polygon: {explain_validity(geometry)}")
    return geometry


def check_extent(geometry: BaseGeometry) -> None:
    """ValueError unless the geometry lies on Earth (longitude -180..180, latitude -90..90) and
    within the district's region (settings.map_bounds, China by default): coordinates outside
    are swapped latitude/longitude or projected metres, which would check out as a net that
    routes nothing."""
    x0, y0, x1, y1 = geometry.bounds
    if x0 < -180 or x1 > 180 or y0 < -90 or y1 > 90:
        raise ValueError(
            f"coordinates outside longitude -180..180 / latitude -90..90 (x {x0:g}..{x1:g}, "
            f"y {y0:g}..{y1:g}): latitude first or projected metres? GeoJSON is [longitude, "
            "latitude] in WGS-84 or GCJ-02 degrees"
        )
    region = _region()
    if region is None:
        return
    w, s, e, n = region
    if x0 < w or x1 > e or y0 < s or y1 > n:
        swapped = w <= y0 and y1 <= e and s <= x0 and x1 <= n
        hint = (
            "latitude and longitude swapped? GeoJSON is [longitude, latitude]"
            if swapped
            else "wrong coordinates?"
        )
        raise ValueError(
            f"outside the district's region (longitude {w:g}..{e:g}, latitude {s:g}..{n:g}; "
            f"the shape spans x {x0:g}..{x1:g}, y {y0:g}..{y1:g}): {hint}"
        )


def _region() -> tuple[float, float, float, float] | None:
    raw = get_settings().map_bounds.strip()
    if not raw:
        return None
    w, s, e, n = (float(part) for part in raw.split(","))
    return w, s, e, n


def load_boundary(text: str) -> BaseGeometry:
    """A stored boundary (GeoJSON text, WGS-84) → shapely."""
    return shape(json.loads(text))


def dump_boundary(geometry: BaseGeometry) -> str:
    """Shapely → the stored form (compact GeoJSON text)."""
    return json.dumps(mapping(geometry), separators=(",", ":"))


def boundary_in(text: str | None, datum: Datum) -> dict[str, Any] | None:
    """A stored boundary as a GeoJSON geometry in `datum` (None where none is drawn)."""
    if text is None:
        return None
    if datum is Datum.WGS84:
        return dict(json.loads(text))
    return geometry_in(load_boundary(text), datum)


def geometry_in(geometry: BaseGeometry, datum: Datum) -> dict[str, Any]:
    """A WGS-84 shape as a GeoJSON geometry in `datum`."""
    if datum is not Datum.WGS84:

        def convert(coords: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
            return np.array([wgs84_to_gcj02(float(x), float(y)) for x, y in coords])

        geometry = shapely.transform(geometry, convert)
    return dict(mapping(geometry))


def _label(row: Mapping[str, Any]) -> str:
    code = row.get("code")
    return str(code) if code else f"#{row['id']}"


async def import_boundaries(
    *, actor: Actor | None, collection: Any, datum: Datum = Datum.WGS84, dry_run: bool = False
) -> ImportReport:
    """Import the boundaries of a FeatureCollection (by `properties.code`), all or nothing;
    the actor must administer every area named, and each shape must lie inside the nearest
    drawn area above it and overlap no boundary of its level the actor does not administer."""
    actor = require_actor(actor)
    async with _import_slot():
        return await _import(collection, datum=datum, dry_run=dry_run, actor=actor)


async def import_boundaries_as_operator(
    *, collection: Any, datum: Datum = Datum.WGS84, dry_run: bool = False
) -> ImportReport:
    """The same for the operator at the shell (`python -m api import-boundaries`), who holds
    the database anyway: every area may be given any boundary."""
    async with _import_slot():
        return await _import(collection, datum=datum, dry_run=dry_run, actor=None)


async def import_boundaries_upload(
    *, actor: Actor | None, source: BinaryIO, datum: Datum = Datum.WGS84, dry_run: bool = False
) -> ImportReport:
    """Import an uploaded GeoJSON file (admins, areas of their subtrees only): read up to
    MAX_FILE_BYTES (InvalidInput beyond, or when it is not JSON), then as `import_boundaries`."""
    actor = require_actor(actor)
    if not actor.admin_paths:
        raise Forbidden("Only admins import boundaries.")
    async with _import_slot():
        # Reading and decoding up to MAX_FILE_BYTES takes seconds: off the event loop.
        collection = await asyncio.to_thread(_read_upload, source)
        report = await _import(collection, datum=datum, dry_run=dry_run, actor=actor)
    report.more_problems = max(0, len(report.problems) - LISTED_PROBLEMS)
    del report.problems[LISTED_PROBLEMS:]
    return report


def _read_upload(source: BinaryIO) -> Any:
    data = source.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(
            f"The file is larger than {MAX_FILE_BYTES // 1_048_576} MiB: split it (by street "
            "or community) and import the parts.",
            field="file",
        )
    try:
        return json.loads(data.decode("utf-8-sig"))
    except RecursionError as error:
        # json's C decoder recurses per nested array or object: "[[[[..." of 16 MiB.
        raise InvalidInput(
            "The file is not GeoJSON (UTF-8 JSON): nested too deeply", field="file"
        ) from error
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidInput(
            f"The file is not GeoJSON (UTF-8 JSON): {error}", field="file"
        ) from error


# One import at a time per process (per event loop): each holds its file and its shapes in
# memory and keeps a worker thread busy for seconds.
_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _import_slot() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    slot = _slots.get(loop)
    if slot is None:
        slot = _slots[loop] = asyncio.Semaphore(1)
    return slot


def _vertices(raw: Any) -> int:
    """How many positions a GeoJSON geometry's coordinates hold (0 when malformed: the parse
    reports that), counted before shapely builds anything."""
    coords = raw.get("coordinates") if isinstance(raw, Mapping) else None
    count, stack = 0, [coords]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            if item and not isinstance(item[0], list):
                count += 1
            else:
                stack.extend(item)
    return count


def _file_problem(report: ImportReport, message: str, kind: FeatureProblemKind) -> ImportReport:
    report.problems.append(FeatureProblem(-1, None, message, kind))
    return report


def _parse(
    collection: Any, *, datum: Datum, dry_run: bool
) -> tuple[ImportReport, dict[str, tuple[int, BaseGeometry]]]:
    """The report so far and the valid shapes by code (WGS-84), from the file alone."""
    parsed: dict[str, tuple[int, BaseGeometry]] = {}
    if not isinstance(collection, Mapping) or collection.get("type") != "FeatureCollection":
        report = ImportReport(features=0, imported=0, dry_run=dry_run)
        return _file_problem(
            report, "not a GeoJSON FeatureCollection", FeatureProblemKind.NOT_A_COLLECTION
        ), parsed
    features = collection.get("features")
    if not isinstance(features, list):
        features = []
    report = ImportReport(features=len(features), imported=0, dry_run=dry_run)
    if len(features) > MAX_FEATURES:
        return _file_problem(
            report,
            f"more than {MAX_FEATURES} features: split the file",
            FeatureProblemKind.TOO_LARGE,
        ), parsed
    vertices = sum(
        _vertices(feature.get("geometry")) for feature in features if isinstance(feature, Mapping)
    )
    if vertices > MAX_VERTICES:
        return _file_problem(
            report,
            f"{vertices} vertices, more than {MAX_VERTICES}: split the file or simplify the shapes",
            FeatureProblemKind.TOO_LARGE,
        ), parsed
    for i, feature in enumerate(features):
        properties = feature.get("properties") if isinstance(feature, Mapping) else None
        code = properties.get("code") if isinstance(properties, Mapping) else None
        if not isinstance(code, str) or not code.strip():
            report.problems.append(
                FeatureProblem(
                    i, None, "`properties.code` is missing", FeatureProblemKind.MISSING_CODE
                )
            )
            continue
        code = code.strip()
        if code in parsed:
            report.problems.append(
                FeatureProblem(
                    i,
                    code,
                    f"code repeated (feature {parsed[code][0]} has it too)",
                    FeatureProblemKind.REPEATED_CODE,
                )
            )
            continue
        kind = FeatureProblemKind.INVALID_GEOMETRY
        try:
            geometry = parse_geometry(feature.get("geometry"))
            kind = FeatureProblemKind.OUT_OF_REGION
            check_extent(geometry)
            kind = FeatureProblemKind.INVALID_GEOMETRY
            geometry = _to_wgs84(geometry, datum)
            if not geometry.is_valid:
                raise ValueError(f"invalid after conversion: {explain_validity(geometry)}")
        except ValueError as error:
            report.problems.append(FeatureProblem(i, code, str(error), kind))
            continue
        parsed[code] = (i, geometry)
    return report, parsed


_NOT_YOURS = "no area with this code among the areas you administer"


async def _import(
    collection: Any, *, datum: Datum, dry_run: bool, actor: Actor | None
) -> ImportReport:
    """An import by `actor` (None: the operator, who may draw any area anywhere)."""
    # Parsing, validity and GCJ-02 conversion of up to MAX_VERTICES take seconds: off the loop.
    report, parsed = await asyncio.to_thread(_parse, collection, datum=datum, dry_run=dry_run)
    areas: dict[str | None, Area] = {}
    for chunk in _chunks(list(parsed)):
        areas.update((a.code, a) for a in await Area.filter(code__in=chunk))
    for code, (i, _) in parsed.items():
        found = areas.get(code)
        if actor is not None and (found is None or not actor.administers(found.path)):
            # The same answer for a code that does not exist and one outside the actor's
            # subtrees: an admin learns nothing of the codes of other communities.
            report.problems.append(
                FeatureProblem(i, code, _NOT_YOURS, FeatureProblemKind.NOT_ADMINISTERED)
            )
        elif found is None:
            report.problems.append(
                FeatureProblem(i, code, "no area has this code", FeatureProblemKind.UNKNOWN_AREA)
            )
    if actor is not None:
        named = {p.index for p in report.problems}
        clean = {code: found for code, found in parsed.items() if found[0] not in named}
        if clean:
            report.problems.extend(await _outside_scope(actor, clean, areas))
    report.problems.sort(key=lambda p: p.index)
    if report.problems or dry_run:
        return report
    await _draw({areas[code].id: geometry for code, (_, geometry) in parsed.items()})
    report.imported = len(parsed)
    return report


async def _outside_scope(
    actor: Actor, parsed: Mapping[str, tuple[int, BaseGeometry]], areas: Mapping[str | None, Area]
) -> list[FeatureProblem]:
    """NOT_ADMINISTERED problems of shapes that reach beyond the actor's territory: a shape
    sticking out of the nearest drawn area above it, or overlapping a boundary of its level
    the actor does not administer (index.micro_grid_id_at gives an overlap to the lowest id:
    a grown micro-grid would take a neighbouring community's reports)."""
    drawn = {code: (areas[code], geometry) for code, (_, geometry) in parsed.items()}
    above: set[int] = set()
    for area, _ in drawn.values():
        above.update(path_ids(area.path)[:-1])
    stored: dict[int, Mapping[str, Any]] = {}
    for chunk in _chunks(sorted(above)):
        for row in await db.fetch(
            "SELECT a.id, a.code, b.geojson FROM area a JOIN area_boundary b ON b.area_id = a.id "
            f"WHERE a.id IN ({', '.join('?' for _ in chunk)})",
            chunk,
        ):
            stored[int(row["id"])] = row
    levels = sorted({area.level.value for area, _ in drawn.values()})
    others = [
        row
        for row in await db.fetch(
            "SELECT a.id, a.code, a.path, a.level, b.geojson FROM area a "
            "JOIN area_boundary b ON b.area_id = a.id "
            f"WHERE a.level IN ({', '.join('?' for _ in levels)})",
            levels,
        )
        if not actor.administers(str(row["path"]))
    ]
    # The overlays of a district's boundaries take a while: off the event loop.
    return await asyncio.to_thread(_reach, parsed, drawn, stored, others)


def _reach(
    parsed: Mapping[str, tuple[int, BaseGeometry]],
    drawn: Mapping[str, tuple[Area, BaseGeometry]],
    stored: Mapping[int, Mapping[str, Any]],
    others: Sequence[Mapping[str, Any]],
) -> list[FeatureProblem]:
    # An area above that the same file redraws is checked against its new shape.
    new_by_id = {area.id: geometry for area, geometry in drawn.values()}
    outlines: dict[int, BaseGeometry] = {}

    def outline(area_id: int) -> BaseGeometry | None:
        if area_id in new_by_id:
            return new_by_id[area_id]
        if area_id not in stored:
            return None
        if area_id not in outlines:
            outlines[area_id] = load_boundary(str(stored[area_id]["geojson"]))
        return outlines[area_id]

    problems: list[FeatureProblem] = []
    for code, (i, geometry) in parsed.items():
        area = drawn[code][0]
        for parent_id in reversed(path_ids(area.path)[:-1]):
            parent = outline(parent_id)
            if parent is None:
                continue
            # As check_net's OUTSIDE_PARENT: a hand-drawn edge may miss by the tolerance.
            outside = geometry.difference(parent.buffer(LENGTH_TOLERANCE)).area
            if outside > max(AREA_TOLERANCE, OUTSIDE_SHARE * geometry.area):
                problems.append(
                    FeatureProblem(
                        i,
                        code,
                        "the shape sticks out of the nearest drawn area above it, "
                        f"{_label(stored[parent_id]) if parent_id in stored else f'#{parent_id}'}",
                        FeatureProblemKind.NOT_ADMINISTERED,
                    )
                )
            break
    if not others:
        return problems
    shapes = [load_boundary(str(row["geojson"])) for row in others]
    tree = shapely.STRtree(shapes)
    for code, (i, geometry) in parsed.items():
        level = drawn[code][0].level.value
        for hit in tree.query(geometry, predicate="intersects").tolist():
            row = others[int(hit)]
            if row["level"] != level:
                continue
            # As check_net's OVERLAP: a sliver thinner than ~2 m is a shared edge.
            overlap = geometry.intersection(shapes[int(hit)]).buffer(-LENGTH_TOLERANCE).area
            if overlap > AREA_TOLERANCE:
                problems.append(
                    FeatureProblem(
                        i,
                        code,
                        f"the shape overlaps {_label(row)}, which you do not administer",
                        FeatureProblemKind.NOT_ADMINISTERED,
                    )
                )
                break
    return problems


async def _draw(boundaries: Mapping[int, BaseGeometry]) -> None:
    """Write boundaries by area id in one transaction, in place; every written row gets a
    version past every other row's (rows are never deleted here), so the stamp of each
    process's index changes whatever the clocks say (services.geo.index)."""
    moment = clock.now()
    ids = list(boundaries)
    async with in_transaction():
        await _take_write_lock()
        top = await db.fetch("SELECT MAX(version) AS v FROM area_boundary", [])
        version = int(top[0]["v"] or 0)
        existing: set[int] = set()
        for chunk in _chunks(ids):
            existing.update(
                await AreaBoundary.filter(area_id__in=chunk).values_list("area_id", flat=True)  # type: ignore[arg-type]
            )
        fresh = []
        for area_id, geometry in boundaries.items():
            version += 1
            text = dump_boundary(geometry)
            if area_id in existing:
                await AreaBoundary.filter(area_id=area_id).update(
                    geojson=text, version=version, updated_at=moment
                )
            else:
                fresh.append(
                    AreaBoundary(area_id=area_id, geojson=text, version=version, updated_at=moment)
                )
        await AreaBoundary.bulk_create(fresh, batch_size=500)
    index.boundaries_changed()


async def _take_write_lock() -> None:
    """Serialize boundary writes: each reads the greatest version and writes past it, and
    `version` is unique, so two imports at once would collide. On PostgreSQL a
    transaction-scoped advisory lock makes the second wait for the first to commit; on SQLite
    a write first takes the database's one write lock before the read (STYLE.md: a
    transaction that reads before it writes can fail with "database is locked")."""
    if db.dialect() == "postgres":
        await db.fetch(f"SELECT pg_advisory_xact_lock({BOUNDARY_LOCK})", [])
    else:
        await db.execute("UPDATE area_boundary SET version = version WHERE area_id = 0", [])


def _chunks(items: list[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def boundary_of(area_id: int) -> str | None:
    """One area's stored boundary (GeoJSON text, WGS-84), None if none is drawn."""
    return (await boundaries_by_area(area_ids=[area_id]))[0]


async def require_inside(area_id: int, point: tuple[float, float], *, field: str) -> None:
    """InvalidInput on `field` when the area has a boundary and the WGS-84 point lies outside
    it (on its edge counts as inside); an area without a boundary takes any point."""
    text = await boundary_of(area_id)
    if text is not None and not load_boundary(text).intersects(shapely.Point(*point)):
        raise InvalidInput("The position lies outside the boundary of its area.", field=field)


async def lies_inside(area_id: int, point: tuple[float, float]) -> bool:
    """Whether the WGS-84 point lies in the area's boundary (on its edge counts as inside);
    True for an area without one (it takes any point)."""
    text = await boundary_of(area_id)
    return text is None or load_boundary(text).intersects(shapely.Point(*point))


async def boundaries_by_area(*, area_ids: list[int]) -> list[str | None]:
    """The stored boundaries (GeoJSON text, WGS-84) of areas, in the order asked, None where
    none is drawn (the territory is public)."""
    found: dict[int, str] = {}
    for chunk in _chunks(list(dict.fromkeys(area_ids))):
        for row in await AreaBoundary.filter(area_id__in=chunk).values("area_id", "geojson"):
            found[int(row["area_id"])] = str(row["geojson"])
    return [found.get(i) for i in area_ids]


async def draw_boundaries_as_operator(*, boundaries: Mapping[int, Any]) -> None:
    """Set boundaries by area id from GeoJSON geometries in WGS-84 (seed and shell); each is
    validated as an import's are (InvalidInput naming the area)."""
    parsed: dict[int, BaseGeometry] = {}
    for area_id, raw in boundaries.items():
        try:
            parsed[area_id] = parse_geometry(raw)
            check_extent(parsed[area_id])
        except ValueError as error:
            raise InvalidInput(f"Area {area_id}: {error}", field="boundary") from error
    await _draw(parsed)


async def check_net(*, actor: Actor | None, under_id: int | None = None) -> list[NetProblem]:
    """The problems of the net under an area (the whole net without one) the actor administers."""
    actor = require_actor(actor)
    if under_id is None:
        roots = actor.admin_paths
        if not roots:
            raise Forbidden("Only admins check the net.")
    else:
        area = await Area.get_or_none(id=under_id)
        if area is None:
            raise NotFound("No such area.", field="under")
        actor.require_admin_of(area.path, "check the net here")
        roots = [area.path]
    problems: list[NetProblem] = []
    for root in roots:
        problems.extend(await check_net_as_operator(under_path=root))
    return problems


async def check_net_as_operator(*, under_path: str | None = None) -> list[NetProblem]:
    """The problems of the net under a path (all of it without one), for the shell."""
    where, params = "1 = 1", []
    if under_path is not None:
        where = "a.path >= ? AND a.path < ?"
        params = list(subtree_bounds(under_path))
    rows = await db.fetch(
        "SELECT a.id, a.code, a.name, a.level, a.parent_id, b.geojson AS boundary FROM area a "
        f"LEFT JOIN area_boundary b ON b.area_id = a.id WHERE {where} ORDER BY a.id",
        params,
    )
    # The overlays of a whole district take a while: off the event loop.
    return await asyncio.to_thread(find_problems, rows)


async def boundary_problems(
    *, actor: Actor | None, under_id: int, window: Window
) -> Page[NetProblem]:
    """A page of the problems of the net under an area the actor administers, in the check's
    order (keys are positions from 1: the check is run again for every page, so a page after
    a change of the net may shift)."""
    problems = await check_net(actor=actor, under_id=under_id)
    positions = list(range(1, len(problems) + 1))
    low, high = window.bounds(False)
    chosen = [k for k in positions if (low is None or k > low) and (high is None or k < high)]
    if window.backward:
        chosen.reverse()
    chosen = chosen[: window.size + 1]
    total = len(problems)

    async def count() -> int:
        return total

    return page_from_rows([problems[k - 1] for k in chosen], chosen, window, count=count)


def find_problems(rows: Iterable[Mapping[str, Any]]) -> list[NetProblem]:
    """The checks on plain rows (id, code, name, level, parent_id, boundary)."""
    by_id = {r["id"]: r for r in rows}
    problems: list[NetProblem] = []
    shapes: dict[int, BaseGeometry] = {}
    for i, r in by_id.items():
        if r["boundary"]:
            invalid = _invalid(by_id[i], r["boundary"])
            if isinstance(invalid, NetProblem):
                problems.append(invalid)
            else:
                shapes[i] = invalid
    # An invalid boundary is reported once, as such, and left out of the other checks
    # (shapely's overlays fail or mislead on it): the area counts as not drawn until fixed.
    children: dict[int, list[int]] = defaultdict(list)
    for r in by_id.values():
        if r["parent_id"] in by_id:
            children[r["parent_id"]].append(r["id"])
    for parent_id, kids in children.items():
        parent = by_id[parent_id]
        drawn = [k for k in kids if k in shapes]
        if parent_id in shapes or drawn:
            missing = [k for k in kids if not by_id[k]["boundary"]]
            if missing:
                problems.append(
                    NetProblem(
                        NetProblemKind.MISSING,
                        tuple(_label(by_id[k]) for k in missing),
                        0.0,
                        f"{len(missing)} area(s) under {_label(parent)} have no boundary",
                    )
                )
        problems.extend(_siblings(by_id, shapes, drawn))
        if parent_id not in shapes:
            continue
        outline = shapes[parent_id]
        grown = outline.buffer(LENGTH_TOLERANCE)
        for k in drawn:
            piece = shapes[k].difference(grown)
            outside = piece.area
            if outside > max(AREA_TOLERANCE, OUTSIDE_SHARE * shapes[k].area):
                problems.append(
                    NetProblem(
                        NetProblemKind.OUTSIDE_PARENT,
                        (_label(by_id[k]), _label(parent)),
                        outside,
                        f"{_label(by_id[k])} sticks out of its parent {_label(parent)}",
                        piece,
                    )
                )
        if drawn:
            covered = shapely.union_all([shapes[k] for k in drawn]).buffer(LENGTH_TOLERANCE)
            gap = outline.difference(covered)
            if gap.area > AREA_TOLERANCE:
                problems.append(
                    NetProblem(
                        NetProblemKind.GAP,
                        (_label(parent),),
                        gap.area,
                        f"part of {_label(parent)} is in none of its children",
                        gap,
                    )
                )
    # Micro-grids of different parents (cousins) and the tops of the checked net (districts)
    # may overlap too; the index would pick the lowest id there, perhaps in another community.
    micro = [
        i for i, r in by_id.items() if i in shapes and r["level"] == AreaLevel.MICRO_GRID.value
    ]
    problems.extend(_siblings(by_id, shapes, micro, cousins_only=True))
    tops = [i for i, r in by_id.items() if i in shapes and r["parent_id"] not in by_id]
    problems.extend(_siblings(by_id, shapes, tops))
    return problems


def _invalid(row: Mapping[str, Any], text: str) -> BaseGeometry | NetProblem:
    """The stored boundary's shape, or the INVALID problem when it is not a valid polygon
    (written around the imports, e.g. by hand in SQL)."""
    try:
        geometry = load_boundary(text)
    except Exception as error:  # malformed text: json's and shapely's several kinds
        return NetProblem(
            NetProblemKind.INVALID, (_label(row),), 0.0, f"{_label(row)}: unreadable ({error})"
        )
    if geometry.is_valid and not geometry.is_empty:
        return geometry
    reason = "empty" if geometry.is_empty else explain_validity(geometry)
    return NetProblem(
        NetProblemKind.INVALID,
        (_label(row),),
        float(geometry.area),
        f"{_label(row)} is not a valid polygon: {reason}",
        None if geometry.is_empty else geometry,
    )


def _siblings(
    by_id: Mapping[int, Mapping[str, Any]],
    shapes: Mapping[int, BaseGeometry],
    drawn: list[int],
    *,
    cousins_only: bool = False,
) -> list[NetProblem]:
    """Overlaps among `drawn` (with `cousins_only`, only between areas of different parents)."""
    problems: list[NetProblem] = []
    if len(drawn) < 2:
        return problems
    tree = shapely.STRtree([shapes[k] for k in drawn])
    pairs = tree.query([shapes[k] for k in drawn], predicate="intersects")
    for a, b in zip(pairs[0].tolist(), pairs[1].tolist(), strict=True):
        if a >= b:
            continue
        first, second = drawn[a], drawn[b]
        if cousins_only and by_id[first]["parent_id"] == by_id[second]["parent_id"]:
            continue
        # As the gap check: a sliver thinner than ~2 m (a hand-drawn shared edge) is no overlap.
        piece = shapes[first].intersection(shapes[second])
        overlap = piece.buffer(-LENGTH_TOLERANCE).area
        if overlap > AREA_TOLERANCE:
            labels = (_label(by_id[first]), _label(by_id[second]))
            problems.append(
                NetProblem(
                    NetProblemKind.OVERLAP,
                    labels,
                    overlap,
                    f"{labels[0]} and {labels[1]} overlap",
                    piece,
                )
            )
    return problems
