"""Dispatch (派单): which area handles a new work order. Primary-key lookups only, so dispatch
costs the same however large the district is.

- A resident's request goes to the micro-grid of the resident's household (a household not
  yet assigned to a micro-grid: to its community, which then assigns or transfers it).
- A problem report goes to the micro-grid where it was seen; reported at a grid (a place no
  micro-grid covers, such as a street or a square): to that grid.
"""

from __future__ import annotations

from services.enums import AreaLevel
from services.errors import InvalidInput, NotFound
from services.models import Area, Household


async def route_household(household_id: int) -> tuple[Household, Area]:
    """The household and the area handling its requests (its micro-grid, else community)."""
    household = await Household.get_or_none(id=household_id)
    if household is None:
        raise NotFound("No such household.", field="householdId")
    area_id = household.micro_grid_id or household.community_id
    return household, await Area.get(id=area_id)


async def route_report(area_id: int) -> Area:
    """The area handling a problem reported at `area_id`: the micro-grid, or the grid."""
    area = await Area.get_or_none(id=area_id)
    if area is None:
        raise NotFound("No such area.", field="areaId")
    if area.level not in (AreaLevel.MICRO_GRID, AreaLevel.GRID):
        raise InvalidInput("Report a problem at a grid or a micro-grid.", field="areaId")
    return area
