"""Dispatch (派单): which area handles a new work order. Primary-key lookups only, so dispatch
costs the same however large the district is.

- A resident's request goes to the micro-grid of the resident's household (a household not
  yet assigned to a micro-grid: to its community, which then assigns or transfers it).
- A problem report goes to the micro-grid where it was seen; reported at a grid (a place no
  micro-grid covers, such as a street or a square): to that grid.
- A micro-grid without a leader (the role ended and nobody took it over yet) cannot accept:
  its orders go to its grid at once, where the grid leader accepts them (without this they
  waited for the escalation timer).
"""

from __future__ import annotations

from services.enums import AreaLevel, Role
from services.errors import InvalidInput, NotFound
from services.models import Area, Household, RoleAssignment

LEADERLESS_NOTE = "微网格暂无微网格长，派至网格长"


async def route_household(household_id: int) -> tuple[Household, Area]:
    """The household and the area it lies in for its requests (its micro-grid, else
    community); `handler_for` then says who handles it."""
    household = await Household.get_or_none(id=household_id)
    if household is None:
        raise NotFound("No such household.", field="householdId")
    area_id = household.micro_grid_id or household.community_id
    return household, await Area.get(id=area_id)


async def route_report(area_id: int) -> Area:
    """The area a problem is reported at: a micro-grid, or a grid."""
    area = await Area.get_or_none(id=area_id)
    if area is None:
        raise NotFound("No such area.", field="areaId")
    if area.level not in (AreaLevel.MICRO_GRID, AreaLevel.GRID):
        raise InvalidInput("Report a problem at a grid or a micro-grid.", field="areaId")
    return area


async def handler_for(area: Area) -> tuple[Area, str | None]:
    """The area that handles an order of `area`, with the dispatch note: the area itself, or
    (a micro-grid without a leader) its grid, noted so on the timeline."""
    if area.level is not AreaLevel.MICRO_GRID:
        return area, None
    led = await RoleAssignment.exists(
        area_id=area.id, role=Role.MICRO_GRID_LEADER, until__isnull=True
    )
    if led:
        return area, None
    assert area.parent_id is not None  # a micro-grid always lies in a grid
    return await Area.get(id=area.parent_id), LEADERLESS_NOTE
