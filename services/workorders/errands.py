"""Errands (代办): a central household (中心户) places a request for a household it looks
after, or a micro-grid leader for a household of their micro-grid (an elderly resident
without the app). The order is the household's; whoever placed it is its requester (they
confirm and rate it for the household), and `work_order_errand` records that it was placed on
the household's behalf and in which role.

Nobody accepts an order they placed (separation of duties), so the micro-grid leader's errand
is dispatched to the grid at once (its grid leader handles it) rather than to their own
micro-grid, where it would wait for the escalation timer.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.enums import Role
from services.errors import Forbidden, InvalidInput, NotFound
from services.households import can_read
from services.kit.auth import Actor
from services.kit.paths import path_ids
from services.models import Area, CareLink, Household, WorkOrderErrand

ERRAND_ROLES = frozenset({Role.CENTRAL_HOUSEHOLD, Role.MICRO_GRID_LEADER})
_NOTES = {
    Role.CENTRAL_HOUSEHOLD: "中心户代办",
    Role.MICRO_GRID_LEADER: "微网格长代办，直接派到网格",
}


@dataclass(frozen=True)
class Errand:
    """Who may place an order for the household, in which role, where it is placed (the
    household's micro-grid) and where it is handled."""

    household: Household
    placed_as: Role
    area: Area
    handling: Area

    @property
    def note(self) -> str:
        """The note on the order's SUBMIT step."""
        return _NOTES[self.placed_as]


async def errand_for(actor: Actor, household_id: int) -> Errand:
    """Check that the actor may place an order on the household's behalf: its central
    household (a current care link, holding the role at its micro-grid) or its micro-grid's
    leader. Forbidden for anyone else; NotFound for a household the actor cannot see."""
    held = {g.role: g for g in actor.grants if g.role in ERRAND_ROLES}
    if not held:
        raise Forbidden(
            "Central households and micro-grid leaders place orders for other households.",
            field="onBehalfOfHouseholdId",
        )
    household = await Household.get_or_none(id=household_id)
    if household is None or not await can_read(actor, household):
        raise NotFound("No such household.", field="onBehalfOfHouseholdId")
    if household.id == actor.household_id:
        raise InvalidInput(
            "That is your own household: place the order without onBehalfOfHouseholdId.",
            field="onBehalfOfHouseholdId",
        )
    micro_grid = household.micro_grid_id
    leads = micro_grid is not None and any(
        g.role is Role.MICRO_GRID_LEADER and g.area_id == micro_grid for g in actor.grants
    )
    if leads:
        assert micro_grid is not None  # `leads` holds only for an assigned household
        grid_id = path_ids(household.path)[-2]
        return Errand(
            household,
            Role.MICRO_GRID_LEADER,
            await Area.get(id=micro_grid),
            await Area.get(id=grid_id),
        )
    cares = (
        micro_grid is not None
        and any(g.role is Role.CENTRAL_HOUSEHOLD and g.area_id == micro_grid for g in actor.grants)
        and await CareLink.exists(household_id=household.id, central_id=actor.person_id)
    )
    if not cares:
        raise Forbidden(
            "You may place orders only for the households you look after (as their central "
            "household) or of your micro-grid (as its leader).",
            field="onBehalfOfHouseholdId",
        )
    assert micro_grid is not None  # `cares` holds only for an assigned household
    area = await Area.get(id=micro_grid)
    return Errand(household, Role.CENTRAL_HOUSEHOLD, area, area)


async def errands_by_order(*, work_order_ids: list[int]) -> list[WorkOrderErrand | None]:
    """The errand record of each order (None: placed by the household itself, or a report);
    one query (read through an order the actor sees)."""
    found = {
        e.work_order_id: e for e in await WorkOrderErrand.filter(work_order_id__in=work_order_ids)
    }
    return [found.get(i) for i in work_order_ids]
