"""The map through GraphQL: areaAt in both datums, boundaries, positions, reports by position."""

from __future__ import annotations

import httpx
import pytest

from seed.demo import DEMO_GRID
from seed.onboarding import M
from services.geo.boundaries import boundary_of, load_boundary
from services.geo.datum import wgs84_to_gcj02
from services.models import Area, Household, WorkOrder
from tests.conftest import Database, gql, login
from tests.schema.grids_support import gid, key_of

AREA_AT = """
query AreaAt($lon: Float!, $lat: Float!, $datum: Datum!) {
  areaAt(longitude: $lon, latitude: $lat, datum: $datum) {
    id name level code ancestors { name level }
    boundary(datum: $datum)
  }
}
"""

REPORT = """
mutation Report($input: ReportProblemInput!) {
  reportProblem(input: $input) {
    __typename
    ... on ReportProblemSuccess {
      workOrder { id location position(datum: GCJ02) { longitude latitude datum } }
    }
    ... on Error { code message }
    ... on InvalidInput { field }
  }
}
"""


async def _inside(name: str) -> tuple[Area, tuple[float, float]]:
    area = await Area.get(name=name)
    drawn = await boundary_of(area.id)
    assert drawn is not None
    point = load_boundary(drawn).representative_point()
    return area, (point.x, point.y)


class TestAreaAt:
    @pytest.mark.parametrize("datum", ["WGS84", "GCJ02"])
    async def test_finds_the_micro_grid_and_its_line(
        self, client: httpx.AsyncClient, datum: str
    ) -> None:
        # given a point in micro-grid M, as GPS gives it or as 高德 shows it
        micro, (lon, lat) = await _inside(M)
        if datum == "GCJ02":
            lon, lat = wgs84_to_gcj02(lon, lat)
        # when anyone asks which micro-grid holds it
        body = await gql(client, AREA_AT, {"lon": lon, "lat": lat, "datum": datum})
        # then M, with its grid up to the district, and its boundary in the same datum
        assert "errors" not in body, body
        found = body["data"]["areaAt"]
        assert key_of(found["id"]) == micro.id
        assert found["level"] == "MICRO_GRID" and found["code"] == micro.code
        assert [a["level"] for a in found["ancestors"]] == [
            "DISTRICT",
            "STREET",
            "COMMUNITY",
            "GRID",
        ]
        assert found["ancestors"][-1]["name"] == DEMO_GRID
        ring = found["boundary"]["coordinates"][0]
        assert found["boundary"]["type"] == "Polygon"
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        assert min(xs) <= lon <= max(xs) and min(ys) <= lat <= max(ys)

    async def test_null_off_the_net(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, AREA_AT, {"lon": 2.35, "lat": 48.85, "datum": "WGS84"})
        assert body["data"] == {"areaAt": None}

    async def test_off_the_globe_is_an_error(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, AREA_AT, {"lon": 500.0, "lat": 30.0, "datum": "WGS84"})
        assert body["data"] == {"areaAt": None}
        assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


class TestPositions:
    async def test_household_position_in_both_datums(
        self, client: httpx.AsyncClient, db: Database
    ) -> None:
        household = await Household.filter(micro_grid_id__isnull=False).order_by("id").first()
        assert household is not None and household.longitude is not None
        assert household.latitude is not None
        token = await login(client, "district_admin")
        body = await gql(
            client,
            """query($id: ID!) { node(id: $id) { ... on Household {
                wgs: position { longitude latitude datum }
                gcj: position(datum: GCJ02) { longitude latitude datum } } } }""",
            {"id": gid("Household", household.id)},
            token=token,
        )
        assert "errors" not in body, body
        node = body["data"]["node"]
        assert node["wgs"] == {
            "longitude": household.longitude,
            "latitude": household.latitude,
            "datum": "WGS84",
        }
        glon, glat = wgs84_to_gcj02(household.longitude, household.latitude)
        assert node["gcj"] == {"longitude": glon, "latitude": glat, "datum": "GCJ02"}


class TestReportByPosition:
    async def test_routed_to_the_micro_grid_there(
        self, client: httpx.AsyncClient, db: Database
    ) -> None:
        # given the rider at a spot in M, read off a GCJ-02 map
        micro, (lon, lat) = await _inside(M)
        glon, glat = wgs84_to_gcj02(lon, lat)
        token = await login(client, "rider")
        # when the rider reports without choosing an area
        body = await gql(
            client,
            REPORT,
            {
                "input": {
                    "category": "SANITATION",
                    "location": "3 号楼东侧",
                    "description": "垃圾满溢",
                    "position": {"longitude": glon, "latitude": glat, "datum": "GCJ02"},
                }
            },
            token=token,
        )
        # then it is M's, its position shown back in GCJ-02 and stored in WGS-84
        result = body["data"]["reportProblem"]
        assert result["__typename"] == "ReportProblemSuccess", body
        shown = result["workOrder"]["position"]
        assert shown["longitude"] == pytest.approx(glon, abs=1e-7)
        assert shown["latitude"] == pytest.approx(glat, abs=1e-7)
        order = await WorkOrder.get(id=key_of(result["workOrder"]["id"]))
        assert order.area_id == micro.id
        assert order.longitude == pytest.approx(lon, abs=1e-7)

    async def test_neither_area_nor_position(self, client: httpx.AsyncClient, db: Database) -> None:
        token = await login(client, "rider")
        body = await gql(
            client,
            REPORT,
            {"input": {"category": "SANITATION", "location": "x", "description": "y"}},
            token=token,
        )
        result = body["data"]["reportProblem"]
        assert (result["__typename"], result["field"]) == ("InvalidInput", "areaId")


class TestCreateHouseholdWithPosition:
    async def test_stored_in_wgs84(self, client: httpx.AsyncClient, db: Database) -> None:
        micro, (lon, lat) = await _inside(M)
        glon, glat = wgs84_to_gcj02(lon, lat)
        token = await login(client, "district_admin")
        body = await gql(
            client,
            """mutation($input: CreateHouseholdInput!) { createHousehold(input: $input) {
                __typename ... on CreateHouseholdSuccess { household { id
                  position { longitude latitude datum } } } } }""",
            {
                "input": {
                    "areaId": gid("Area", micro.id),
                    "address": "颜山花园3号楼",
                    "position": {"longitude": glon, "latitude": glat, "datum": "GCJ02"},
                }
            },
            token=token,
        )
        result = body["data"]["createHousehold"]
        assert result["__typename"] == "CreateHouseholdSuccess", body
        shown = result["household"]["position"]
        assert shown["datum"] == "WGS84"
        assert (shown["longitude"], shown["latitude"]) == pytest.approx((lon, lat), abs=1e-7)
        stored = await Household.get(id=key_of(result["household"]["id"]))
        assert (stored.longitude, stored.latitude) == pytest.approx((lon, lat), abs=1e-7)
