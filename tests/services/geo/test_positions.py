"""Where households, stations and residents' orders are (issue 16 §3): placeOrder routed by
position, households' positions inside their micro-grid, stations' positions, and the 经度/纬度
columns of the households import."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from seed.demo import DEMO_COMMUNITY, DEMO_GRID
from seed.onboarding import M
from services import households, workorders
from services.enums import AreaLevel, Datum, ImportKind, ImportStatus, Role
from services.errors import Forbidden, InvalidInput, NotFound
from services.geo.boundaries import boundary_of, load_boundary
from services.geo.datum import wgs84_to_gcj02
from services.geo.points import GeoPoint
from services.grids import StationInput, update_area
from services.imports import import_file
from services.imports.columns import headers
from services.kit.paths import is_under, path_ids
from services.models import (
    Area,
    GridStation,
    Household,
    ImportRowError,
    RoleAssignment,
    WorkOrder,
)
from services.people import assign_role, end_role
from tests.conftest import Database, actor_for

OFF_THE_NET = GeoPoint(100.0, 30.0)


async def _inside(area: Area) -> tuple[float, float]:
    drawn = await boundary_of(area.id)
    assert drawn is not None
    point = load_boundary(drawn).representative_point()
    return point.x, point.y


async def _micro_grid_m() -> Area:
    return await Area.get(name=M)


async def _neighbour_of_m() -> Area:
    """Another micro-grid of M's community (颜山社区)."""
    community = await Area.get(name=DEMO_COMMUNITY)
    micro = await _micro_grid_m()
    candidates = await Area.filter(level=AreaLevel.MICRO_GRID).exclude(id=micro.id).order_by("id")
    return next(a for a in candidates if is_under(a.path, community.path))


async def _elsewhere() -> Area:
    """A micro-grid of another community."""
    community = await Area.get(name=DEMO_COMMUNITY)
    candidates = await Area.filter(level=AreaLevel.MICRO_GRID).order_by("id")
    return next(a for a in candidates if not is_under(a.path, community.path))


async def _order(position: GeoPoint | None, **extra: object) -> WorkOrder:
    return await workorders.place_order(
        actor=await actor_for("resident"),
        category="WATER_ELECTRIC",
        description="楼道灯不亮",
        position=position,
        **extra,  # type: ignore[arg-type]
    )


