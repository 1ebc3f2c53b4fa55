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
    households_without_central_household,
    micro_grids_without_leader,
    unassigned_households,
)
from services.grids.live import area_watch
from services.grids.moves import (
    MAX_HOUSEHOLDS_PER_MOVE,
    area_moves,
    move_area,
    move_households,
    moves_by_ids,
)

__all__ = [
    "MAX_HOUSEHOLDS_PER_MOVE",
    "AreaRow",
    "Coverage",
    "StationInput",
    "ancestor_ids",
    "area_moves",
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
    "households_without_central_household",
    "list_areas",
    "micro_grids_without_leader",
    "move_area",
    "move_households",
    "moves_by_ids",
    "nested_rows",
    "stations_by_grid",
    "unassigned_households",
    "update_area",
]
