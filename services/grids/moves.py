"""Changing the net (调整网格): an area moved under another parent with its subtree, households
moved to another micro-grid, and the history of such moves.

A move rewrites the materialised paths (services.kit.paths) of everything that stands in the
moved subtree, in one transaction, so scopes (role assignments), coverage (households), notices
and open work orders follow at once. What records the past keeps the path it had: points
transactions and awards, evaluation results and honours, exit reviews, training sessions held,
and work orders already closed; `area_move` keeps where each moved thing was.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import F, Q, Subquery
from tortoise.transactions import in_transaction

from services.care_links import HOUSEHOLD_MOVED, end_care_links
from services.enums import (
    AreaLevel,
    MoveSubject,
    ProviderKind,
    Role,
    WorkOrderAction,
    WorkOrderStatus,
)
from services.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from services.geo.boundaries import lies_inside
from services.grids.areas import MAX_CHILDREN, areas_by_ids, get_area, nested_rows
from services.kit import clock, db, events
from services.kit.auth import Actor, require_actor
from services.kit.pagination import (
    Page,
    PageKey,
    Window,
    batched_counts,
    page_from_rows,
    paginate,
)
from services.kit.paths import community_path, is_under, path_ids, subtree_bounds
from services.models import (
    Area,
    AreaMove,
    Household,
    Reward,
    RoleAssignment,
    VolunteerActivity,
    WorkOrder,
    WorkOrderEvent,
)

# The most households one moveHouseholds call moves.
MAX_HOUSEHOLDS_PER_MOVE = 100

# Work orders still being handled: their handling area follows a move (closed ones keep theirs).
# RESOLVED is not closed: it waits for confirmation or verification and may be reopened (返工).
OPEN_ORDER_STATUSES = (
    WorkOrderStatus.SUBMITTED,
    WorkOrderStatus.DISPATCHED,
    WorkOrderStatus.ACCEPTED,
    WorkOrderStatus.IN_PROGRESS,
    WorkOrderStatus.SUSPENDED,
    WorkOrderStatus.RESOLVED,
)

# (table, path column) of the rows that stand in an area and follow it when it moves.
_FOLLOWING: tuple[tuple[str, str], ...] = (
    ("area", "path"),
    ("household", "path"),
    ("role_assignment", "area_path"),
    ("notice", "area_path"),
    ("notice_recipient", "area_path"),
    ("notice_acknowledgement", "area_path"),
    ("notice_relay", "household_path"),
    ("volunteer_team", "area_path"),
    ("volunteer_activity", "area_path"),
    ("reward", "area_path"),
    ("points_rule", "area_path"),
    ("cadre_assignment", "area_path"),
    ("resource_area", "area_path"),
    ("need_entry", "area_path"),
)

_MOVED_NOTE = "the household moved to another micro-grid"
_AREA_MOVED_NOTE = "the area moved"
# The ASSIGN step of an assignee a move took off an order (their role does not reach its new
# handling area); the order goes back to whoever handles it there.
ASSIGNEE_LEFT_NOTE = "原指派人不再负责该区域，交回处理人"


def _community_id(path: str) -> int:
    found = community_path(path)
    assert found is not None  # grids and micro-grids lie below a community
    return path_ids(found)[-1]


async def _rewrite(old: str, new: str) -> None:
    """Rewrite every following path under `old` to lie under `new` instead."""
    low, high = subtree_bounds(old)
    cut = len(old) + 1  # substr is 1-based: the rest of the path after the old prefix
    for table, column in _FOLLOWING:
        await db.execute(
            f"UPDATE {table} SET {column} = CAST(? AS VARCHAR) || "
            f"substr({column}, CAST(? AS INTEGER)) WHERE {column} >= ? AND {column} < ?",
            [new, cut, low, high],
        )
    statuses = [s.value for s in OPEN_ORDER_STATUSES]
    marks = ",".join("?" for _ in statuses)
    await db.execute(
        "UPDATE work_order SET handling_path = "
        "CAST(? AS VARCHAR) || substr(handling_path, CAST(? AS INTEGER)), "
        f"version = version + 1 "
        f"WHERE handling_path >= ? AND handling_path < ? AND status IN ({marks})",
        [new, cut, low, high, *statuses],
    )


async def move_area(
    *, actor: Actor | None, area_id: int, parent_id: int
) -> tuple[Area, AreaMove | None]:
    """Move a grid to another community or a micro-grid to another grid, with its subtree:
    paths, scopes, households, notices and open work orders follow in one transaction (those
    handled at the parent it left are routed again in the new line), and the move is kept in
    its history. Moving an area to where it is changes nothing (no history)."""
    actor = require_actor(actor)
    area = await get_area(area_id=area_id)
    actor.require_admin_of(area.path, "move areas")
    target = await Area.get_or_none(id=parent_id)
    if target is None:
        raise NotFound("No such area.", field="parentId")
    actor.require_admin_of(target.path, "move areas")
    if area.level not in (AreaLevel.GRID, AreaLevel.MICRO_GRID):
        raise InvalidInput("Only grids and micro-grids are moved.", field="areaId")
    if is_under(target.path, area.path):
        raise InvalidInput("An area cannot move under itself.", field="parentId")
    if target.level.rank != area.level.rank - 1:
        wanted = "community" if area.level is AreaLevel.GRID else "grid"
        raise InvalidInput(
            f"A {area.level.value} moves under a {wanted}, not a {target.level.value}.",
            field="parentId",
        )
    if area.level is AreaLevel.MICRO_GRID and area.kind is not target.kind:
        raise InvalidInput(
            f"A {area.kind.value} micro-grid cannot move into a {target.kind.value} grid.",
            field="parentId",
        )
    if target.id == area.parent_id:
        return area, None
    assert area.parent_id is not None  # grids and micro-grids have a parent
    old_path, new_path = area.path, f"{target.path}{area.id}/"
    async with events.collecting(), in_transaction():
        # The target's row is locked first (a no-op write), as create_area does, so that a
        # move and a creation under the same parent serialize on the sibling checks.
        await db.execute("UPDATE area SET name = name WHERE id = ? RETURNING id", [target.id])
        if await Area.exists(parent_id=target.id, name=area.name):
            raise Conflict(f"{target.name} already has an area named {area.name}.", field="name")
        if await Area.filter(parent_id=target.id).count() >= MAX_CHILDREN:
            raise Conflict(
                f"An area has at most {MAX_CHILDREN} areas directly under it.", field="parentId"
            )
        await Area.filter(id=area.id).update(parent_id=target.id)
        await _rewrite(old_path, new_path)
        await _reroute_left(actor, old_path, new_path, clock.now())
        new_community = _community_id(new_path)
        if new_community != _community_id(old_path):
            await _change_community(new_path, await Area.get(id=new_community))
            await _recheck_assignees(actor, new_path, clock.now())
        move = await AreaMove.create(
            subject=MoveSubject.AREA,
            area_id=area.id,
            from_area_id=area.parent_id,
            to_area_id=target.id,
            from_path=old_path,
            to_path=new_path,
            moved_at=clock.now(),
            moved_by_id=actor.person_id,
        )
    return await Area.get(id=area.id), move


async def _change_community(new: str, community: Area) -> None:
    """What stands in the subtree now at `new` joins `community`, the one it moved to: its
    households, need entries, volunteer activities (their hours are paid from the pool of the
    community they lie in) and rewards (redeemed at the prices and with the points of the
    community whose marketplace they are in now). A reward the community gave is given by the
    new community now, and every reward's captured points land in its provider's sink there,
    so a capture's transaction and the sink it credits are of one community.

    What is already done stays with the old community, as history: transactions (points
    already spent in its marketplace stay in its sinks, points awarded stay drawn from its
    pool), awards (a pending one is decided under the rule version of the community it was
    asked in), evaluation results. A volunteer activity keeps its co-building project, which
    is the old community's record of what was done for it."""
    # Imported here: services.points reaches services.grids through people and households.
    from services.points.ledger import sink_account

    low, high = subtree_bounds(new)
    await Household.filter(path__gte=low, path__lt=high).update(community_id=community.id)
    await VolunteerActivity.filter(area_path__gte=low, area_path__lt=high).update(
        community_id=community.id
    )
    await db.execute(
        "UPDATE need_entry SET community_id = ?, community_path = ? "
        "WHERE area_path >= ? AND area_path < ?",
        [community.id, community.path, low, high],
    )
    rewards = await Reward.filter(area_path__gte=low, area_path__lt=high).values_list(
        "id", "provider_kind", "provider_name"
    )
    providers: dict[tuple[ProviderKind, str], list[int]] = {}
    for reward_id, kind, name in rewards:
        providers.setdefault((ProviderKind(kind), str(name)), []).append(int(reward_id))
    for (kind, name), ids in providers.items():
        # A partner unit still gives its rewards (its members hand them over).
        provider = community.name if kind is ProviderKind.COMMUNITY else name
        sink = await sink_account(community.id, provider)
        await Reward.filter(id__in=ids).update(
            community_id=community.id, provider_name=provider, sink_account_id=sink.id
        )