class TestPlaceOrderByPosition:
    async def test_without_position_as_before(self, db: Database) -> None:
        # given the resident of M, when they order without a position
        order = await _order(None)
        # then it goes to their household's micro-grid, with no position stored
        assert order.area_id == (await _micro_grid_m()).id
        stored = await WorkOrder.get(id=order.id)
        assert stored.longitude is None and stored.latitude is None

    async def test_position_routes_to_the_micro_grid_there(self, db: Database) -> None:
        # given a point in another micro-grid of the resident's community, in GCJ-02
        neighbour = await _neighbour_of_m()
        lon, lat = await _inside(neighbour)
        # when the resident orders there
        order = await _order(GeoPoint(*wgs84_to_gcj02(lon, lat), Datum.GCJ02))
        # then the order is that micro-grid's, its position stored in WGS-84
        assert order.area_id == neighbour.id
        assert order.handling_path.startswith(neighbour.path.rsplit("/", 2)[0])
        stored = await WorkOrder.get(id=order.id)
        assert stored.longitude == pytest.approx(lon, abs=1e-7)
        assert stored.latitude == pytest.approx(lat, abs=1e-7)

    async def test_position_outside_every_micro_grid(self, db: Database) -> None:
        before = await WorkOrder.all().count()
        with pytest.raises(InvalidInput) as raised:
            await _order(OFF_THE_NET)
        assert raised.value.field == "position"
        assert "no micro-grid" in raised.value.message
        assert await WorkOrder.all().count() == before

    async def test_position_in_another_community(self, db: Database) -> None:
        before = await WorkOrder.all().count()
        with pytest.raises(InvalidInput) as raised:
            await _order(GeoPoint(*await _inside(await _elsewhere())))
        assert raised.value.field == "position"
        assert await WorkOrder.all().count() == before

    async def test_position_off_the_globe(self, db: Database) -> None:
        with pytest.raises(InvalidInput) as raised:
            await _order(GeoPoint(200.0, 30.0))
        assert raised.value.field == "position"

    async def test_errand_with_position(self, db: Database) -> None:
        # given the central household placing an errand for the resident's household
        resident = await actor_for("resident")
        assert resident.household_id is not None
        neighbour = await _neighbour_of_m()
        # when it names a position in the neighbouring micro-grid
        order = await workorders.place_order(
            actor=await actor_for("central_household"),
            category="WATER_ELECTRIC",
            description="帮忙看看",
            on_behalf_of_household_id=resident.household_id,
            position=GeoPoint(*await _inside(neighbour)),
        )
        # then it is the household's order, at that micro-grid
        assert order.household_id == resident.household_id
        assert order.area_id == neighbour.id

    async def test_a_leader_ordering_in_their_own_micro_grid_hands_it_to_the_grid(
        self, db: Database
    ) -> None:
        # given M's leader leading the neighbouring micro-grid too (its own leader gone)
        neighbour = await _neighbour_of_m()
        leader = await actor_for("microgrid_leader")
        admin = await actor_for("district_admin")
        held = await RoleAssignment.get(
            area_id=neighbour.id, role=Role.MICRO_GRID_LEADER, until=None
        )
        await end_role(actor=admin, assignment_id=held.id, reason="迁出本小区")
        await assign_role(
            actor=admin,
            person_id=leader.person_id,
            role=Role.MICRO_GRID_LEADER,
            area_id=neighbour.id,
        )
        resident = await actor_for("resident")
        assert resident.household_id is not None
        # when they place an errand for a household of M at a point in the neighbour
        order = await workorders.place_order(
            actor=await actor_for("microgrid_leader"),
            category="WATER_ELECTRIC",
            description="帮忙看看",
            on_behalf_of_household_id=resident.household_id,
            position=GeoPoint(*await _inside(neighbour)),
        )
        # then it is the neighbour's order, handled by its grid (not by the placer)
        grid_id = path_ids(neighbour.path)[-2]
        assert order.area_id == neighbour.id
        assert order.handling_area_id == grid_id


