"""Positions through GraphQL: placeOrder by position, updateHousehold's position (set in either
datum, left out, null), a grid station's position."""

from __future__ import annotations

import httpx
import pytest

from seed.demo import DEMO_GRID
from seed.onboarding import M
from services.geo.boundaries import boundary_of, load_boundary
from services.geo.datum import wgs84_to_gcj02
from services.models import Area, GridStation, Household, WorkOrder
from tests.conftest import gql, login
from tests.schema.grids_support import gid, key_of

PLACE_ORDER = """
mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    __typename
    ... on PlaceOrderSuccess { workOrder { id position { longitude latitude datum } } }
    ... on Error { code field }
  }
}
"""

UPDATE_HOUSEHOLD = """
mutation($input: UpdateHouseholdInput!) {
  updateHousehold(input: $input) {
    __typename
    ... on UpdateHouseholdSuccess {
      household { id position { longitude latitude } shown: position(datum: GCJ02) { datum } }
    }
    ... on Error { code field }
  }
}
"""

UPDATE_AREA = """
mutation($input: UpdateAreaInput!) {
  updateArea(input: $input) {
    __typename
    ... on UpdateAreaSuccess { area { station { name position { longitude latitude } } } }
    ... on Error { code field }
  }
}
"""


async def _inside(area: Area) -> tuple[float, float]:
    drawn = await boundary_of(area.id)
    assert drawn is not None
    point = load_boundary(drawn).representative_point()
    return point.x, point.y


async def test_place_order_by_position(client: httpx.AsyncClient) -> None:
    # given the resident of M and a point in M's neighbouring micro-grid
    token = await login(client, "resident")
    micro = await Area.get(name=M)
    neighbour = await Area.filter(parent_id=micro.parent_id).exclude(id=micro.id).first()
    assert neighbour is not None
    lon, lat = await _inside(neighbour)
    # when they order there, and then off the net
    body = await gql(
        client,
        PLACE_ORDER,
        {
            "input": {
                "category": "WATER_ELECTRIC",
                "description": "路灯不亮",
                "position": {"longitude": lon, "latitude": lat},
            }
        },
        token=token,
    )
    off = await gql(
        client,
        PLACE_ORDER,
        {
            "input": {
                "category": "WATER_ELECTRIC",
                "description": "路灯不亮",
                "position": {"longitude": 100.0, "latitude": 30.0},
            }
        },
        token=token,
    )
    # then the first is the neighbour's, at that position; the second a typed error
    result = body["data"]["placeOrder"]
    assert result["__typename"] == "PlaceOrderSuccess", result
    assert result["workOrder"]["position"]["longitude"] == pytest.approx(lon)
    order = await WorkOrder.get(id=key_of(result["workOrder"]["id"]))
    assert order.area_id == neighbour.id
    assert off["data"]["placeOrder"] == {
        "__typename": "InvalidInput",
        "code": "INVALID_INPUT",
        "field": "position",
    }


async def test_update_household_position(client: httpx.AsyncClient) -> None:
    # given a household of M and the community's admin
    token = await login(client, "community_admin")
    micro = await Area.get(name=M)
    household = await Household.filter(micro_grid_id=micro.id).order_by("id").first()
    assert household is not None
    lon, lat = await _inside(micro)
    household_id = gid("Household", household.id)

    async def update(extra: dict[str, object]) -> dict[str, object]:
        body = await gql(
            client, UPDATE_HOUSEHOLD, {"input": {"householdId": household_id, **extra}}, token=token
        )
        result: dict[str, object] = body["data"]["updateHousehold"]
        return result

    # when its position is set in GCJ-02
    shown_lon, shown_lat = wgs84_to_gcj02(lon, lat)
    set_ = await update(
        {"position": {"longitude": shown_lon, "latitude": shown_lat, "datum": "GCJ02"}}
    )
    # then it reads back in WGS-84
    assert set_["__typename"] == "UpdateHouseholdSuccess", set_
    stored = await Household.get(id=household.id)
    assert stored.longitude == pytest.approx(lon, abs=1e-7)
    # left out, it stays; outside M, a typed error and nothing changed
    assert (await update({}))["__typename"] == "UpdateHouseholdSuccess"
    assert (await Household.get(id=household.id)).longitude == stored.longitude
    outside = await update({"position": {"longitude": 100.0, "latitude": 30.0}})
    assert outside == {"__typename": "InvalidInput", "code": "INVALID_INPUT", "field": "position"}
    assert (await Household.get(id=household.id)).longitude == stored.longitude
    # null clears it
    cleared = await update({"position": None})
    assert cleared["household"] == {"id": household_id, "position": None, "shown": None}
    assert (await Household.get(id=household.id)).latitude is None


async def test_station_position(client: httpx.AsyncClient) -> None:
    token = await login(client, "community_admin")
    grid = await Area.get(name=DEMO_GRID)
    station = {"name": "颜山驿站", "address": "颜山路1号", "hours": "全天"}
    body = await gql(
        client,
        UPDATE_AREA,
        {
            "input": {
                "areaId": gid("Area", grid.id),
                "station": {**station, "position": {"longitude": 117.86, "latitude": 36.49}},
            }
        },
        token=token,
    )
    result = body["data"]["updateArea"]
    assert result["__typename"] == "UpdateAreaSuccess", result
    assert result["area"]["station"]["position"] == {"longitude": 117.86, "latitude": 36.49}
    stored = await GridStation.get(grid_id=grid.id)
    assert (stored.longitude, stored.latitude) == (117.86, 36.49)
