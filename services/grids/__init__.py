"""The territory: areas, grid stations, contact groups and coverage (全覆盖).
The grammar of area paths (under, subtree bounds, community of a path) is services.kit.paths."""

from services.grids.areas import (
    AreaRow,
    StationInput,
    ancestor_ids,
    areas_by_ids,
    child_counts,
    children_pages,
    clean_text,
    create_area,
    create_district,
    get_area,
    list_areas,
    nested_rows,
    stations_by_grid,
    update_area,
)
from services.grids.coverage import (
    Coverage,
    coverage,
    coverage_figures,
    coverage_of,
    household_counts,
)
from services.grids.live import area_watch

__all__ = [
    "AreaRow",
    "Coverage",
    "StationInput",
    "ancestor_ids",
    "area_watch",
    "areas_by_ids",
    "child_counts",
    "children_pages",
    "clean_text",
    "coverage",
    "coverage_figures",
    "coverage_of",
    "create_area",
    "create_district",
    "get_area",
    "household_counts",
    "list_areas",
    "nested_rows",
    "stations_by_grid",
    "update_area",
]