async def _recheck_assignees(actor: Actor, new: str, now: datetime) -> None:
    """Open orders handled in the subtree now at `new`, which changed community: an assignee
    who may not work on one there now (a volunteer of the old community) is taken off it."""
    low, high = subtree_bounds(new)
    orders = (
        await WorkOrder.filter(
            handling_path__gte=low,
            handling_path__lt=high,
            status__in=list(OPEN_ORDER_STATUSES),
            assignee_id__isnull=False,
        )
        .select_for_update()
        .order_by("id")
    )
    areas = {a.id: a for a in await Area.filter(id__in={o.area_id for o in orders})}
    for order in orders:
        await _follow(actor, order, areas[order.area_id], {}, _AREA_MOVED_NOTE, now, route=False)


async def _reroute_left(actor: Actor, old: str, new: str, now: datetime) -> None:
    """Open orders of the moved subtree handled in the line it left (a micro-grid's old grid,
    a grid's old community, which `_rewrite` does not reach) are routed again in the new line
    (`reroute`): a dispatched one at the new grid, or at the micro-grid if its leader handles
    them now; one accepted or later, or escalated, at the level it had reached. On their
    timelines, announced to the areas they left and went to (`_follow`)."""
    left = _line_left(old, new)
    if not left:
        return
    low, high = subtree_bounds(new)
    # Locked as they are read: a concurrent accept waits, and the routing sees its outcome.
    orders = (
        await WorkOrder.filter(
            handling_area_id__in=left,
            status__in=list(OPEN_ORDER_STATUSES),
            area_id__in=Subquery(Area.filter(path__gte=low, path__lt=high).values("id")),
        )
        .select_for_update()
        .order_by("id")
    )
    areas = {a.id: a for a in await Area.filter(id__in={o.area_id for o in orders})}
    for order in orders:
        await _follow(actor, order, areas[order.area_id], {}, _AREA_MOVED_NOTE, now)


