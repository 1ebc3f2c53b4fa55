"""Queries of the map (网格一张图): which micro-grid holds a point (`areaAt`)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.geo.types import DATUM_ARGUMENT
from schema.grids.types import Area
from services.enums import Datum
from services.geo import index
from services.geo.points import GeoPoint as GeoPointValue


@strawberry.type
class GeoQuery:
    @strawberry.field(
        description="The micro-grid (微网格) whose boundary holds the point, or null outside "
        "every micro-grid; its grid, community, street and district are its `ancestors`. "
        "A point on an edge shared by two micro-grids gets the one created first."
    )
    async def area_at(
        self,
        longitude: Annotated[float, strawberry.argument(description="Longitude (经度).")],
        latitude: Annotated[float, strawberry.argument(description="Latitude (纬度).")],
        datum: Annotated[Datum, DATUM_ARGUMENT] = Datum.WGS84,
    ) -> Area | None:
        found = await index.area_containing(point=GeoPointValue(longitude, latitude, datum))
        return Area.from_model(found) if found else None
