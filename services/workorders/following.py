"""Who may follow the live events of work orders under an area (workOrderEvents)."""

from __future__ import annotations

from services.enums import Role
from services.kit import live
from services.kit.auth import Actor
from services.kit.events import Event
from services.kit.paths import is_under
from services.models import Area, WorkOrder
from services.workorders.access import errands_for_home, sees

# Workers who take orders without running an area: they follow the area they work in, and are
# shown only the orders they may see (those assigned to them or that they accepted).
FIELD_ROLES = frozenset({Role.CENTRAL_HOUSEHOLD, Role.PART_TIME_GRID_MEMBER, Role.VOLUNTEER})


def may_follow(actor: Actor, path: str) -> bool:
    """Admins and leaders in the subtrees they hold; central households, part-time grid members
    and volunteers in line with their own area (at, above or below it)."""
    return actor.reads(path) or any(
        is_under(place, path) or is_under(path, place) for place in actor.paths_for(FIELD_ROLES)
    )


async def followed_order(*, actor: Actor, event: Event) -> tuple[WorkOrder, Area] | None:
    """The order of a WORK_ORDER event and the area handling it, read once per event for all
    its subscribers; None when this subscriber may not see it (or it is gone)."""
    order: WorkOrder | None = await live.read_once(
        event, "work_order", lambda: WorkOrder.get_or_none(id=int(event.payload["id"]))
    )
    if order is None or not sees(
        actor, order, for_home=bool(await errands_for_home(actor, [order]))
    ):
        return None
    area: Area = await live.read_once(
        event, "handling_area", lambda: Area.get(id=order.handling_area_id)
    )
    return order, area
