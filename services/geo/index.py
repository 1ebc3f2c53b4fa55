"""The spatial index of micro-grid boundaries: which micro-grid holds a point (`area_at`).

An STRtree over every micro-grid's boundary, built lazily on the first question and kept in
the process. It is rebuilt when the boundaries change: at once in the process that imported
them (`boundaries_changed` bumps a counter), and in other workers when the stamp of the
micro-grid boundaries in the database (how many were ever drawn, and the latest change: every
write of a boundary sets `boundary_updated_at`) differs from the one the index was built from;
that stamp is one aggregate over a small index per question.
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

_STAMP_SQL = (
    "SELECT COUNT(boundary_updated_at) AS n, MAX(boundary_updated_at) AS latest "
    "FROM area WHERE level = ?"
)


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
    row = (await db.fetch(_STAMP_SQL, [AreaLevel.MICRO_GRID.value]))[0]
    return (int(row["n"]), str(row["latest"]))


async def _build(stamp: tuple[Any, ...], version: int) -> _Index:
    from services.geo.boundaries import load_boundary  # boundaries imports this module

    rows = await db.fetch(
        "SELECT id, boundary FROM area WHERE level = ? AND boundary IS NOT NULL ORDER BY id",
        [AreaLevel.MICRO_GRID.value],
    )
    ids = [r["id"] for r in rows]
    shapes = [load_boundary(r["boundary"]) for r in rows]
    for geometry in shapes:
        shapely.prepare(geometry)
    return _Index(version, stamp, shapely.STRtree(shapes), ids, shapes)


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