async def move_households(
    *, actor: Actor | None, household_ids: list[int], micro_grid_id: int
) -> tuple[list[Household], list[AreaMove]]:
    """Move households to a micro-grid (of any community the actor administers) in one
    transaction: their paths and community follow, their care links end (a central household
    looks after its own micro-grid), their open work orders handled in the micro-grid they
    left or its grid are routed again (`_reroute_orders`: a dispatched one as a new order of
    the new one would be, on its timeline, announced), and each move is kept in the history.
    Households already there are left as they are. A household's position outside the new
    micro-grid's boundary is cleared; orders placed with a position stay where they are."""
    actor = require_actor(actor)
    if not household_ids:
        raise InvalidInput("Name at least one household.", field="householdIds")
    if len(household_ids) > MAX_HOUSEHOLDS_PER_MOVE:
        raise InvalidInput(
            f"Move at most {MAX_HOUSEHOLDS_PER_MOVE} households at once.", field="householdIds"
        )
    if len(set(household_ids)) != len(household_ids):
        raise InvalidInput("A household is named twice.", field="householdIds")
    found = {h.id: h for h in await Household.filter(id__in=household_ids)}
    for hid in household_ids:
        household = found.get(hid)
        if household is None or not actor.reads(household.path):
            raise NotFound("No such household.", field="householdIds")
        actor.require_admin_of(household.path, "move households")
    target = await Area.get_or_none(id=micro_grid_id)
    if target is None:
        raise NotFound("No such area.", field="microGridId")
    if target.level is not AreaLevel.MICRO_GRID:
        raise InvalidInput("Households are moved to micro-grids.", field="microGridId")
    actor.require_admin_of(target.path, "move households")
    moving = [found[h] for h in household_ids if found[h].micro_grid_id != target.id]
    # A central household lives in the micro-grid it serves (see people.assign_role).
    central = await RoleAssignment.filter(
        person__household_id__in=[h.id for h in moving],
        role=Role.CENTRAL_HOUSEHOLD,
        until=None,
    ).values_list("person__household_id", "area_id")
    if any(found[int(hid)].micro_grid_id == area_id for hid, area_id in central):
        raise Conflict(
            "A member is a central household of the micro-grid; end that role first.",
            field="householdIds",
        )
    community = _community_id(target.path)
    # A position outside the new micro-grid's boundary would place the household on the map
    # in another micro-grid than its own: it is cleared (to be given again).
    stray = {
        h.id
        for h in moving
        if h.longitude is not None
        and h.latitude is not None
        and not await lies_inside(target.id, (h.longitude, h.latitude))
    }
    now = clock.now()
    moves: list[AreaMove] = []
    async with events.collecting(), in_transaction():
        for household in moving:
            left = household.micro_grid_id or household.community_id
            cleared = {"longitude": None, "latitude": None} if household.id in stray else {}
            await Household.filter(id=household.id).update(
                micro_grid_id=target.id, community_id=community, path=target.path, **cleared
            )
            await db.execute(
                "UPDATE notice_relay SET household_path = ? WHERE household_id = ?",
                [target.path, household.id],
            )
            await end_care_links(household_id=household.id, reason=HOUSEHOLD_MOVED)
            await _reroute_orders(actor, household, target, now)
            moves.append(
                await AreaMove.create(
                    subject=MoveSubject.HOUSEHOLD,
                    household_id=household.id,
                    from_area_id=left,
                    to_area_id=target.id,
                    from_path=household.path,
                    to_path=target.path,
                    moved_at=now,
                    moved_by_id=actor.person_id,
                )
            )
    fresh = {h.id: h for h in await Household.filter(id__in=household_ids)}
    return [fresh[h] for h in household_ids], moves


