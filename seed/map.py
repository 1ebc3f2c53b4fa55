"""The demo district on the map: nested rectangles over 博山区 (Zibo, Shandong), WGS-84.

The district's box is cut into strips for its streets, each street's strip into strips the
other way for its communities, and so on down to the micro-grids, so every child lies inside
its parent, siblings share edges only, and there are no gaps. Households get a point inside
their micro-grid, grid stations the centre of their grid.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from services.geo.boundaries import draw_boundaries_as_operator
from services.geo.points import place_households_as_operator, place_stations_as_operator
from services.models import Area, GridStation, Household

# 博山区 around its centre (117.86 E, 36.49 N): about 10 km × 11 km.
DISTRICT_BOX = (117.80, 36.44, 117.92, 36.54)
Box = tuple[float, float, float, float]


def _polygon(box: Box) -> dict[str, Any]:
    x0, y0, x1, y1 = box
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return {"type": "Polygon", "coordinates": [[[round(x, 7), round(y, 7)] for x, y in ring]]}


def _split(box: Box, parts: int, vertical: bool) -> list[Box]:
    x0, y0, x1, y1 = box
    if vertical:
        step = (x1 - x0) / parts
        return [(x0 + i * step, y0, x0 + (i + 1) * step, y1) for i in range(parts)]
    step = (y1 - y0) / parts
    return [(x0, y0 + i * step, x1, y0 + (i + 1) * step) for i in range(parts)]


def _spot(box: Box, i: int, n: int) -> tuple[float, float]:
    """The i-th of n points spread over the middle of a box (rows of up to 8)."""
    x0, y0, x1, y1 = box
    columns = min(n, 8)
    rows = (n + columns - 1) // columns
    c, r = i % columns, i // columns
    return (
        round(x0 + (x1 - x0) * (0.1 + 0.8 * (c + 0.5) / columns), 7),
        round(y0 + (y1 - y0) * (0.1 + 0.8 * (r + 0.5) / rows), 7),
    )


async def seed_map() -> None:
    """Boundaries for every demo area, positions for its households and grid stations."""
    areas = await Area.all().order_by("id")
    children: dict[int | None, list[Area]] = defaultdict(list)
    for area in areas:
        children[area.parent_id].append(area)
    boxes: dict[int, Box] = {}
    for district in children[None]:
        boxes[district.id] = DISTRICT_BOX
        pending = [district]
        while pending:
            parent = pending.pop()
            kids = children[parent.id]
            if not kids:
                continue
            vertical = parent.level.rank % 2 == 0
            for kid, box in zip(kids, _split(boxes[parent.id], len(kids), vertical), strict=True):
                boxes[kid.id] = box
                pending.append(kid)
    await draw_boundaries_as_operator(boundaries={i: _polygon(b) for i, b in boxes.items()})
    homes: dict[int, list[int]] = defaultdict(list)
    for household_id, micro_id in (
        await Household.filter(micro_grid_id__isnull=False)
        .order_by("id")
        .values_list("id", "micro_grid_id")
    ):
        homes[int(micro_id)].append(int(household_id))
    await place_households_as_operator(
        positions={
            h: _spot(boxes[micro_id], i, len(ids))
            for micro_id, ids in homes.items()
            for i, h in enumerate(ids)
        }
    )
    grids = [g for (g,) in await GridStation.all().values_list("grid_id")]
    await place_stations_as_operator(positions={int(g): _spot(boxes[int(g)], 0, 1) for g in grids})
