"""The territory: areas, grid stations, contact groups, party units and coverage (全覆盖)."""

from services.grids.areas import (
    SUBTREE_END,
    StationInput,
    ancestor_ids,
    areas_by_ids,
    child_counts,
    children_pages,
    clean_text,
    create_area,
    create_district,
    get_area,
    in_subtree,
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
from services.grids.party_units import create_party_unit, party_units_by_area, party_units_by_ids

__all__ = [
    "SUBTREE_END",
    "Coverage",
    "StationInput",
    "ancestor_ids",
    "areas_by_ids",
    "child_counts",
    "children_pages",
    "clean_text",
    "coverage",
    "coverage_figures",
    "coverage_of",
    "create_area",
    "create_district",
    "create_party_unit",
    "get_area",
    "household_counts",
    "in_subtree",
    "list_areas",
    "nested_rows",
    "party_units_by_area",
    "party_units_by_ids",
    "stations_by_grid",
    "update_area",
]