class TestHouseholdPosition:
    async def _create(self, area: Area, position: GeoPoint | None) -> Household:
        return await households.create_household(
            actor=await actor_for("community_admin"),
            area_id=area.id,
            address="颜山路1号",
            position=position,
        )

    async def test_assigned_elsewhere_its_position_outside_is_cleared(self, db: Database) -> None:
        # given a household placed in M
        micro, neighbour = await _micro_grid_m(), await _neighbour_of_m()
        household = await self._create(micro, GeoPoint(*await _inside(micro)))
        # when it is assigned to the neighbouring micro-grid, which does not hold the point
        await households.assign_household(
            actor=await actor_for("community_admin"),
            household_id=household.id,
            micro_grid_id=neighbour.id,
        )
        # then its position is cleared
        stored = await Household.get(id=household.id)
        assert stored.micro_grid_id == neighbour.id
        assert (stored.longitude, stored.latitude) == (None, None)

    async def test_create_inside_its_micro_grid(self, db: Database) -> None:
        micro = await _micro_grid_m()
        lon, lat = await _inside(micro)
        household = await self._create(micro, GeoPoint(lon, lat))
        stored = await Household.get(id=household.id)
        assert (stored.longitude, stored.latitude) == (lon, lat)

    async def test_create_outside_its_micro_grid(self, db: Database) -> None:
        micro = await _micro_grid_m()
        before = await Household.all().count()
        with pytest.raises(InvalidInput) as raised:
            await self._create(micro, GeoPoint(*await _inside(await _neighbour_of_m())))
        assert raised.value.field == "position"
        assert await Household.all().count() == before

    async def test_create_unassigned_takes_any_position(self, db: Database) -> None:
        community = await Area.get(name=DEMO_COMMUNITY)
        household = await self._create(community, GeoPoint(117.0, 36.0))
        assert (await Household.get(id=household.id)).longitude == 117.0

    async def test_update_sets_keeps_and_clears(self, db: Database) -> None:
        # given a household of M, placed by the demo
        admin = await actor_for("community_admin")
        micro = await _micro_grid_m()
        household = await Household.filter(micro_grid_id=micro.id).order_by("id").first()
        assert household is not None
        lon, lat = await _inside(micro)
        # when an admin sets its position in GCJ-02
        shown = wgs84_to_gcj02(lon, lat)
        changed = await households.update_household(
            actor=admin,
            household_id=household.id,
            changes={"position": GeoPoint(*shown, Datum.GCJ02)},
        )
        # then it is stored in WGS-84
        assert changed.longitude == pytest.approx(lon, abs=1e-7)
        assert changed.latitude == pytest.approx(lat, abs=1e-7)
        # and an update without a position keeps it
        kept = await households.update_household(actor=admin, household_id=household.id, changes={})
        assert (kept.longitude, kept.latitude) == (changed.longitude, changed.latitude)
        # and a null position clears it
        cleared = await households.update_household(
            actor=admin, household_id=household.id, changes={"position": None}
        )
        assert cleared.longitude is None and cleared.latitude is None
        stored = await Household.get(id=household.id)
        assert stored.longitude is None and stored.latitude is None

    async def test_update_outside_changes_nothing(self, db: Database) -> None:
        admin = await actor_for("community_admin")
        micro = await _micro_grid_m()
        household = await Household.filter(micro_grid_id=micro.id).order_by("id").first()
        assert household is not None
        outside = GeoPoint(*await _inside(await _neighbour_of_m()))
        with pytest.raises(InvalidInput) as raised:
            await households.update_household(
                actor=admin, household_id=household.id, changes={"position": outside}
            )
        assert raised.value.field == "position"
        stored = await Household.get(id=household.id)
        assert (stored.longitude, stored.latitude) == (household.longitude, household.latitude)

    async def test_update_by_a_resident_is_refused(self, db: Database) -> None:
        resident = await actor_for("resident")
        assert resident.household_id is not None
        with pytest.raises((Forbidden, NotFound)):
            await households.update_household(
                actor=resident, household_id=resident.household_id, changes={"position": None}
            )


class TestStationPosition:
    async def test_set_kept_and_cleared(self, db: Database) -> None:
        admin = await actor_for("community_admin")
        grid = await Area.get(name=DEMO_GRID)
        details = {"name": "颜山驿站", "address": "颜山路1号", "hours": "每日 8:00-18:00"}
        # when the station is given a position in GCJ-02
        shown = wgs84_to_gcj02(117.86, 36.49)
        await update_area(
            actor=admin,
            area_id=grid.id,
            station=StationInput(
                **details, position=GeoPoint(*shown, Datum.GCJ02), position_given=True
            ),
        )
        station = await GridStation.get(grid_id=grid.id)
        assert station.longitude == pytest.approx(117.86, abs=1e-7)
        assert station.latitude == pytest.approx(36.49, abs=1e-7)
        # and then renamed without a position: the position stays
        await update_area(
            actor=admin, area_id=grid.id, station=StationInput(**{**details, "name": "新驿站"})
        )
        station = await GridStation.get(grid_id=grid.id)
        assert station.name == "新驿站" and station.longitude == pytest.approx(117.86, abs=1e-7)
        # and given a null position: cleared
        await update_area(
            actor=admin,
            area_id=grid.id,
            station=StationInput(**details, position=None, position_given=True),
        )
        station = await GridStation.get(grid_id=grid.id)
        assert station.longitude is None and station.latitude is None

    async def test_off_the_globe(self, db: Database) -> None:
        admin = await actor_for("community_admin")
        grid = await Area.get(name=DEMO_GRID)
        before = await GridStation.get(grid_id=grid.id)
        with pytest.raises(InvalidInput) as raised:
            await update_area(
                actor=admin,
                area_id=grid.id,
                station=StationInput(
                    name="驿站",
                    address="颜山路1号",
                    hours="全天",
                    position=GeoPoint(117.0, 95.0),
                    position_given=True,
                ),
            )
        assert raised.value.field == "station.position"
        after = await GridStation.get(grid_id=grid.id)
        assert (after.name, after.longitude) == (before.name, before.longitude)


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows(rows)
    return path


