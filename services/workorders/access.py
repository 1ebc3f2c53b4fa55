"""Who sees a work order and what they are to it (the parties of the transition table)."""

from __future__ import annotations

from services.enums import LEVEL_ORDER, AreaLevel, Role, WorkOrderKind
from services.errors import NotFound
from services.kit.auth import Actor
from services.kit.paths import path_ids
from services.models import WorkOrder, WorkOrderErrand
from services.workorders.transitions import Party


def level_of(path: str) -> AreaLevel:
    """The level of the area at `path` (its depth in the tree)."""
    return LEVEL_ORDER[len(path_ids(path)) - 1]


def prefix(path: str, level: AreaLevel) -> str | None:
    """The path of the area at `level` above (or at) `path`; None when `path` is higher."""
    ids = path_ids(path)
    if len(ids) <= level.rank:
        return None
    return "/" + "/".join(str(i) for i in ids[: level.rank + 1]) + "/"


def _holds(actor: Actor, role: Role, path: str | None) -> bool:
    return path is not None and any(g.role is role and g.area_path == path for g in actor.grants)


async def errands_for_home(actor: Actor, orders: list[WorkOrder]) -> set[int]:
    """The ids of those orders that are errands (代办) placed for the actor's household by
    someone else: its current members act on them as the household (Party.HOUSEHOLD). The
    actor's household is read with the actor on every request, so a member who moved out
    no longer counts. One query at most."""
    home = actor.household_id
    if home is None:
        return set()
    ids = [o.id for o in orders if o.household_id == home and o.reporter_id != actor.person_id]
    if not ids:
        return set()
    placed = WorkOrderErrand.filter(work_order_id__in=ids, household_id=home)
    return {errand.work_order_id for errand in await placed}


def parties_of(actor: Actor, order: WorkOrder, *, for_home: bool = False) -> frozenset[Party]:
    """What the actor is to the order (see services.workorders.transitions); `for_home`: the
    order is an errand placed for the actor's household (see `errands_for_home`). Nobody
    handles an order they placed or reported themselves, nor an errand placed for their own
    household (they act on it as the household: cancel, confirm, reopen)."""
    path = order.handling_path
    level = level_of(path)
    grid = prefix(path, AreaLevel.GRID)
    parties: set[Party] = set()
    own = order.reporter_id == actor.person_id
    if own:
        is_request = order.kind is WorkOrderKind.RESIDENT_REQUEST
        parties.add(Party.REQUESTER if is_request else Party.REPORTER)
    if for_home and not own:
        parties.add(Party.HOUSEHOLD)
    grid_leader = _holds(actor, Role.GRID_LEADER, grid)
    admin = actor.administers(path)
    if grid_leader:
        parties.add(Party.GRID_LEADER)
    if admin:
        parties.add(Party.ADMIN)
    if not own and not for_home:
        if order.assignee_id == actor.person_id:
            parties.add(Party.ASSIGNEE)
        handles = (
            (level is AreaLevel.MICRO_GRID and _holds(actor, Role.MICRO_GRID_LEADER, path))
            or (grid_leader and (level is AreaLevel.GRID or order.escalation_level >= 1))
            or (admin and (level is AreaLevel.COMMUNITY or order.escalation_level >= 2))
        )
        if handles:
            parties.add(Party.HANDLER)
    return frozenset(parties)


def sees(actor: Actor, order: WorkOrder, *, for_home: bool = False) -> bool:
    """Residents see the orders they placed, reporters their reports, assignees and accepters
    the orders they took, admins and leaders the orders handled in their areas; `for_home`:
    the members of a household see the errands placed for it (see `errands_for_home`)."""
    return (
        for_home
        or actor.person_id in (order.reporter_id, order.assignee_id, order.accepted_by_id)
        or actor.reads(order.handling_path)
    )


async def reach(actor: Actor, work_order_id: int) -> tuple[WorkOrder, frozenset[Party]]:
    """The order if the actor may see it, and what the actor is to it (NotFound otherwise:
    its existence stays hidden)."""
    order = await WorkOrder.get_or_none(id=work_order_id)
    for_home = order is not None and bool(await errands_for_home(actor, [order]))
    if order is None or not sees(actor, order, for_home=for_home):
        raise NotFound("No such work order.", field="workOrderId")
    return order, parties_of(actor, order, for_home=for_home)
