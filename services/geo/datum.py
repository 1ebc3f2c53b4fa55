"""Datums: WGS-84 (GPS, what we store) and GCJ-02 (火星坐标, what Chinese maps such as 高德 use).

GCJ-02 is WGS-84 shifted by the public obfuscation formula on the Krasovsky 1940 ellipsoid
(a = 6378245.0, e² = 0.00669342162296594323), applied only inside a box around China; outside it
the two datums coincide. The forward transform is exact by definition; the inverse has no closed
form, so it is found by fixed-point iteration to under 1e-7 degrees (~1 cm).
"""

from __future__ import annotations

import math

from services.enums import Datum

_A = 6378245.0
_EE = 0.00669342162296594323
# Stop the inverse when a step moves less than this (degrees): ~1 cm on the ground.
_INVERSE_TOLERANCE = 1e-9
_INVERSE_MAX_STEPS = 30


def out_of_china(longitude: float, latitude: float) -> bool:
    """True outside the box where GCJ-02 applies an offset (the box every implementation uses)."""
    return not (72.004 <= longitude <= 137.8347 and 0.8293 <= latitude <= 55.8271)


def _offset(longitude: float, latitude: float) -> tuple[float, float]:
    x = longitude - 105.0
    y = latitude - 35.0
    common = (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    d_lat += common
    d_lat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    d_lat += (
        (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    )
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    d_lon += common
    d_lon += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    d_lon += (
        (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    )
    rad_lat = latitude / 180.0 * math.pi
    magic = 1.0 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return d_lon, d_lat


def wgs84_to_gcj02(longitude: float, latitude: float) -> tuple[float, float]:
    """(longitude, latitude) in WGS-84 → GCJ-02; unchanged outside China."""
    if out_of_china(longitude, latitude):
        return longitude, latitude
    d_lon, d_lat = _offset(longitude, latitude)
    return longitude + d_lon, latitude + d_lat


def gcj02_to_wgs84(longitude: float, latitude: float) -> tuple[float, float]:
    """(longitude, latitude) in GCJ-02 → WGS-84, by iteration; unchanged outside China."""
    if out_of_china(longitude, latitude):
        return longitude, latitude
    # The offset changes slowly (a few metres per km), so x ← x + (target − f(x)) converges
    # in a handful of steps from the one-step estimate.
    lon, lat = longitude, latitude
    for _ in range(_INVERSE_MAX_STEPS):
        fwd_lon, fwd_lat = wgs84_to_gcj02(lon, lat)
        step_lon, step_lat = longitude - fwd_lon, latitude - fwd_lat
        lon += step_lon
        lat += step_lat
        if abs(step_lon) < _INVERSE_TOLERANCE and abs(step_lat) < _INVERSE_TOLERANCE:
            break
    return lon, lat


def to_wgs84(longitude: float, latitude: float, datum: Datum) -> tuple[float, float]:
    """A point given in `datum` → WGS-84 (what is stored)."""
    if datum is Datum.GCJ02:
        return gcj02_to_wgs84(longitude, latitude)
    return longitude, latitude


def from_wgs84(longitude: float, latitude: float, datum: Datum) -> tuple[float, float]:
    """A stored WGS-84 point → `datum` (what the caller asked for)."""
    if datum is Datum.GCJ02:
        return wgs84_to_gcj02(longitude, latitude)
    return longitude, latitude
