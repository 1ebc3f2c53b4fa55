"""The net as a map layer (网格一张图): a GeoJSON FeatureCollection of the areas of one level
under an area, each with its name, leaders and live figures, for a map front end (Leaflet,
MapLibre, 高德).

A fixed number of statements whatever the number of areas: the areas, their duty holders,
coverage (two), open orders (one). Names, levels, boundaries and duty holders are public (the
grid map hangs on the wall, the duty cards are public); figures are shown to admins and
leaders of the area, null elsewhere. Callers not signed in get at most ANONYMOUS_MAX_FEATURES
features; the cost estimate counts the field as the features it may return
(schema/core/list_bounds.py FIELD_COSTS). Feature ids are the areas' Relay global IDs.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from services.enums import AreaLevel, Datum, WorkOrderStatus
from services.errors import InvalidInput, NotFound
from services.geo.boundaries import boundary_in
from services.grids.coverage import coverage_figures
from services.kit import db
from services.kit.auth import Actor
from services.kit.paths import SUBTREE_END, subtree_bounds
from services.models import Area
from services.people import role_holders_by_area

# The most features one call returns (a district has a few thousand micro-grids); callers not
# signed in get at most ANONYMOUS_MAX_FEATURES (the public wall map of a community or street).
MAX_FEATURES = 10_000
ANONYMOUS_MAX_FEATURES = 500
OPEN_STATUSES = (
    WorkOrderStatus.SUBMITTED,
    WorkOrderStatus.DISPATCHED,
    WorkOrderStatus.ACCEPTED,
    WorkOrderStatus.IN_PROGRESS,
    WorkOrderStatus.SUSPENDED,
    WorkOrderStatus.RESOLVED,
)


async def _open_orders(area_ids: list[int]) -> dict[int, int]:
    if not area_ids:
        return {}
    marks = ",".join("?" for _ in area_ids)
    states = ",".join("?" for _ in OPEN_STATUSES)
    rows = await db.fetch(
        f"""
        SELECT a.id AS area_id, COUNT(o.id) AS n
        FROM area a
        JOIN work_order o ON o.handling_path >= a.path AND o.handling_path < {SUBTREE_END}
        WHERE a.id IN ({marks}) AND o.status IN ({states})
        GROUP BY a.id
        """,
        [*area_ids, *(s.value for s in OPEN_STATUSES)],
    )
    return {int(r["area_id"]): int(r["n"]) for r in rows}


async def map_features(
    *,
    actor: Actor | None,
    under_id: int,
    level: AreaLevel | None = None,
    datum: Datum = Datum.WGS84,
) -> dict[str, Any]:
    """The areas of `level` (default: one below `under`) under an area as a FeatureCollection
    in `datum`; areas without a boundary are left out."""
    under = await Area.get_or_none(id=under_id)
    if under is None:
        raise NotFound("No such area.", field="under")
    if level is None:
        if under.level is AreaLevel.MICRO_GRID:
            level = AreaLevel.MICRO_GRID
        else:
            level = list(AreaLevel)[under.level.rank + 1]
    if level.rank < under.level.rank:
        raise InvalidInput("Ask for a level at or below the area's own.", field="level")
    limit = MAX_FEATURES if actor is not None else ANONYMOUS_MAX_FEATURES
    low, high = subtree_bounds(under.path)
    rows = await db.fetch(
        "SELECT a.id, a.code, a.name, a.level, a.path, b.geojson AS boundary FROM area a "
        "JOIN area_boundary b ON b.area_id = a.id "
        "WHERE a.path >= ? AND a.path < ? AND a.level = ? ORDER BY a.id LIMIT ?",
        [low, high, level.value, limit + 1],
    )
    if len(rows) > limit:
        signed = "" if actor is not None else " (sign in for more)"
        raise InvalidInput(
            f"More than {limit} areas{signed}: ask for a higher level or a smaller area.",
            field="level",
        )
    ids = [int(r["id"]) for r in rows]
    holders = await role_holders_by_area(area_ids=ids)
    readable = [i for i, r in zip(ids, rows, strict=True) if actor and actor.reads(r["path"])]
    coverage = dict(zip(readable, await coverage_figures(readable), strict=True))
    open_orders = await _open_orders(readable)
    figures_of = {
        area_id: (coverage.get(area_id), open_orders.get(area_id, 0)) for area_id in readable
    }
    # Parsing, converting and dumping thousands of polygons takes a while: off the event loop.
    features = await asyncio.to_thread(_features, rows, holders, figures_of, datum)
    return {"type": "FeatureCollection", "datum": datum.value, "features": features}


def _features(
    rows: list[dict[str, Any]],
    holders: list[list[Any]],
    figures_of: dict[int, tuple[Any, int]],
    datum: Datum,
) -> list[dict[str, Any]]:
    features = []
    for row, held in zip(rows, holders, strict=True):
        area_id = int(row["id"])
        figures, open_count = figures_of.get(area_id, (None, 0))
        global_id = area_global_id(area_id)
        features.append(
            {
                "type": "Feature",
                "id": global_id,
                "geometry": boundary_in(row["boundary"], datum),
                "properties": {
                    "id": global_id,
                    "code": row["code"],
                    "name": row["name"],
                    "level": row["level"],
                    "leaders": [{"role": h.role.value, "name": h.person.name} for h in held],
                    "openWorkOrders": None if figures is None else open_count,
                    "households": None if figures is None else figures.households,
                    "assignedHouseholds": None if figures is None else figures.assigned_households,
                    "centralHouseholdCoverage": None
                    if figures is None
                    else round(figures.central_household_coverage, 4),
                    "microGridsWithoutLeader": None
                    if figures is None
                    else figures.micro_grids_without_leader,
                },
            }
        )
    return features


def area_global_id(area_id: int) -> str:
    """The Relay global ID of an area (API.md: base64 of "Area:<id>"), as `node(id:)` takes."""
    return base64.b64encode(f"Area:{area_id}".encode()).decode()
