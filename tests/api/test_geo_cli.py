"""`python -m api import-boundaries` in two processes at once: the second waits for the first
(PostgreSQL's advisory lock, SQLite's write lock), and both are written."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from seed.onboarding import M
from services.geo.boundaries import boundary_of
from services.models import Area, AreaBoundary
from tests.api.test_cli import _cli
from tests.conftest import Database


async def test_two_imports_at_once_both_written(db: Database, tmp_path: Path) -> None:
    # given files redrawing M and its sibling as they are (the net stays clean)
    micro = await Area.get(name=M)
    sibling = await Area.filter(parent_id=micro.parent_id, id__not=micro.id).first()
    assert sibling is not None
    files = []
    for area in (micro, sibling):
        drawn = await boundary_of(area.id)
        assert drawn is not None
        feature = {
            "type": "Feature",
            "properties": {"code": area.code},
            "geometry": json.loads(drawn),
        }
        path = tmp_path / f"{area.id}.geojson"
        path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
        files.append(path)
    top = await AreaBoundary.all().order_by("-version").first()
    assert top is not None
    # when two processes import them at the same moment
    results = await asyncio.gather(
        *(_cli(db.url, "import-boundaries", str(path)) for path in files)
    )
    # then both succeed, with no "database is locked" nor duplicate version
    for code, out in results:
        assert code == 0, out
        assert "imported 1 boundary" in out and "Traceback" not in out
    written = await AreaBoundary.filter(area_id__in=[micro.id, sibling.id]).values_list(
        "version", flat=True
    )
    assert sorted(written) == [top.version + 1, top.version + 2]
