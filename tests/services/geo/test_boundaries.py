"""Boundaries: parsing and validity, and the checks of the net (containment, overlaps, gaps)."""

from __future__ import annotations

import asyncio
import io
import json
import threading
from typing import Any

import pytest
from shapely.geometry import shape

from seed.demo import DEMO_STREET
from seed.onboarding import M
from services.enums import AreaLevel, Datum
from services.errors import Forbidden, InvalidInput
from services.geo import boundaries
from services.geo.boundaries import (
    FeatureProblemKind,
    NetProblemKind,
    boundary_of,
    check_extent,
    check_net,
    check_net_as_operator,
    find_problems,
    import_boundaries,
    import_boundaries_as_operator,
    import_boundaries_upload,
    load_boundary,
    parse_geometry,
)
from services.geo.datum import wgs84_to_gcj02
from services.geo.index import area_at
from services.kit.paths import path_ids
from services.models import Area, AreaBoundary
from tests.conftest import Database, actor_for
from tests.services.geo.shapes import box, box_text, collection


def row(
    id: int, parent_id: int | None, boundary: str | None, level: AreaLevel = AreaLevel.GRID
) -> dict[str, Any]:
    return {
        "id": id,
        "code": f"C{id}",
        "name": f"area {id}",
        "level": level.value,
        "parent_id": parent_id,
        "boundary": boundary,
    }


async def inside_of(area: Area) -> dict[str, Any]:
    """A small box inside an area's stored boundary (an import an admin of it may make)."""
    stored = await boundary_of(area.id)
    assert stored is not None
    x0, y0, x1, y1 = load_boundary(stored).bounds
    return box(x0, y0, (x0 + x1) / 2, (y0 + y1) / 2)


class TestParseGeometry:
    def test_polygon_and_multipolygon(self) -> None:
        assert parse_geometry(box(0, 0, 1, 1)).area == pytest.approx(1)
        multi = {
            "type": "MultiPolygon",
            "coordinates": [box(0, 0, 1, 1)["coordinates"], box(2, 0, 3, 1)["coordinates"]],
        }
        assert parse_geometry(multi).area == pytest.approx(2)

    def test_self_intersection_explained(self) -> None:
        bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
        with pytest.raises(ValueError, match="Self-intersection"):
            parse_geometry(bowtie)

    @pytest.mark.parametrize(
        "raw",
        [
            None,
            {"type": "Point", "coordinates": [0, 0]},
            {"type": "Polygon", "coordinates": [[[0, 0], [1]]]},
            {"type": "Polygon", "coordinates": []},
        ],
    )
    def test_not_a_polygon(self, raw: Any) -> None:
        with pytest.raises(ValueError):
            parse_geometry(raw)


class TestExtent:
    def test_china_passes(self) -> None:
        check_extent(shape(box(117.85, 36.48, 117.851, 36.481)))

    @pytest.mark.parametrize(
        ("geometry", "hint"),
        [
            (box(36.48, 117.85, 36.481, 117.851), "latitude first"),  # latitude > 90
            (box(43.8, 87.6, 43.81, 87.61), "swapped"),  # Ürümqi, latitude first
            (box(500_000, 4_000_000, 500_100, 4_000_100), "projected metres"),
            (box(2.35, 48.85, 2.36, 48.86), "outside the district's region"),
        ],
    )
    def test_swapped_metres_and_elsewhere_refused(self, geometry: Any, hint: str) -> None:
        with pytest.raises(ValueError, match=hint):
            check_extent(shape(geometry))


