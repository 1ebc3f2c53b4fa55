"""Queries of the map (网格一张图): which micro-grid holds a point (`areaAt`)."""

from __future__ import annotations

from typing import Annotated, cast

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

import schema.grids.enums  # noqa: F401  (registers AreaLevel)
from schema.core.context import Info
from schema.core.ids import id_argument, require_key
from schema.geo.types import DATUM_ARGUMENT
from schema.grids.types import Area
from services.enums import AreaLevel, Datum
from services.geo import features, index
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

    @strawberry.field(
        description="The net as a map layer (网格一张图): a GeoJSON FeatureCollection of the "
        "areas of `level` under an area, in `datum`. Each feature's `properties`: id (the row "
        "id), code, name, level, leaders ([{role, name}], as on the duty cards), and the live "
        "figures openWorkOrders, households, assignedHouseholds, centralHouseholdCoverage "
        "(0..1) and microGridsWithoutLeader, null where you are not an admin or leader of the "
        "area. Feature ids are the areas' global IDs. Areas without a boundary are left out; at "
        "most 10,000 features (500 when not signed in); costs 2,500."
    )
    async def map_features(
        self,
        info: Info,
        under: Annotated[relay.GlobalID, id_argument("Area", description="The area to map.")],
        level: Annotated[
            AreaLevel | None,
            strawberry.argument(description="Which level to draw (default: one below `under`)."),
        ] = None,
        datum: Annotated[Datum, DATUM_ARGUMENT] = Datum.WGS84,
    ) -> JSON:
        return cast(
            "JSON",
            await features.map_features(
                actor=info.context.actor,
                under_id=require_key(under, "Area", "under"),
                level=level,
                datum=datum,
            ),
        )
