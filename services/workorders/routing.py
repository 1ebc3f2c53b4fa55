"""Dispatch (派单): which area handles a new work order. Primary-key lookups only, so dispatch
costs the same however large the district is.

- A resident's request goes to the micro-grid of the resident's household (a household not
  yet assigned to a micro-grid: to its community, which then assigns or transfers it); with a
  position, to the micro-grid holding it (`route_position`, as a report without an area), which
  must lie in the household's community.
- A problem report goes to the micro-grid where it was seen; reported at a grid (a place no
  micro-grid covers, such as a street or a square): to that grid.
- A problem report with a position (GPS) on the map goes to the micro-grid whose boundary holds
  it, when it was reported without an area or at an area that holds that micro-grid (the
  position refines the area: a grid becomes its micro-grid). A position outside the given
  area's subtree does not override it: the reporter chose the area, and a phone's fix near an
  edge is off by tens of metres; a position outside every micro-grid is routed as without one
  (and is InvalidInput when no area was given either).
- A micro-grid without a leader (the role ended and nobody took it over yet) cannot accept:
  its orders go to its grid at once, where the grid leader accepts them (without this they
  waited for the escalation timer).
- An open order whose area (or household) moved is routed again (`reroute`): a dispatched
  one (not yet accepted) as a new order would be, unless the timer had escalated it or it sat
  at the community; any other (accepted or later, escalated, at the community) stays at the
  level it had reached, in the area's new line, so whoever accepted it handles it still.
"""

from __future__ import annotations

from services.enums import AreaLevel, Role, WorkOrderStatus
from services.errors import InvalidInput, NotFound
from services.geo.index import area_at as micro_grid_at
from services.kit.paths import path_ids
from services.models import Area, Household, RoleAssignment, WorkOrder

LEADERLESS_NOTE = "微网格暂无微网格长，派至网格长"


async def route_household(household_id: int) -> tuple[Household, Area]:
    """The household and the area it lies in for its requests (its micro-grid, else
    community); `handler_for` then says who handles it."""
    household = await Household.get_or_none(id=household_id)
    if household is None:
        raise NotFound("No such household.", field="householdId")
    area_id = household.micro_grid_id or household.community_id
    return household, await Area.get(id=area_id)


async def route_position(
    position: tuple[float, float], *, field: str, hint: str = "give a position in the net"
) -> Area:
    """The micro-grid holding a WGS-84 position (reports without an area, and residents'
    requests with a position); InvalidInput on `field`, with `hint`, outside every one."""
    located = await micro_grid_at(*position)
    if located is None:
        raise InvalidInput(f"The position lies in no micro-grid: {hint}.", field=field)
    return located


async def route_report(area_id: int | None, position: tuple[float, float] | None = None) -> Area:
    """The area a problem is reported at: a micro-grid, or a grid; with a WGS-84 position,
    the micro-grid holding it when the given area (if any) holds that micro-grid."""
    if area_id is None:
        if position is None:
            raise InvalidInput("Give the area or the position of the problem.", field="areaId")
        return await route_position(position, field="areaId", hint="give the area")
    located = None if position is None else await micro_grid_at(*position)
    area = await Area.get_or_none(id=area_id)
    if area is None:
        raise NotFound("No such area.", field="areaId")
    if area.level not in (AreaLevel.MICRO_GRID, AreaLevel.GRID):
        raise InvalidInput("Report a problem at a grid or a micro-grid.", field="areaId")
    if located is not None and located.path.startswith(area.path):
        return located
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


async def reroute(order: WorkOrder, area: Area) -> tuple[Area, str | None]:
    """Where an open order of `area` (its area, or its household's micro-grid, after a move)
    is handled now, with the note: a submitted order waiting for its check stays at `area`;
    one escalated (or handled at the community) stays at the level it reached, in `area`'s
    line; so does one accepted or later (its acceptance stands: it is not handed to a leader
    who never accepted it); a dispatched one goes where a new order of `area` would
    (`handler_for`). Never to a micro-grid whose leader placed it (nobody accepts their own
    order: a leader's errand goes to the grid), unless the timer escalated it there."""
    if order.status is WorkOrderStatus.SUBMITTED:
        return area, None
    rank = len(path_ids(order.handling_path)) - 1
    level = min(rank, area.level.rank)
    if order.escalation_level > 0 or rank < AreaLevel.GRID.rank:
        return await Area.get(id=path_ids(area.path)[level]), None
    if order.status is WorkOrderStatus.DISPATCHED:
        handling, note = await handler_for(area)
    else:
        handling, note = await Area.get(id=path_ids(area.path)[level]), None
    if handling.level is AreaLevel.MICRO_GRID and await RoleAssignment.exists(
        area_id=handling.id,
        person_id=order.reporter_id,
        role=Role.MICRO_GRID_LEADER,
        until__isnull=True,
    ):
        assert handling.parent_id is not None  # a micro-grid always lies in a grid
        return await Area.get(id=handling.parent_id), None
    return handling, note