async def _reroute_orders(actor: Actor, household: Household, target: Area, now: datetime) -> None:
    """The household's open orders placed in the micro-grid it left now lie in the new one;
    those handled in the line it left (the micro-grid, its grid, or its community when the
    household changes community) are routed again (`reroute`): a dispatched one as a new order
    of the new micro-grid would be (its grid when it has no leader), one accepted or later at
    the level it had reached; status and acceptance kept, on the timeline (`_follow`)."""
    if household.micro_grid_id is None:
        return
    # Locked as they are read: a concurrent accept waits, and the routing sees its outcome.
    orders = (
        await WorkOrder.filter(
            household_id=household.id,
            area_id=household.micro_grid_id,
            status__in=list(OPEN_ORDER_STATUSES),
            # An order placed with a position is where that position is, not where the
            # household lives: it stays.
            longitude__isnull=True,
        )
        .select_for_update()
        .order_by("id")
    )
    # Its micro-grid and grid always (what the new micro-grid's routing may change), and its
    # community too when it changes.
    left = set(path_ids(household.path)[AreaLevel.GRID.rank :])
    left |= _line_left(household.path, target.path)
    for order in orders:
        await _follow(
            actor,
            order,
            target,
            {"area_id": target.id},
            _MOVED_NOTE,
            now,
            route=order.handling_area_id in left,
        )


async def _follow(
    actor: Actor,
    order: WorkOrder,
    area: Area,
    changes: dict[str, object],
    why: str,
    now: datetime,
    *,
    route: bool = True,
) -> None:
    """Write what a move does to one open order (locked by the caller) of `area`, with
    `changes` (its new area): routed again when `route` (`reroute`; a TRANSFER step when its
    handling area changes); an assignee whose roles do not let them work on it at its handling
    area now is taken off it (an ASSIGN step by nobody; lifecycle's rule for assignees). The
    change is announced to the area handling it, and to the one it left."""
    # Imported here: services.workorders reaches services.grids through households and
    # people, so a module-level import would be circular.
    from services.workorders.lifecycle import may_work_on
    from services.workorders.orders import emit_change
    from services.workorders.routing import reroute

    changes = dict(changes)
    steps: list[WorkOrderEvent] = []
    old_path = order.handling_path
    if route:
        handling, note = await reroute(order, area)
        if handling.id != order.handling_area_id:
            changes.update(handling_area_id=handling.id, handling_path=handling.path)
            steps.append(_transfer_step(actor, order, handling, why, note, now))
            order.handling_path = handling.path  # where the assignee is checked below
    if order.assignee_id is not None and not await may_work_on(order, order.assignee_id):
        changes["assignee_id"] = None
        steps.append(
            WorkOrderEvent(
                work_order_id=order.id,
                action=WorkOrderAction.ASSIGN,
                from_status=order.status,
                to_status=order.status,
                actor_id=None,
                note=ASSIGNEE_LEFT_NOTE,
                at=now,
            )
        )
    if not changes:
        return
    await WorkOrder.filter(id=order.id).update(**changes, version=F("version") + 1)
    await WorkOrderEvent.bulk_create(steps)
    if not steps:
        return
    fresh = await WorkOrder.get(id=order.id)
    if fresh.handling_path != old_path:
        emit_change(fresh, WorkOrderAction.TRANSFER)
        emit_change(fresh, WorkOrderAction.TRANSFER, area_path=old_path)
    else:
        emit_change(fresh, WorkOrderAction.ASSIGN)


