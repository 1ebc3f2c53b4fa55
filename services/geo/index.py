"""The spatial index of micro-grid boundaries: which micro-grid holds a point (`area_at`).

An STRtree over every micro-grid's boundary, built lazily on the first question and kept in
the process. It is rebuilt when the boundaries change: at once in the process that imported
them (`boundaries_changed` bumps a counter), and in other workers when the stamp of the
boundaries in the database (how many there are, and the greatest version: every write of a
boundary gives it a version past all others, never a time) differs from the one the index was
built from; that stamp is one aggregate over a small index per question.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from services.enums import AreaLevel
from services.geo.points import GeoPoint
from services.kit import db
from services.models import Area

# How many boundaries there are and the greatest version (every write bumps it past all
# others): a scan of the small unique index on `version`, not of the boundaries' text.
_STAMP_SQL = "SELECT COUNT(version) AS n, MAX(version) AS latest FROM area_boundary"


@dataclass(frozen=True)
class _Index:
    version: int
    stamp: tuple[Any, ...]
    tree: shapely.STRtree
    ids: list[int]
    shapes: list[BaseGeometry]


_version = 0
_built: _Index | None = None
_lock = asyncio.Lock()


def boundaries_changed() -> None:
    """Boundaries were written in this process: the next question rebuilds the index."""
    global _version
    _version += 1


async def _stamp() -> tuple[Any, ...]:
    row = (await db.fetch(_STAMP_SQL, []))[0]
    return (int(row["n"]), int(row["latest"] or 0))


async def _build(stamp: tuple[Any, ...], version: int) -> _Index:
    from services.geo.boundaries import load_boundary  # boundaries imports this module

    rows = await db.fetch(
        "SELECT b.area_id AS id, b.geojson FROM area_boundary b JOIN area a ON a.id = b.area_id "
        "WHERE a.level = ? ORDER BY b.area_id",
        [AreaLevel.MICRO_GRID.value],
    )
    ids = [int(r["id"]) for r in rows]
    texts = [str(r["geojson"]) for r in rows]

    def parse() -> tuple[shapely.STRtree, list[BaseGeometry]]:
        shapes = [load_boundary(text) for text in texts]
        for geometry in shapes:
            shapely.prepare(geometry)
        return shapely.STRtree(shapes), shapes

    # Parsing thousands of boundaries takes a while: off the event loop.
    tree, shapes = await asyncio.to_thread(parse)
    return _Index(version, stamp, tree, ids, shapes)


async def _current() -> _Index:
    global _built
    stamp = await _stamp()
    built = _built
    if built is not None and built.version == _version and built.stamp == stamp:
        return built
    async with _lock:
        built = _built
        if built is None or built.version != _version or built.stamp != stamp:
            version = _version
            built = _built = await _build(stamp, version)
    return built


async def micro_grid_id_at(longitude: float, latitude: float) -> int | None:
    """The id of the micro-grid whose boundary holds the WGS-84 point, or None."""
    built = await _current()
    point = shapely.Point(longitude, latitude)
    hits = built.tree.query(point, predicate="intersects")
    if len(hits) == 0:
        return None
    # A point on an edge shared by two micro-grids lies in both: the lowest id wins, so the
    # answer does not depend on the order the index was built in.
    return min(built.ids[int(i)] for i in hits)


async def area_at(longitude: float, latitude: float) -> Area | None:
    """The micro-grid (微网格) holding the WGS-84 point, or None outside every micro-grid."""
    found = await micro_grid_id_at(longitude, latitude)
    return None if found is None else await Area.get_or_none(id=found)


def forget() -> None:
    """Drop the built index (tests switching databases)."""
    global _built
    _built = None


async def area_containing(*, point: GeoPoint) -> Area | None:
    """The micro-grid (微网格) holding a point given in either datum, or None (the territory
    is public: anyone may ask)."""
    return await area_at(*point.wgs84(field="longitude"))
