"""Points on the map: what a caller gives (longitude, latitude, datum), checked and stored in
WGS-84 as two float columns (both or neither)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from services.enums import Datum
from services.errors import InvalidInput
from services.geo.datum import from_wgs84, to_wgs84
from services.models import GridStation, Household


@dataclass(frozen=True, slots=True)
class GeoPoint:
    """A point in degrees, in `datum`."""

    longitude: float
    latitude: float
    datum: Datum = Datum.WGS84

    def wgs84(self, *, field: str = "position") -> tuple[float, float]:
        """(longitude, latitude) in WGS-84, InvalidInput on `field` when off the globe."""
        lon, lat = self.longitude, self.latitude
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise InvalidInput("Longitude and latitude must be numbers.", field=field)
        if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
            raise InvalidInput(
                "Longitude lies in [-180, 180] and latitude in [-90, 90].", field=field
            )
        return to_wgs84(lon, lat, self.datum)


def stored_point(
    longitude: float | None, latitude: float | None, datum: Datum = Datum.WGS84
) -> GeoPoint | None:
    """The stored WGS-84 columns shown in `datum` (None where nothing was stored)."""
    if longitude is None or latitude is None:
        return None
    lon, lat = from_wgs84(longitude, latitude, datum)
    return GeoPoint(lon, lat, datum)


async def place_households_as_operator(*, positions: Mapping[int, tuple[float, float]]) -> None:
    """Set the WGS-84 positions of households by id (seed and shell), in one transaction."""
    async with in_transaction():
        for household_id, (lon, lat) in positions.items():
            await Household.filter(id=household_id).update(longitude=lon, latitude=lat)


async def place_stations_as_operator(*, positions: Mapping[int, tuple[float, float]]) -> None:
    """Set the WGS-84 positions of grid stations by grid id (seed and shell)."""
    async with in_transaction():
        for grid_id, (lon, lat) in positions.items():
            await GridStation.filter(grid_id=grid_id).update(longitude=lon, latitude=lat)
