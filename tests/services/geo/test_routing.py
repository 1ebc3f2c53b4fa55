"""Problem reports routed by position, and the demo district on the map."""

from __future__ import annotations

import pytest

from seed.demo import DEMO_GRID
from seed.onboarding import M
from services import workorders
from services.enums import AreaLevel, Datum
from services.errors import InvalidInput
from services.geo.boundaries import boundary_of, check_net_as_operator, load_boundary
from services.geo.datum import wgs84_to_gcj02
from services.geo.index import area_at
from services.geo.points import GeoPoint
from services.models import Area, AreaBoundary, GridStation, Household, WorkOrder
from tests.conftest import Database, actor_for


async def _inside(area: Area) -> tuple[float, float]:
    drawn = await boundary_of(area.id)
    assert drawn is not None
    point = load_boundary(drawn).representative_point()
    return point.x, point.y


async def _report(area_id: int | None, position: GeoPoint | None) -> WorkOrder:
    return await workorders.report_problem(
        actor=await actor_for("rider"),
        category="SANITATION",
        area_id=area_id,
        location="3 号楼东侧",
        description="垃圾满溢",
        photo_urls=[],
        position=position,
    )


class TestDemoMap:
    async def test_every_area_drawn_and_the_net_clean(self, db: Database) -> None:
        assert await AreaBoundary.all().count() == await Area.all().count()
        assert await check_net_as_operator() == []

    async def test_households_and_stations_in_their_areas(self, db: Database) -> None:
        for household in await Household.filter(micro_grid_id__isnull=False).limit(50):
            assert household.longitude is not None and household.latitude is not None
            found = await area_at(household.longitude, household.latitude)
            assert found is not None and found.id == household.micro_grid_id
        station = await GridStation.first()
        assert station is not None and station.longitude is not None

    async def test_area_at_demo_micro_grid(self, db: Database) -> None:
        micro = await Area.get(name=M)
        found = await area_at(*await _inside(micro))
        assert found is not None and found.id == micro.id
        assert await area_at(100.0, 30.0) is None


class TestRouteByPosition:
    async def test_position_without_area_decides(self, db: Database) -> None:
        # given a point in micro-grid M, given in GCJ-02 as a phone's map shows it
        micro = await Area.get(name=M)
        lon, lat = await _inside(micro)
        shown = wgs84_to_gcj02(lon, lat)
        # when the rider reports there without naming the area
        order = await _report(None, GeoPoint(*shown, Datum.GCJ02))
        # then the report is M's, its position stored in WGS-84
        assert order.area_id == micro.id
        stored = await WorkOrder.get(id=order.id)
        assert stored.longitude == pytest.approx(lon, abs=1e-7)
        assert stored.latitude == pytest.approx(lat, abs=1e-7)

    async def test_position_refines_a_grid(self, db: Database) -> None:
        grid = await Area.get(name=DEMO_GRID)
        micro = await Area.get(name=M)
        order = await _report(grid.id, GeoPoint(*await _inside(micro)))
        assert order.area_id == micro.id

    async def test_position_outside_the_given_area_does_not_override(self, db: Database) -> None:
        grid = await Area.get(name=DEMO_GRID)
        elsewhere = await Area.filter(level=AreaLevel.MICRO_GRID, parent_id__not=grid.id).first()
        assert elsewhere is not None
        order = await _report(grid.id, GeoPoint(*await _inside(elsewhere)))
        assert order.area_id == grid.id

    async def test_position_off_the_net(self, db: Database) -> None:
        micro = await Area.get(name=M)
        order = await _report(micro.id, GeoPoint(100.0, 30.0))
        assert order.area_id == micro.id
        with pytest.raises(InvalidInput) as raised:
            await _report(None, GeoPoint(100.0, 30.0))
        assert raised.value.field == "areaId"

    async def test_neither_area_nor_position(self, db: Database) -> None:
        with pytest.raises(InvalidInput) as raised:
            await _report(None, None)
        assert raised.value.field == "areaId"

    async def test_off_the_globe(self, db: Database) -> None:
        with pytest.raises(InvalidInput) as raised:
            await _report(None, GeoPoint(200.0, 30.0))
        assert raised.value.field == "position"