async def _row(number: str, lon: str, lat: str) -> list[str]:
    community = await Area.get(name=DEMO_COMMUNITY)
    micro = await _micro_grid_m()
    assert community.code and micro.code
    return [number, community.code, micro.code, "颜山路9号", "1", "2", "301", "3", lon, lat]


class TestImportPositions:
    async def test_positions_imported(self, db: Database, tmp_path: Path) -> None:
        # given a file with a household inside M and one without a position
        lon, lat = await _inside(await _micro_grid_m())
        rows = [
            headers(ImportKind.HOUSEHOLDS),
            await _row("P0001", repr(lon), repr(lat)),
            await _row("P0002", "", ""),
        ]
        # when it is imported
        job = await import_file(
            actor=None, kind=ImportKind.HOUSEHOLDS, path=_write(tmp_path / "h.csv", rows)
        )
        # then the positions are stored as given (WGS-84)
        assert job.status is ImportStatus.SUCCEEDED
        placed = await Household.get(number="P0001")
        assert (placed.longitude, placed.latitude) == (lon, lat)
        unplaced = await Household.get(number="P0002")
        assert unplaced.longitude is None and unplaced.latitude is None
        # and a second file moves P0001 within M and leaves P0002 (blank cells) as it is
        nudged = (lon + 1e-6, lat)
        again = [
            headers(ImportKind.HOUSEHOLDS),
            await _row("P0001", repr(nudged[0]), repr(nudged[1])),
            await _row("P0002", "", ""),
        ]
        job = await import_file(
            actor=None, kind=ImportKind.HOUSEHOLDS, path=_write(tmp_path / "h2.csv", again)
        )
        assert (job.created, job.updated, job.unchanged) == (0, 1, 1)
        placed = await Household.get(number="P0001")
        assert (placed.longitude, placed.latitude) == nudged

    async def test_bad_positions_write_nothing(self, db: Database, tmp_path: Path) -> None:
        # given rows with only a longitude, a latitude past 90, and a point outside M
        lon, lat = await _inside(await _micro_grid_m())
        out_lon, out_lat = await _inside(await _neighbour_of_m())
        rows = [
            headers(ImportKind.HOUSEHOLDS),
            await _row("P0001", repr(lon), ""),
            await _row("P0002", repr(lon), "95"),
            await _row("P0003", repr(out_lon), repr(out_lat)),
            await _row("P0004", "东经117", repr(lat)),
        ]
        before = await Household.all().count()
        # when it is imported
        job = await import_file(
            actor=None, kind=ImportKind.HOUSEHOLDS, path=_write(tmp_path / "h.csv", rows)
        )
        # then every problem is listed by row and column, and nothing is written
        found = [
            (e.row, e.column, e.code)
            for e in await ImportRowError.filter(job_id=job.id).order_by("row", "id")
        ]
        assert found == [
            (2, "纬度", "POSITION_INCOMPLETE"),
            (3, "纬度", "BAD_COORDINATE"),
            (4, "经度", "OUTSIDE_AREA"),
            (5, "经度", "BAD_COORDINATE"),
        ]
        assert job.status is ImportStatus.FAILED
        assert await Household.all().count() == before