class TestFindProblems:
    def test_a_clean_net_has_none(self) -> None:
        # given a parent split exactly in two children (edges a hair apart: drawing noise)
        rows = [
            row(1, None, box_text(0, 0, 0.02, 0.01)),
            row(2, 1, box_text(0, 0, 0.010000001, 0.01)),
            row(3, 1, box_text(0.01, 0, 0.02, 0.01)),
        ]
        assert find_problems(rows) == []

    def test_child_outside_parent(self) -> None:
        rows = [
            row(1, None, box_text(0, 0, 0.02, 0.01)),
            row(2, 1, box_text(0, 0, 0.01, 0.01)),
            row(3, 1, box_text(0.01, 0, 0.03, 0.01)),
        ]
        found = find_problems(rows)
        assert [(p.kind, p.areas) for p in found] == [(NetProblemKind.OUTSIDE_PARENT, ("C3", "C1"))]
        assert found[0].size == pytest.approx(0.0001, rel=0.01)

    def test_siblings_overlapping(self) -> None:
        rows = [
            row(1, None, box_text(0, 0, 0.02, 0.01)),
            row(2, 1, box_text(0, 0, 0.011, 0.01)),
            row(3, 1, box_text(0.01, 0, 0.02, 0.01)),
        ]
        found = find_problems(rows)
        assert [(p.kind, p.areas) for p in found] == [(NetProblemKind.OVERLAP, ("C2", "C3"))]
        assert found[0].size == pytest.approx(0.00001, rel=0.05)

    @pytest.mark.parametrize(("into", "overlapping"), [(5e-6, False), (1e-4, True)])
    def test_siblings_overlap_tolerance_of_a_metre(self, into: float, overlapping: bool) -> None:
        # a shared edge drawn ~0.5 m into the neighbour is noise; ~10 m is an overlap
        rows = [
            row(1, None, box_text(0, 0, 0.02, 0.01)),
            row(2, 1, box_text(0, 0, 0.01 + into, 0.01)),
            row(3, 1, box_text(0.01, 0, 0.02, 0.01)),
        ]
        kinds = [p.kind for p in find_problems(rows)]
        assert kinds == ([NetProblemKind.OVERLAP] if overlapping else [])

    def test_micro_grids_of_different_parents_overlapping(self) -> None:
        # two grids side by side, a micro-grid of the first sticking 0.05 % of its area into the
        # second's micro-grid along the whole shared edge (within its parent's tolerance)
        micro = AreaLevel.MICRO_GRID
        rows = [
            row(1, None, box_text(0, 0, 0.2, 0.01)),
            row(2, 1, box_text(0, 0, 0.1, 0.01)),
            row(3, 1, box_text(0.1, 0, 0.2, 0.01)),
            row(4, 2, box_text(0, 0, 0.10005, 0.01), micro),
            row(5, 3, box_text(0.1, 0, 0.2, 0.01), micro),
        ]
        found = find_problems(rows)
        assert [(p.kind, p.areas) for p in found] == [(NetProblemKind.OVERLAP, ("C4", "C5"))]

    def test_districts_overlapping(self) -> None:
        rows = [
            row(1, None, box_text(0, 0, 0.02, 0.01), AreaLevel.DISTRICT),
            row(2, None, box_text(0.01, 0, 0.03, 0.01), AreaLevel.DISTRICT),
        ]
        found = find_problems(rows)
        assert [(p.kind, p.areas) for p in found] == [(NetProblemKind.OVERLAP, ("C1", "C2"))]

    def test_gap_and_missing(self) -> None:
        rows = [
            row(1, None, box_text(0, 0, 0.02, 0.01)),
            row(2, 1, box_text(0, 0, 0.009, 0.01)),
            row(3, 1, box_text(0.01, 0, 0.02, 0.01)),
            row(4, 1, None),
        ]
        kinds = {p.kind: p.areas for p in find_problems(rows)}
        assert kinds == {NetProblemKind.GAP: ("C1",), NetProblemKind.MISSING: ("C4",)}

    def test_nothing_drawn_nothing_reported(self) -> None:
        assert find_problems([row(1, None, None), row(2, 1, None)]) == []


