"""`python -m bench.geo`: areaAt over a district's micro-grid polygons (queries per second).

Builds a fresh SQLite database (migrations applied) with a district and `--cells` micro-grid
rectangles (~100 m, a square net over Zibo), then times, in-process:

- the first question (the index is built from the database: read + parse + STRtree),
- `micro_grid_id_at` (the index lookup plus its one stamp query), and
- `area_at` (the same plus reading the Area row),

for `--queries` random points (90 % inside the net, 10 % outside). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import secrets
import shutil
import statistics
import tempfile
import time
from pathlib import Path

X0, Y0, CELL = 117.80, 36.44, 0.001


async def _build(cells: int) -> tuple[int, int]:
    from services.enums import AreaLevel
    from services.grids import create_district
    from services.kit import clock
    from services.models import Area, AreaBoundary

    side = math.ceil(math.sqrt(cells))
    district = await create_district(name="基准区")
    rows = []
    rings = []
    for n in range(cells):
        c, r = n % side, n // side
        x0, y0 = X0 + c * CELL, Y0 + r * CELL
        ring = [[x0, y0], [x0 + CELL, y0], [x0 + CELL, y0 + CELL], [x0, y0 + CELL], [x0, y0]]
        rows.append(
            Area(
                name=f"微网格{n}",
                level=AreaLevel.MICRO_GRID,
                parent_id=district.id,
                path=f"{district.path}{n + 1_000_000}/",
            )
        )
        rings.append(ring)
    await Area.bulk_create(rows, batch_size=1000)
    made = await Area.filter(level=AreaLevel.MICRO_GRID).order_by("id").values_list("id", flat=True)
    await AreaBoundary.bulk_create(
        [
            AreaBoundary(
                area_id=area_id,
                geojson=json.dumps({"type": "Polygon", "coordinates": [ring]}),
                version=n + 1,
                updated_at=clock.now(),
            )
            for n, (area_id, ring) in enumerate(zip(made, rings, strict=True))
        ],
        batch_size=1000,
    )
    return side, math.ceil(cells / side)


def _points(n: int, columns: int, lines: int) -> list[tuple[float, float]]:
    rng = random.Random(16)
    points = []
    for i in range(n):
        if i % 10 == 9:
            points.append((X0 - 0.01 * rng.random() - 0.001, Y0 + rng.random() * lines * CELL))
        else:
            points.append((X0 + rng.random() * columns * CELL, Y0 + rng.random() * lines * CELL))
    return points


async def _run(cells: int, queries: int, url: str) -> list[str]:
    from services.geo import index
    from services.kit import db

    await db.init(url, run_migrations=True)
    try:
        columns, lines = await _build(cells)
        points = _points(queries, columns, lines)
        started = time.perf_counter()
        await index.micro_grid_id_at(*points[0])
        first = time.perf_counter() - started
        results = []
        for name, call in (
            ("micro_grid_id_at", index.micro_grid_id_at),
            ("area_at", index.area_at),
        ):
            times = []
            begun = time.perf_counter()
            for lon, lat in points:
                t = time.perf_counter()
                await call(lon, lat)
                times.append(time.perf_counter() - t)
            total = time.perf_counter() - begun
            times.sort()
            results.append(
                f"| {name} | {queries / total:,.0f} | {statistics.median(times) * 1e3:.3f} | "
                f"{times[int(len(times) * 0.99) - 1] * 1e3:.3f} |"
            )
        return [
            f"{cells:,} micro-grid polygons (SQLite); first question (build the index): "
            f"{first * 1e3:.0f} ms",
            "",
            "| call | queries/s | p50 ms | p99 ms |",
            "|---|---|---|---|",
            *results,
        ]
    finally:
        await db.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.geo", description=__doc__)
    parser.add_argument("--cells", type=int, default=5000, help="micro-grid polygons (5000)")
    parser.add_argument("--queries", type=int, default=5000, help="points asked (5000)")
    args = parser.parse_args(argv)
    os.environ.update(ENVIRONMENT="dev", JWT_SECRET=secrets.token_urlsafe(48))
    workdir = Path(tempfile.mkdtemp(prefix="gridpoints-bench-geo-"))
    try:
        lines = asyncio.run(_run(args.cells, args.queries, f"sqlite://{workdir}/bench.sqlite3"))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
