"""The spatial index answers which micro-grid holds a point, and follows boundary changes."""

from __future__ import annotations

import random
from datetime import timedelta

from services.enums import AreaLevel
from services.geo import index
from services.geo.boundaries import draw_boundaries_as_operator
from services.geo.index import area_at, micro_grid_id_at
from services.grids import create_district
from services.kit import clock
from services.models import Area, AreaBoundary
from tests.conftest import TEST_NOW, Database
from tests.services.geo.shapes import box, box_text

# A 50 × 40 net of 0.001° cells (~100 m) south-west corner at (120.1, 30.2), Hangzhou.
COLUMNS, ROWS, CELL = 50, 40, 0.001
X0, Y0 = 120.1, 30.2


async def _net() -> dict[tuple[int, int], int]:
    district = await create_district(name="测试区")
    cells = [
        Area(
            name=f"微网格{c}-{r}",
            level=AreaLevel.MICRO_GRID,
            parent_id=district.id,
            path=f"{district.path}{c * ROWS + r + 1000000}/",
        )
        for c in range(COLUMNS)
        for r in range(ROWS)
    ]
    await Area.bulk_create(cells, batch_size=500)
    made = await Area.filter(level=AreaLevel.MICRO_GRID).values_list("id", "name")
    cells: dict[tuple[int, int], int] = {
        tuple(int(n) for n in str(name)[3:].split("-")): int(i)  # type: ignore[misc]
        for i, name in made
    }
    await AreaBoundary.bulk_create(
        [
            AreaBoundary(
                area_id=area_id,
                geojson=box_text(
                    X0 + c * CELL, Y0 + r * CELL, X0 + (c + 1) * CELL, Y0 + (r + 1) * CELL
                ),
                version=n + 1,
                updated_at=clock.now(),
            )
            for n, ((c, r), area_id) in enumerate(sorted(cells.items()))
        ],
        batch_size=500,
    )
    return cells


class TestAreaAt:
    async def test_two_thousand_cells_answer_correctly(self, empty_db: Database) -> None:
        # given 2,000 micro-grids
        cells = await _net()
        assert len(cells) == COLUMNS * ROWS
        rng = random.Random(16)
        # when random points inside cells are asked for, then each finds its own cell
        for _ in range(300):
            c, r = rng.randrange(COLUMNS), rng.randrange(ROWS)
            lon = X0 + (c + rng.uniform(0.05, 0.95)) * CELL
            lat = Y0 + (r + rng.uniform(0.05, 0.95)) * CELL
            assert await micro_grid_id_at(lon, lat) == cells[(c, r)]
        # and points outside the net find none
        assert await micro_grid_id_at(X0 - 0.0005, Y0 + 0.01) is None
        assert await area_at(X0 + 0.01, Y0 + ROWS * CELL + 0.0005) is None

    async def test_shared_edge_lowest_id_wins(self, empty_db: Database) -> None:
        cells = await _net()
        # a point on the edge between cells (3, 5) and (4, 5), and on a corner of four
        edge = await micro_grid_id_at(X0 + 4 * CELL, Y0 + 5.5 * CELL)
        assert edge == min(cells[(3, 5)], cells[(4, 5)])
        corner = await micro_grid_id_at(X0 + 4 * CELL, Y0 + 5 * CELL)
        assert corner == min(cells[(3, 4)], cells[(4, 4)], cells[(3, 5)], cells[(4, 5)])
        found = await area_at(X0 + 4 * CELL, Y0 + 5.5 * CELL)
        assert found is not None and found.id == edge

    async def test_follows_changes_made_elsewhere(self, empty_db: Database) -> None:
        # given a built index and a micro-grid without a boundary
        cells = await _net()
        point = (X0 + 0.5 * CELL, Y0 + 0.5 * CELL)
        assert await micro_grid_id_at(*point) == cells[(0, 0)]
        district = await Area.get(level=AreaLevel.DISTRICT)
        newcomer = await Area.create(
            name="新微网格", level=AreaLevel.MICRO_GRID, parent_id=district.id, path="/x/"
        )
        # when another worker draws it over (0, 0) (nothing bumped in this process)
        version = index._version
        await AreaBoundary.filter(area_id=cells[(0, 0)]).delete()
        await AreaBoundary.create(
            area_id=newcomer.id,
            geojson=box_text(X0, Y0, X0 + CELL, Y0 + CELL),
            version=COLUMNS * ROWS + 1,
        )
        assert index._version == version
        # then the index is rebuilt from the database's stamp
        assert await micro_grid_id_at(*point) == newcomer.id

    async def test_follows_a_redraw_elsewhere_with_an_earlier_clock(
        self, empty_db: Database
    ) -> None:
        # given a built index
        cells = await _net()
        point = (X0 + 0.5 * CELL, Y0 + 0.5 * CELL)
        assert await micro_grid_id_at(*point) == cells[(0, 0)]
        # when another worker, whose clock is behind, redraws (0, 0) and (1, 0) swapped in place
        # (the number of boundaries does not change, and nothing is bumped in this process)
        version = index._version
        with clock.frozen(TEST_NOW - timedelta(days=30)):
            await draw_boundaries_as_operator(
                boundaries={
                    cells[(0, 0)]: box(X0 + CELL, Y0, X0 + 2 * CELL, Y0 + CELL),
                    cells[(1, 0)]: box(X0, Y0, X0 + CELL, Y0 + CELL),
                }
            )
        index._version = version
        # then the index is rebuilt from the boundaries' version, not their times
        assert await micro_grid_id_at(*point) == cells[(1, 0)]