class TestImport:
    async def test_all_or_nothing_with_a_report_per_feature(self, db: Database) -> None:
        # given a file with one good feature, a bowtie, an unknown code and a repeated code
        micro = await Area.get(name=M)
        assert micro.code is not None
        before = await boundary_of(micro.id)
        bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
        file = collection(
            (micro.code, await inside_of(micro)),
            ("999", bowtie),
            ("NOPE", box(0, 0, 1, 1)),
            (micro.code, box(0, 0, 1, 1)),
        )
        # when the district admin imports it
        report = await import_boundaries(actor=await actor_for("district_admin"), collection=file)
        # then every problem is listed by feature and nothing is written
        assert [(p.index, p.code) for p in report.problems] == [
            (1, "999"),
            (2, "NOPE"),
            (3, micro.code),
        ]
        assert "Self-intersection" in report.problems[0].message
        assert report.imported == 0
        assert (await boundary_of(micro.id)) == before

    async def test_gcj02_file_stored_in_wgs84_and_routed(self, db: Database) -> None:
        # given micro-grid M redrawn on a GCJ-02 map
        micro = await Area.get(name=M)
        assert micro.code is not None
        drawn = await boundary_of(micro.id)
        assert drawn is not None
        shape_now = load_boundary(drawn)
        x0, y0, x1, y1 = shape_now.bounds
        corners = [wgs84_to_gcj02(x, y) for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))]
        drawn = {"type": "Polygon", "coordinates": [[*map(list, corners), list(corners[0])]]}
        actor = await actor_for("district_admin")
        # when a dry run, then the import runs
        dry = await import_boundaries(
            actor=actor, collection=collection((micro.code, drawn)), datum=Datum.GCJ02, dry_run=True
        )
        assert dry.problems == [] and dry.imported == 0
        report = await import_boundaries(
            actor=actor, collection=collection((micro.code, drawn)), datum=Datum.GCJ02
        )
        # then it is stored back in WGS-84 (to ~1 cm) and the index answers from it at once
        assert report.problems == [] and report.imported == 1
        stored = await boundary_of(micro.id)
        assert stored is not None
        assert load_boundary(stored).bounds == pytest.approx(shape_now.bounds, abs=1e-7)
        found = await area_at(*shape_now.representative_point().coords[0])
        assert found is not None and found.id == micro.id
        assert await check_net_as_operator() == []

    async def test_only_areas_the_actor_administers(self, db: Database) -> None:
        micro = await Area.get(name=M)
        other_street = await Area.filter(level=AreaLevel.STREET, name__not=DEMO_STREET).first()
        assert micro.code is not None and other_street is not None and other_street.code
        inside = await inside_of(micro)
        file = collection((micro.code, inside), (other_street.code, inside))
        report = await import_boundaries(
            actor=await actor_for("street_admin"), collection=file, dry_run=True
        )
        assert [(p.index, p.message, p.kind) for p in report.problems] == [
            (
                1,
                "no area with this code among the areas you administer",
                FeatureProblemKind.NOT_ADMINISTERED,
            )
        ]

    async def test_an_unknown_code_reads_as_one_not_administered(self, db: Database) -> None:
        # given a code of another street and a code no area has
        other_street = await Area.filter(level=AreaLevel.STREET, name__not=DEMO_STREET).first()
        assert other_street is not None and other_street.code
        inside = box(117.85, 36.48, 117.851, 36.481)
        file = collection((other_street.code, inside), ("NOPE", inside))
        # when the street admin imports it, then both answers are the same (nothing revealed)
        report = await import_boundaries(
            actor=await actor_for("street_admin"), collection=file, dry_run=True
        )
        assert {(p.message, p.kind) for p in report.problems} == {
            (
                "no area with this code among the areas you administer",
                FeatureProblemKind.NOT_ADMINISTERED,
            )
        }
        assert len(report.problems) == 2

    async def test_not_a_feature_collection(self, db: Database) -> None:
        report = await import_boundaries(
            actor=await actor_for("district_admin"), collection={"type": "Feature"}
        )
        assert report.problems[0].index == -1

    async def test_swapped_and_metre_coordinates_refused_per_feature(self, db: Database) -> None:
        # given micro-grid M drawn with latitude first, and another area in projected metres
        micro = await Area.get(name=M)
        grid = await Area.get(id=micro.parent_id)
        assert micro.code is not None and grid.code is not None
        before = await boundary_of(micro.id)
        file = collection(
            (micro.code, box(36.48, 117.85, 36.481, 117.851)),
            (grid.code, box(500_000, 4_000_000, 500_100, 4_000_100)),
        )
        # when the district admin imports it, then each feature is refused and nothing written
        report = await import_boundaries(actor=await actor_for("district_admin"), collection=file)
        assert [(p.index, p.code) for p in report.problems] == [(0, micro.code), (1, grid.code)]
        assert "longitude -180..180" in report.problems[0].message
        assert "projected metres" in report.problems[1].message
        assert report.imported == 0 and await boundary_of(micro.id) == before

    async def test_more_codes_than_sql_variables(self, db: Database) -> None:
        # given 33,000 features of unknown codes (over SQLite's 32,766 variables)
        tiny = box(117.85, 36.48, 117.8501, 36.4801)
        file = collection(*((f"X{n}", tiny) for n in range(33_000)))
        # when dry-run, then every one is reported, no exception
        report = await import_boundaries_as_operator(collection=file, dry_run=True)
        assert len(report.problems) == 33_000
        assert {p.message for p in report.problems} == {"no area has this code"}


