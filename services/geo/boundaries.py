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

import enum
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

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
from services.kit.paths import subtree_bounds
from services.kit.settings import get_settings
from services.models import Area, AreaBoundary

# ~1 m at the equator (less in longitude further north): what a hand-drawn shared edge may miss by.
LENGTH_TOLERANCE = 1e-5
# Overlaps and gaps smaller than this (square degrees, ~10 m² in China) are drawing noise.
AREA_TOLERANCE = 1e-9
# A child may stick out of its parent by this share of its own area (or AREA_TOLERANCE).
OUTSIDE_SHARE = 0.001
MAX_FEATURES = 50_000
# Ids or codes per `IN (...)` (SQLite binds at most 32,766 variables, PostgreSQL 32,767).
CHUNK = 1_000
_KINDS = ("Polygon", "MultiPolygon")


@dataclass(frozen=True, slots=True)
class FeatureProblem:
    """What is wrong with one feature of an import (`index` counts from 0 in the file)."""

    index: int
    code: str | None
    message: str


@dataclass(slots=True)
class ImportReport:
    """The result of an import: how many features, how many written, and the problems."""

    features: int
    imported: int
    dry_run: bool
    problems: list[FeatureProblem] = field(default_factory=list)


class NetProblemKind(enum.StrEnum):
    """What a check of the net found."""

    OUTSIDE_PARENT = "OUTSIDE_PARENT"
    OVERLAP = "OVERLAP"
    GAP = "GAP"
    MISSING = "MISSING"


@dataclass(frozen=True, slots=True)
class NetProblem:
    """One problem of the net, with the areas involved (by code, or `#id` without one) and
    the area of the offending piece in square degrees (0 for MISSING)."""

    kind: NetProblemKind
    areas: tuple[str, ...]
    size: float
    message: str


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

    def convert(coords: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        return np.array([wgs84_to_gcj02(float(x), float(y)) for x, y in coords])

    return dict(mapping(shapely.transform(load_boundary(text), convert)))


def _label(row: Mapping[str, Any]) -> str:
    code = row.get("code")
    return str(code) if code else f"#{row['id']}"


async def import_boundaries(
    *, actor: Actor | None, collection: Any, datum: Datum = Datum.WGS84, dry_run: bool = False
) -> ImportReport:
    """Import the boundaries of a FeatureCollection (by `properties.code`), all or nothing;
    the actor must administer every area named."""
    actor = require_actor(actor)
    return await _import(collection, datum=datum, dry_run=dry_run, may=actor.administers)


async def import_boundaries_as_operator(
    *, collection: Any, datum: Datum = Datum.WGS84, dry_run: bool = False
) -> ImportReport:
    """The same for the operator at the shell (`python -m api import-boundaries`), who holds
    the database anyway: every area may be given a boundary."""
    return await _import(collection, datum=datum, dry_run=dry_run, may=lambda _path: True)


async def _import(collection: Any, *, datum: Datum, dry_run: bool, may: Any) -> ImportReport:
    if not isinstance(collection, Mapping) or collection.get("type") != "FeatureCollection":
        report = ImportReport(features=0, imported=0, dry_run=dry_run)
        report.problems.append(FeatureProblem(-1, None, "not a GeoJSON FeatureCollection"))
        return report
    features = collection.get("features")
    if not isinstance(features, list):
        features = []
    report = ImportReport(features=len(features), imported=0, dry_run=dry_run)
    if len(features) > MAX_FEATURES:
        report.problems.append(
            FeatureProblem(-1, None, f"more than {MAX_FEATURES} features: split the file")
        )
        return report
    parsed: dict[str, tuple[int, BaseGeometry]] = {}
    for i, feature in enumerate(features):
        properties = feature.get("properties") if isinstance(feature, Mapping) else None
        code = properties.get("code") if isinstance(properties, Mapping) else None
        if not isinstance(code, str) or not code.strip():
            report.problems.append(FeatureProblem(i, None, "`properties.code` is missing"))
            continue
        code = code.strip()
        if code in parsed:
            report.problems.append(
                FeatureProblem(i, code, f"code repeated (feature {parsed[code][0]} has it too)")
            )
            continue
        try:
            geometry = parse_geometry(feature.get("geometry"))
            check_extent(geometry)
            geometry = _to_wgs84(geometry, datum)
            if not geometry.is_valid:
                raise ValueError(f"invalid after conversion: {explain_validity(geometry)}")
        except ValueError as error:
            report.problems.append(FeatureProblem(i, code, str(error)))
            continue
        parsed[code] = (i, geometry)
    areas: dict[str | None, Area] = {}
    for chunk in _chunks(list(parsed)):
        areas.update((a.code, a) for a in await Area.filter(code__in=chunk))
    for code, (i, _) in parsed.items():
        found = areas.get(code)
        if found is None:
            report.problems.append(FeatureProblem(i, code, "no area has this code"))
        elif not may(found.path):
            report.problems.append(FeatureProblem(i, code, "you do not administer this area"))
    report.problems.sort(key=lambda p: p.index)
    if report.problems or dry_run:
        return report
    await _draw({areas[code].id: geometry for code, (_, geometry) in parsed.items()})
    report.imported = len(parsed)
    return report


async def _draw(boundaries: Mapping[int, BaseGeometry]) -> None:
    """Write boundaries by area id in one transaction, in place; every written row gets a
    version past every other row's (rows are never deleted here), so the stamp of each
    process's index changes whatever the clocks say (services.geo.index)."""
    moment = clock.now()
    ids = list(boundaries)
    async with in_transaction():
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
    return find_problems(rows)


def find_problems(rows: Iterable[Mapping[str, Any]]) -> list[NetProblem]:
    """The checks on plain rows (id, code, name, level, parent_id, boundary)."""
    by_id = {r["id"]: r for r in rows}
    shapes = {i: load_boundary(r["boundary"]) for i, r in by_id.items() if r["boundary"]}
    children: dict[int, list[int]] = defaultdict(list)
    for r in by_id.values():
        if r["parent_id"] in by_id:
            children[r["parent_id"]].append(r["id"])
    problems: list[NetProblem] = []
    for parent_id, kids in children.items():
        parent = by_id[parent_id]
        drawn = [k for k in kids if k in shapes]
        if parent_id in shapes or drawn:
            missing = [k for k in kids if k not in shapes]
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
            outside = shapes[k].difference(grown).area
            if outside > max(AREA_TOLERANCE, OUTSIDE_SHARE * shapes[k].area):
                problems.append(
                    NetProblem(
                        NetProblemKind.OUTSIDE_PARENT,
                        (_label(by_id[k]), _label(parent)),
                        outside,
                        f"{_label(by_id[k])} sticks out of its parent {_label(parent)}",
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
        overlap = shapes[first].intersection(shapes[second]).buffer(-LENGTH_TOLERANCE).area
        if overlap > AREA_TOLERANCE:
            labels = (_label(by_id[first]), _label(by_id[second]))
            problems.append(
                NetProblem(
                    NetProblemKind.OVERLAP,
                    labels,
                    overlap,
                    f"{labels[0]} and {labels[1]} overlap",
                )
            )
    return problems
