"""Rectangles as GeoJSON, for the map's tests."""

from __future__ import annotations

import json
from typing import Any


def box(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    """A GeoJSON Polygon of the rectangle [x0, x1] × [y0, y1] (counter-clockwise)."""
    return {
        "type": "Polygon",
        "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
    }


def box_text(x0: float, y0: float, x1: float, y1: float) -> str:
    return json.dumps(box(x0, y0, x1, y1))


def collection(*features: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """A FeatureCollection of (code, geometry)."""
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"code": code}, "geometry": geometry}
            for code, geometry in features
        ],
    }