class TestImportReach:
    """A community admin may redraw their own micro-grids, but not over their neighbours'."""

    async def _neighbour(self, micro: Area) -> Area:
        """A micro-grid of another community, drawn."""
        community = micro.path.split("/")[3]
        for other in await Area.filter(level=AreaLevel.MICRO_GRID).order_by("id"):
            if other.path.split("/")[3] != community and await boundary_of(other.id):
                return other
        raise AssertionError("no micro-grid in another community")

    async def test_a_shape_sticking_out_of_the_area_above_is_refused(self, db: Database) -> None:
        # given micro-grid M grown past its grid's boundary by a kilometre
        micro = await Area.get(name=M)
        stored = await boundary_of(micro.id)
        assert micro.code is not None and stored is not None
        x0, y0, x1, y1 = load_boundary(stored).bounds
        grown = box(x0 - 0.01, y0, x1, y1)
        # when its community admin imports it
        report = await import_boundaries(
            actor=await actor_for("community_admin"), collection=collection((micro.code, grown))
        )
        # then it is refused as outside their territory and nothing is written
        assert [(p.index, p.kind) for p in report.problems] == [
            (0, FeatureProblemKind.NOT_ADMINISTERED)
        ]
        assert "sticks out of the nearest drawn area above it" in report.problems[0].message
        assert report.imported == 0 and await boundary_of(micro.id) == stored

    async def test_within_the_tolerance_of_the_area_above_passes(self, db: Database) -> None:
        # given micro-grid M shrunk a little, with an edge off its grid's by half a metre
        micro = await Area.get(name=M)
        stored = await boundary_of(micro.id)
        assert micro.code is not None and stored is not None
        x0, y0, x1, y1 = load_boundary(stored).bounds
        redrawn = box(x0 - 5e-6, y0, x1 - (x1 - x0) / 4, y1)
        # when its community admin imports it, then it is written
        report = await import_boundaries(
            actor=await actor_for("community_admin"), collection=collection((micro.code, redrawn))
        )
        assert report.problems == [] and report.imported == 1

    async def test_a_shape_over_a_neighbours_micro_grid_is_refused(self, db: Database) -> None:
        # given no area above M drawn, and M redrawn over another community's micro-grid
        micro = await Area.get(name=M)
        neighbour = await self._neighbour(micro)
        before = await boundary_of(micro.id)
        theirs = await boundary_of(neighbour.id)
        assert micro.code is not None and theirs is not None
        await AreaBoundary.filter(area_id__in=path_ids(micro.path)[:-1]).delete()
        x0, y0, x1, y1 = load_boundary(theirs).bounds
        over = box(x0, y0, (x0 + x1) / 2, (y0 + y1) / 2)
        # when M's community admin imports it
        report = await import_boundaries(
            actor=await actor_for("community_admin"), collection=collection((micro.code, over))
        )
        # then it is refused and the neighbour's reports still go to the neighbour
        assert [(p.index, p.kind) for p in report.problems] == [
            (0, FeatureProblemKind.NOT_ADMINISTERED)
        ]
        assert "overlaps" in report.problems[0].message
        assert report.imported == 0 and await boundary_of(micro.id) == before
        found = await area_at((x0 + x1) / 2 - 1e-4, (y0 + y1) / 2 - 1e-4)
        assert found is not None and found.id == neighbour.id

    async def test_the_district_admin_may_draw_over_any_of_their_areas(self, db: Database) -> None:
        # given the same shape over another community's micro-grid, nothing above M drawn
        micro = await Area.get(name=M)
        neighbour = await self._neighbour(micro)
        theirs = await boundary_of(neighbour.id)
        assert micro.code is not None and theirs is not None
        await AreaBoundary.filter(area_id__in=path_ids(micro.path)[:-1]).delete()
        x0, y0, x1, y1 = load_boundary(theirs).bounds
        over = box(x0, y0, (x0 + x1) / 2, (y0 + y1) / 2)
        # when the district admin (who administers both) imports it, then it is written
        report = await import_boundaries(
            actor=await actor_for("district_admin"), collection=collection((micro.code, over))
        )
        assert report.problems == [] and report.imported == 1


