"""WGS-84 ⇄ GCJ-02 against published reference points.

Reference pairs: googollee/eviltransform's test suites (python/test.py, go/transform_test.go:
Shanghai, Shenzhen, Beijing) and wandergis/coordtransform's README/test/app.js
(wgs84togcj02(116.404, 39.915) = [116.41024449916938, 39.91640428150164]).
"""

from __future__ import annotations

import pytest

from services.enums import Datum
from services.geo.datum import from_wgs84, gcj02_to_wgs84, out_of_china, to_wgs84, wgs84_to_gcj02

# (wgs lon, wgs lat, gcj lon, gcj lat)
REFERENCE = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),  # Shanghai (eviltransform)
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),  # Shenzhen (eviltransform)
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),  # Beijing (eviltransform)
    (116.404, 39.915, 116.41024449916938, 39.91640428150164),  # Beijing (coordtransform)
]
TOLERANCE = 1e-6


class TestForward:
    @pytest.mark.parametrize(("wlon", "wlat", "glon", "glat"), REFERENCE)
    def test_reference_points(self, wlon: float, wlat: float, glon: float, glat: float) -> None:
        lon, lat = wgs84_to_gcj02(wlon, wlat)
        assert lon == pytest.approx(glon, abs=TOLERANCE)
        assert lat == pytest.approx(glat, abs=TOLERANCE)

    def test_outside_china_no_offset(self) -> None:
        assert out_of_china(2.35, 48.85)
        assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
        assert gcj02_to_wgs84(-74.0, 40.7) == (-74.0, 40.7)


class TestInverse:
    @pytest.mark.parametrize(("wlon", "wlat", "glon", "glat"), REFERENCE)
    def test_reference_points(self, wlon: float, wlat: float, glon: float, glat: float) -> None:
        lon, lat = gcj02_to_wgs84(glon, glat)
        assert lon == pytest.approx(wlon, abs=TOLERANCE)
        assert lat == pytest.approx(wlat, abs=TOLERANCE)

    @pytest.mark.parametrize("lon", [73.5, 87.6, 104.06, 113.26, 120.15, 126.6, 134.0])
    @pytest.mark.parametrize("lat", [18.3, 30.27, 39.9, 45.75, 53.0])
    def test_round_trip_below_1e_7(self, lon: float, lat: float) -> None:
        back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
        assert abs(back[0] - lon) < 1e-7
        assert abs(back[1] - lat) < 1e-7


class TestByDatum:
    def test_wgs84_is_identity(self) -> None:
        assert to_wgs84(120.15, 30.27, Datum.WGS84) == (120.15, 30.27)
        assert from_wgs84(120.15, 30.27, Datum.WGS84) == (120.15, 30.27)

    def test_gcj02_round_trip(self) -> None:
        shown = from_wgs84(120.15, 30.27, Datum.GCJ02)
        assert shown != (120.15, 30.27)
        back = to_wgs84(*shown, Datum.GCJ02)
        assert back == pytest.approx((120.15, 30.27), abs=1e-7)
