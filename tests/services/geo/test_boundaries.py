"""Boundaries: parsing and validity, and the checks of the net (containment, overlaps, gaps)."""

from __future__ import annotations

from typing import Any

import pytest

from services.enums import AreaLevel
from services.geo.boundaries import NetProblemKind, find_problems, parse_geometry
from tests.services.geo.shapes import box, box_text


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
        assert found[0].size == pytest.approx(0.00001, rel=0.01)

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