class TestCheckNet:
    async def test_overlap_found_under_a_code(self, db: Database) -> None:
        # given micro-grid M (the grid's first strip, at its south edge) drawn over its sibling
        micro = await Area.get(name=M)
        drawn = await boundary_of(micro.id)
        assert drawn is not None and micro.code is not None
        x0, y0, x1, y1 = load_boundary(drawn).bounds
        grown = box(x0, y0, x1, y1 + (y1 - y0) / 2)
        await import_boundaries(
            actor=await actor_for("district_admin"), collection=collection((micro.code, grown))
        )
        # when the community admin checks the net
        problems = await check_net(actor=await actor_for("community_admin"))
        # then the overlap is listed, and nothing else
        overlaps = [p for p in problems if p.kind is NetProblemKind.OVERLAP]
        assert len(overlaps) == 1 and micro.code in overlaps[0].areas
        assert len(problems) == 1

    async def test_not_for_non_admins(self, db: Database) -> None:
        with pytest.raises(Forbidden):
            await check_net(actor=await actor_for("resident"))


class TestProblemShapes:
    def test_each_piece_is_the_offending_part(self) -> None:
        # given a parent, a child sticking out east, its sibling overlapping it, and a gap north
        rows = [
            row(1, None, box_text(0, 0, 0.02, 0.02)),
            row(2, 1, box_text(0, 0, 0.011, 0.01)),
            row(3, 1, box_text(0.01, 0, 0.03, 0.01)),
        ]
        found = {p.kind: p for p in find_problems(rows)}
        # then each problem carries its piece: the overlap, the part outside, the gap
        assert set(found) == {
            NetProblemKind.OVERLAP,
            NetProblemKind.OUTSIDE_PARENT,
            NetProblemKind.GAP,
        }
        overlap = found[NetProblemKind.OVERLAP].geometry
        outside = found[NetProblemKind.OUTSIDE_PARENT].geometry
        gap = found[NetProblemKind.GAP].geometry
        assert overlap is not None and outside is not None and gap is not None
        assert overlap.bounds == pytest.approx((0.01, 0, 0.011, 0.01))
        assert outside.bounds[0] == pytest.approx(0.02, abs=2e-5)
        assert outside.bounds[2] == pytest.approx(0.03)
        assert gap.bounds[1] == pytest.approx(0.01, abs=2e-5)
        assert gap.area == pytest.approx(0.0002, rel=0.01)

    def test_a_stored_invalid_boundary_is_reported_and_left_out(self) -> None:
        # given a child whose stored boundary is a bowtie (written around the import's checks)
        bowtie = '{"type":"Polygon","coordinates":[[[0,0],[0.01,0.01],[0.01,0],[0,0.01],[0,0]]]}'
        rows = [
            row(1, None, box_text(0, 0, 0.02, 0.01)),
            row(2, 1, bowtie),
            row(3, 1, box_text(0.01, 0, 0.02, 0.01)),
            row(4, 1, "not json"),
        ]
        found = find_problems(rows)
        # then both are INVALID, with the reason, and the rest of the check runs without them
        assert [(p.kind, p.areas) for p in found] == [
            (NetProblemKind.INVALID, ("C2",)),
            (NetProblemKind.INVALID, ("C4",)),
            (NetProblemKind.GAP, ("C1",)),
        ]
        assert "Self-intersection" in found[0].message and found[0].geometry is not None
        assert "unreadable" in found[1].message and found[1].geometry is None


