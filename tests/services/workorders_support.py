"""Factories and probes shared by the work-order tests (data built through services).

The demo story (seed/workorders.py) happens in micro-grid M of grid G in 颜山社区: `resident`
lives in M, `microgrid_leader` leads it, `central_household` serves it, `grid_leader` leads G,
`rider` is a part-time member of G. M's sibling micro-grid in G has a leader without a
sign-in: `sibling_leader` builds that person's actor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from services import workorders
from services.enums import AreaLevel, Role
from services.kit.auth import Actor, RoleGrant
from services.models import (
    Area,
    PointsAward,
    PointsRule,
    RoleAssignment,
    WorkOrder,
    WorkOrderEvent,
)
from tests.conftest import actor_for

PHOTO = "https://img.example.com/test/photo.jpg"
PAYING = frozenset({"confirm", "verify"})


async def micro_grid() -> Area:
    """M: the micro-grid the demo micro-grid leader leads."""
    leader = await actor_for("microgrid_leader")
    grant = next(g for g in leader.grants if g.role is Role.MICRO_GRID_LEADER)
    return await Area.get(id=grant.area_id)


async def grid() -> Area:
    """G: M's grid."""
    micro = await micro_grid()
    return await Area.get(id=micro.parent_id)


async def sibling() -> Area:
    """Another micro-grid of G."""
    micro = await micro_grid()
    return (
        await Area.filter(parent_id=micro.parent_id, level=AreaLevel.MICRO_GRID)
        .exclude(id=micro.id)
        .order_by("id")
        .first()
        .get()
    )


async def sibling_leader() -> Actor:
    """The leader of M's sibling micro-grid, as an actor (the person has no sign-in)."""
    area = await sibling()
    held = await RoleAssignment.get(area_id=area.id, role=Role.MICRO_GRID_LEADER, until=None)
    return Actor(
        account_id=0,
        person_id=held.person_id,
        username="sibling-leader",
        grants=(RoleGrant(Role.MICRO_GRID_LEADER, area.id, area.path, AreaLevel.MICRO_GRID),),
    )


async def place(
    username: str = "resident", category: str = "WATER_ELECTRIC", description: str = "水管漏水"
) -> WorkOrder:
    return await workorders.place_order(
        actor=await actor_for(username), category=category, description=description
    )


async def report(
    username: str = "rider",
    *,
    area: Area | None = None,
    category: str = "SANITATION",
    description: str = "垃圾满溢",
    location: str = "3 号楼东侧",
    photos: list[str] | None = None,
) -> WorkOrder:
    return await workorders.report_problem(
        actor=await actor_for(username),
        category=category,
        area_id=(area or await micro_grid()).id,
        location=location,
        description=description,
        photo_urls=[PHOTO] if photos is None else photos,
    )


async def act(username: str | Actor, action: str, order: WorkOrder, **kwargs: Any) -> WorkOrder:
    """A lifecycle call (`accept`, `resolve`...) by a demo account or an actor; the moves that
    pay (`confirm`, `verify`) get a new idempotency key unless one is given."""
    actor = username if isinstance(username, Actor) else await actor_for(username)
    if action in PAYING:
        kwargs.setdefault("idempotency_key", f"test-{action}-{uuid4().hex}")
    result: WorkOrder = await getattr(workorders, action)(
        actor=actor, work_order_id=order.id, **kwargs
    )
    return result


async def events_of(order: WorkOrder) -> list[tuple[str, str | None, str, str | None]]:
    """(action, from, to, note) of the order's timeline."""
    rows = await WorkOrderEvent.filter(work_order_id=order.id).order_by("id")
    return [
        (e.action.value, e.from_status.value if e.from_status else None, e.to_status.value, e.note)
        for e in rows
    ]


@dataclass(frozen=True)
class Snapshot:
    """Everything a refused call must leave as it was."""

    order: tuple[Any, ...]
    events: int
    awards: int
    orders: int


async def snapshot(order: WorkOrder | None = None) -> Snapshot:
    row: tuple[Any, ...] = ()
    if order is not None:
        fresh = await WorkOrder.get(id=order.id)
        row = tuple(getattr(fresh, f) for f in sorted(WorkOrder._meta.db_fields))
    return Snapshot(
        order=row,
        events=await WorkOrderEvent.all().count(),
        awards=await PointsAward.all().count(),
        orders=await WorkOrder.all().count(),
    )


async def awards_for(order: WorkOrder) -> list[tuple[int, str]]:
    """(person id, rule code) of the awards paid for the order."""
    rows = await PointsAward.filter(source_type="WorkOrder", source_id=str(order.id)).order_by("id")
    rules = {r.id: r.code for r in await PointsRule.filter(id__in={a.rule_id for a in rows})}
    return [(a.person_id, rules[a.rule_id]) for a in rows]


async def handled(order: WorkOrder, by: str = "microgrid_leader") -> WorkOrder:
    """Accepted, started and resolved by `by`."""
    order = await act(by, "accept", order)
    order = await act(by, "start", order)
    return await act(by, "resolve", order, note="已处理")
