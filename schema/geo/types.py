"""Points on the map in either datum (the types every domain's positions use)."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from schema.core.errors import describe_values
from services.enums import Datum
from services.geo.points import GeoPoint as GeoPointValue
from services.geo.points import stored_point

strawberry.enum(
    Datum,
    description="Datum of coordinates: WGS84 (GPS; what is stored) or GCJ02 (火星坐标, used by "
    "Chinese web maps such as 高德 and 腾讯). Converted on the way in and out.",
)
describe_values(
    Datum,
    {
        "WGS84": "WGS-84, as GPS gives it (and as stored).",
        "GCJ02": "GCJ-02 (火星坐标), as Chinese web maps (高德, 腾讯) show it.",
    },
)

DATUM_ARGUMENT = strawberry.argument(
    description="The datum of the coordinates given or returned (default WGS84)."
)


@strawberry.type(description="A point on the map, in degrees, in the datum asked for.")
class GeoPoint:
    longitude: float = strawberry.field(description="Longitude (经度), degrees east.")
    latitude: float = strawberry.field(description="Latitude (纬度), degrees north.")
    datum: Datum = strawberry.field(description="The datum of these coordinates.")

    @classmethod
    def from_value(cls, point: GeoPointValue | None) -> GeoPoint | None:
        if point is None:
            return None
        return cls(longitude=point.longitude, latitude=point.latitude, datum=point.datum)


@strawberry.input(description="A point on the map, in degrees, in either datum.")
class GeoPointInput:
    longitude: float = strawberry.field(description="Longitude (经度), degrees east.")
    latitude: float = strawberry.field(description="Latitude (纬度), degrees north.")
    datum: Datum = strawberry.field(
        default=Datum.WGS84, description="The datum of these coordinates (default WGS84)."
    )

    def to_value(self) -> GeoPointValue:
        return GeoPointValue(self.longitude, self.latitude, self.datum)


def point_field(what: str) -> Any:
    """A `position(datum)` field reading the private `longitude`/`latitude` of its type."""

    def resolve(
        root: Any, datum: Annotated[Datum, DATUM_ARGUMENT] = Datum.WGS84
    ) -> GeoPoint | None:
        return GeoPoint.from_value(stored_point(root.longitude, root.latitude, datum))

    return strawberry.field(
        resolver=resolve, description=f"Where {what} is on the map (null if not placed)."
    )