class TestImportUpload:
    async def test_too_many_vertices_refused_before_parsing(
        self, db: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        micro = await Area.get(name=M)
        assert micro.code is not None
        before = await boundary_of(micro.id)
        monkeypatch.setattr(boundaries, "MAX_VERTICES", 4)
        file = json.dumps(collection((micro.code, box(117.85, 36.48, 117.851, 36.481))))
        report = await import_boundaries_upload(
            actor=await actor_for("district_admin"), source=io.BytesIO(file.encode())
        )
        assert [(p.index, p.kind) for p in report.problems] == [(-1, FeatureProblemKind.TOO_LARGE)]
        assert "5 vertices, more than 4" in report.problems[0].message
        assert await boundary_of(micro.id) == before

    async def test_file_over_the_bound_or_not_json(
        self, db: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        admin = await actor_for("district_admin")
        monkeypatch.setattr(boundaries, "MAX_FILE_BYTES", 100)
        with pytest.raises(InvalidInput, match="larger than") as big:
            await import_boundaries_upload(actor=admin, source=io.BytesIO(b" " * 101))
        assert big.value.field == "file"
        with pytest.raises(InvalidInput, match="not GeoJSON"):
            await import_boundaries_upload(actor=admin, source=io.BytesIO(b"{nope"))

    async def test_json_nested_too_deeply_is_invalid_input(self, db: Database) -> None:
        with pytest.raises(InvalidInput, match="nested too deeply") as deep:
            await import_boundaries_upload(
                actor=await actor_for("district_admin"), source=io.BytesIO(b"[" * 100_000)
            )
        assert deep.value.field == "file"

    async def test_problems_listed_up_to_the_bound_all_counted(
        self, db: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(boundaries, "LISTED_PROBLEMS", 2)
        tiny = box(117.85, 36.48, 117.8501, 36.4801)
        file = json.dumps(collection(*((f"X{n}", tiny) for n in range(5))))
        report = await import_boundaries_upload(
            actor=await actor_for("district_admin"), source=io.BytesIO(file.encode())
        )
        assert [p.index for p in report.problems] == [0, 1] and report.more_problems == 3

    async def test_only_admins(self, db: Database) -> None:
        with pytest.raises(Forbidden):
            await import_boundaries_upload(
                actor=await actor_for("grid_leader"), source=io.BytesIO(b"{}")
            )


class TestOffTheLoop:
    async def test_reading_and_parsing_run_in_a_worker_thread(
        self, db: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given the threads the upload's read and the geometry parsing run in, recorded
        micro = await Area.get(name=M)
        assert micro.code is not None
        threads: dict[str, int] = {}
        read, parse = boundaries._read_upload, boundaries.parse_geometry

        def reading(source: Any) -> Any:
            threads["read"] = threading.get_ident()
            return read(source)

        def parsing(raw: Any) -> Any:
            threads["parse"] = threading.get_ident()
            return parse(raw)

        monkeypatch.setattr(boundaries, "_read_upload", reading)
        monkeypatch.setattr(boundaries, "parse_geometry", parsing)
        file = json.dumps(collection((micro.code, await inside_of(micro))))
        # when an upload is imported
        report = await import_boundaries_upload(
            actor=await actor_for("district_admin"),
            source=io.BytesIO(file.encode()),
            dry_run=True,
        )
        # then neither ran on the event loop's thread
        assert report.problems == []
        assert set(threads) == {"read", "parse"}
        assert threading.get_ident() not in threads.values()

    async def test_one_import_at_a_time(self, db: Database) -> None:
        # given an import holding the process's slot
        micro = await Area.get(name=M)
        assert micro.code is not None
        file = collection((micro.code, await inside_of(micro)))
        admin = await actor_for("district_admin")
        slot = boundaries._import_slot()
        await slot.acquire()
        # when another starts, then it waits until the first is done
        waiting = asyncio.create_task(import_boundaries(actor=admin, collection=file, dry_run=True))
        for _ in range(20):
            await asyncio.sleep(0)
        assert not waiting.done()
        slot.release()
        assert (await waiting).problems == []


class TestConcurrentImports:
    async def test_two_imports_at_once_both_written_one_after_the_other(self, db: Database) -> None:
        # given two admins' files for two different micro-grids
        micro = await Area.get(name=M)
        sibling = await Area.filter(parent_id=micro.parent_id, id__not=micro.id).first()
        assert sibling is not None and micro.code and sibling.code
        shapes: dict[str, dict[str, Any]] = {}
        for area in (micro, sibling):
            drawn = await boundary_of(area.id)
            assert drawn is not None and area.code is not None
            x0, y0, x1, y1 = load_boundary(drawn).bounds
            shapes[area.code] = box(x0, y0, x1, y0 + (y1 - y0) / 2)
        admin = await actor_for("district_admin")
        top = await AreaBoundary.all().order_by("-version").first()
        assert top is not None
        # when both import at the same moment (each in its own transaction and connection)
        reports = await asyncio.gather(
            *(
                import_boundaries(actor=admin, collection=collection((code, half)))
                for code, half in shapes.items()
            )
        )
        # then both were written, each with a version past every other
        assert [r.imported for r in reports] == [1, 1]
        written = await AreaBoundary.filter(area_id__in=[micro.id, sibling.id]).values_list(
            "version", flat=True
        )
        assert sorted(written) == [top.version + 1, top.version + 2]
        for area in (micro, sibling):
            stored = await boundary_of(area.id)
            assert area.code is not None and stored is not None
            assert load_boundary(stored).equals(shape(shapes[area.code]))
