"""Handing over the open work orders a role held when the role ends (交接), on their timelines.

- A central household's or volunteer's assigned orders (accepted, in progress or on hold,
  handled in the role's area or an area above it, such as the grid of a leaderless
  micro-grid) go to the successor the admin named (another central household
  of the micro-grid), or back to the handler when none is named: an ASSIGN step each.
- A micro-grid leader's or grid leader's orders (open orders handled at the role's area,
  resolved ones waiting for confirmation included, as they may be reopened) go
  to the next responsible above: the grid (its grid leader), or the community (its admins):
  a TRANSFER step each. They keep their status, acceptance, assignee and due times, so work
  under way goes on and no order buys time by changing hands.

Used by services.people.end_role inside its transaction: the role's end and what moved are
one change.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import F

from services.enums import Role, WorkOrderAction, WorkOrderStatus
from services.kit.paths import in_line, path_ids
from services.models import Area, Person, WorkOrder, WorkOrderEvent
from services.workorders.orders import emit_change

# Roles whose holders are assigned orders, and roles that handle the orders of their area.
ASSIGNED_ROLES = frozenset({Role.CENTRAL_HOUSEHOLD, Role.VOLUNTEER})
HANDLING_ROLES = frozenset({Role.MICRO_GRID_LEADER, Role.GRID_LEADER})
_ASSIGNED_OPEN = (WorkOrderStatus.ACCEPTED, WorkOrderStatus.IN_PROGRESS, WorkOrderStatus.SUSPENDED)
# RESOLVED too: it waits for its confirmation or verification, and a reopen (返工) sends it
# back to its handler, who must be someone (not a leader whose role has ended).
_HANDLED_OPEN = (WorkOrderStatus.DISPATCHED, *_ASSIGNED_OPEN, WorkOrderStatus.RESOLVED)


async def hand_over_orders(
    *,
    person_id: int,
    role: Role,
    area_id: int,
    area_path: str,
    successor_id: int | None,
    actor_person_id: int,
    at: datetime,
) -> list[WorkOrder]:
    """Inside the caller's transaction (and `events.collecting()`): move the open orders the
    role held (see the module docstring); returns them as they are now, by id."""
    if role in ASSIGNED_ROLES:
        return await _reassign(person_id, area_path, successor_id, actor_person_id, at)
    if role in HANDLING_ROLES:
        return await _pass_up(area_id, area_path, role, actor_person_id, at)
    return []


async def _reassign(
    person_id: int, area_path: str, successor_id: int | None, actor_person_id: int, at: datetime
) -> list[WorkOrder]:
    # In line, not only below: an order handled at the grid above (a leaderless micro-grid's,
    # a leader's errand) may be assigned to a central household of the micro-grid.
    orders = await WorkOrder.filter(
        in_line(area_path, "handling_path"),
        assignee_id=person_id,
        status__in=list(_ASSIGNED_OPEN),
    ).order_by("id")
    if not orders:
        return []
    if successor_id is not None:
        name = (await Person.get(id=successor_id)).name
        note = f"角色结束，移交给{name}"
    else:
        note = "角色结束，交回处理人"
    ids = [o.id for o in orders]
    await WorkOrder.filter(id__in=ids).update(assignee_id=successor_id, version=F("version") + 1)
    await WorkOrderEvent.bulk_create(
        [
            WorkOrderEvent(
                work_order_id=o.id,
                action=WorkOrderAction.ASSIGN,
                from_status=o.status,
                to_status=o.status,
                actor_id=actor_person_id,
                note=note,
                at=at,
            )
            for o in orders
        ]
    )
    moved = await WorkOrder.filter(id__in=ids).order_by("id")
    for order in moved:
        emit_change(order, WorkOrderAction.ASSIGN)
    return moved


async def _pass_up(
    area_id: int, area_path: str, role: Role, actor_person_id: int, at: datetime
) -> list[WorkOrder]:
    orders = await WorkOrder.filter(
        handling_area_id=area_id, status__in=list(_HANDLED_OPEN)
    ).order_by("id")
    if not orders:
        return []
    # The area above: a micro-grid's grid, a grid's community (a leader's area is never a top).
    parent = await Area.get(id=path_ids(area_path)[-2])
    note = (
        "微网格长角色结束，移交网格长"
        if role is Role.MICRO_GRID_LEADER
        else "网格长角色结束，移交社区"
    )
    ids = [o.id for o in orders]
    await WorkOrder.filter(id__in=ids).update(
        handling_area_id=parent.id, handling_path=parent.path, version=F("version") + 1
    )
    await WorkOrderEvent.bulk_create(
        [
            WorkOrderEvent(
                work_order_id=o.id,
                action=WorkOrderAction.TRANSFER,
                from_status=o.status,
                to_status=o.status,
                actor_id=actor_person_id,
                note=note,
                target_area_id=parent.id,
                at=at,
            )
            for o in orders
        ]
    )
    moved = await WorkOrder.filter(id__in=ids).order_by("id")
    for order in moved:
        # Announced where it goes and where it came from, as a transfer is.
        emit_change(order, WorkOrderAction.TRANSFER)
        emit_change(order, WorkOrderAction.TRANSFER, area_path=area_path)
    return moved