def _line_left(old: str, new: str) -> set[int]:
    """The ids of the areas handling work orders (community, grid, micro-grid) at or above
    the area at `old` that are not at or above the area at `new`: what a move leaves."""
    first = AreaLevel.COMMUNITY.rank
    return set(path_ids(old)[first:]) - set(path_ids(new)[first:])


def _transfer_step(
    actor: Actor, order: WorkOrder, handling: Area, why: str, note: str | None, now: datetime
) -> WorkOrderEvent:
    """The TRANSFER row of an order a move sent to `handling` (status kept)."""
    return WorkOrderEvent(
        work_order_id=order.id,
        action=WorkOrderAction.TRANSFER,
        from_status=order.status,
        to_status=order.status,
        actor_id=actor.person_id,
        note=f"{why}; {note}" if note else why,
        target_area_id=handling.id,
        at=now,
    )


async def area_moves(*, actor: Actor | None, area_id: int, window: Window) -> Page[AreaMove]:
    """The moves of an area and those into and out of it, oldest first; for the admins and
    leaders of the area."""
    actor = require_actor(actor)
    area = await get_area(area_id=area_id)
    if not actor.reads(area.path):
        raise Forbidden("The history of moves is shown to the admins and leaders of the area.")
    query = AreaMove.filter(Q(area_id=area.id) | Q(from_area_id=area.id) | Q(to_area_id=area.id))
    return await paginate(query, window)


_OF_AREA = "(x.area_id = a.id OR x.from_area_id = a.id OR x.to_area_id = a.id)"


async def area_move_pages(
    *, actor: Actor | None, keys: list[PageKey]
) -> list[Page[AreaMove] | Exception]:
    """The history pages (as `area_moves`) of many areas at once, in a fixed number of
    statements however many areas ask: for the admins and leaders of each area (Forbidden,
    Unauthenticated or NotFound in its place for the others)."""
    found = await areas_by_ids(area_ids=[k.owner for k in keys])
    areas = {area.id: area for area in found if area is not None}
    allowed = [
        k
        for k in keys
        if k.owner in areas and actor is not None and actor.reads(areas[k.owner].path)
    ]
    rows = await nested_rows(allowed, "a.id AS owner_id, x.*", _OF_AREA, AreaMove)
    owners = sorted({k.owner for k in allowed})

    async def totals() -> dict[int, int]:
        marks = ",".join("?" for _ in owners)
        counted = await db.fetch(
            f"SELECT a.id AS owner_id, COUNT(x.id) AS n FROM area a JOIN area_move x "
            f"ON {_OF_AREA} WHERE a.id IN ({marks}) GROUP BY a.id",
            owners,
        )
        return {int(r["owner_id"]): int(r["n"]) for r in counted}

    count_of = batched_counts(totals)
    result: list[Page[AreaMove] | Exception] = []
    for k in keys:
        if k.owner not in areas:
            result.append(NotFound("No such area.", field="areaId"))
        elif actor is None:
            result.append(Unauthenticated("Sign in first."))
        elif k not in rows:
            result.append(
                Forbidden("The history of moves is shown to the admins and leaders of the area.")
            )
        else:
            result.append(
                page_from_rows(
                    rows[k],
                    [m.id for m in rows[k]],
                    k.window,
                    count=count_of(k.owner),
                )
            )
    return result


async def moves_by_ids(*, actor: Actor | None, move_ids: list[int]) -> list[AreaMove | None]:
    """Moves for the ids in order; None where missing or where the actor reads neither end."""
    found = {m.id: m for m in await AreaMove.filter(id__in=move_ids)}
    result: list[AreaMove | None] = []
    for mid in move_ids:
        move = found.get(mid)
        ok = (
            move is not None
            and actor is not None
            and (actor.reads(move.from_path) or actor.reads(move.to_path))
        )
        result.append(move if ok else None)
    return result
