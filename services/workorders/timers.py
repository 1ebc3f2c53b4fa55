"""The work-order timers: escalate overdue orders (升级), auto-confirm resolved requests.

- Escalation: an order not accepted by `accept_due`, or not resolved by `resolve_due`
  (suspended orders' clocks stand still), counts as late (`sla_breached`) and goes one level
  up from the area handling it; when the same time passes once more (due + the category's
  time to accept, or to resolve) it goes up once more, as far as the community:
  - handled at a micro-grid: to level 1, the grid leader of its grid, who may then accept
    and handle it; then to level 2, the community's admins;
  - handled at a grid (its leader handles it already): to level 2, the community, at once;
  - handled at the community (a household in no micro-grid, or transferred up there): there
    is no higher level inside the community (the street is outside the work-order net), so
    the order stays with the community's admins; it is marked late and one ESCALATE step
    (level 2, the community) records that it is overdue, and nothing more happens.
  Each step is one ESCALATE row on the timeline, with the grid or community it went to.
- Auto-confirmation: a resident's request RESOLVED for `work_order_auto_confirm_days` days
  without confirmation is confirmed and closed by the system (AUTO_CONFIRM, then CLOSE); the
  handler is paid as on any confirmation. A problem report is never auto-confirmed: it
  stays RESOLVED until the grid leader (or an admin) verifies it (核实), which pays the
  handler and the reporter; verification is what closes a report.

Both are idempotent and safe when several instances run at once: every change is the
conditional UPDATE on the order's version (services.workorders.lifecycle), so of two timers
(or a timer and a person) acting on one order exactly one does.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from services.enums import AreaLevel, WorkOrderAction, WorkOrderKind, WorkOrderStatus
from services.kit import clock, db
from services.kit.paths import path_ids
from services.kit.settings import get_settings
from services.models import WorkOrder, WorkOrderCategory
from services.workorders.access import level_of
from services.workorders.lifecycle import Change, Step, apply_change, closing
from services.workorders.transitions import Party, rule_for

BATCH = 500
GRID_LEADER_LEVEL, COMMUNITY_LEVEL = 1, 2


async def run_timers(now: datetime | None = None) -> dict[str, int]:
    """Escalate what is overdue and auto-confirm what waited long enough, as of `now`
    (default: the current time). Returns how many orders each step changed."""
    moment = now or clock.now()
    return {
        "work_orders_escalated": await escalate_overdue(moment),
        "work_orders_auto_confirmed": await auto_confirm(moment),
    }


def _system_may(order: WorkOrder, action: WorkOrderAction) -> bool:
    rule = rule_for(order.status, action, order.kind)
    return rule is not None and Party.SYSTEM in rule.parties


def _ladder(path: str) -> list[tuple[int, int, str]]:
    """The escalation steps above the area at `path`, in order: (level, area it goes to, the
    note's words) — the grid and the community above a micro-grid, the community above a
    grid; at the community itself one step that stays there (nothing is higher)."""
    ids = path_ids(path)
    community = ids[AreaLevel.COMMUNITY.rank]
    level = level_of(path)
    if level is AreaLevel.MICRO_GRID:
        return [
            (GRID_LEADER_LEVEL, ids[AreaLevel.GRID.rank], "升级至网格长"),
            (COMMUNITY_LEVEL, community, "升级至社区"),
        ]
    if level is AreaLevel.GRID:
        return [(COMMUNITY_LEVEL, community, "升级至社区")]
    return [(COMMUNITY_LEVEL, community, "社区已是最高层级，记为超时")]


# The clock of each running status: the due time it is measured against, and the category's
# time allowed for it (which is also the time from level 1 to level 2).
_PHASES = (
    (WorkOrderStatus.DISPATCHED, "accept_due", "accept_within_minutes", 60),
    (WorkOrderStatus.ACCEPTED, "resolve_due", "resolve_within_hours", 3600),
    (WorkOrderStatus.IN_PROGRESS, "resolve_due", "resolve_within_hours", 3600),
)


async def _due_for_escalation(moment: datetime) -> list[int]:
    """Ids of the orders whose next escalation is due at `moment`: level 0 past their due
    time, level 1 past it by the category's time once more. Only orders that will move are
    selected (so a backlog waiting for level 2 never crowds out new ones); the level 1 query
    runs once per distinct time allowed (categories are few), on the (status, due) index."""
    spans: dict[tuple[str, int], list[int]] = {}
    for category in await WorkOrderCategory.all():
        for _, column, allowed, unit in _PHASES:
            seconds = getattr(category, allowed) * unit
            spans.setdefault((column, seconds), []).append(category.id)
    found: list[int] = []
    for status, column, _, _ in _PHASES:
        rows = await db.fetch(
            f"SELECT id FROM work_order WHERE status = ? AND {column} < ? "
            f"AND escalation_level = 0 ORDER BY {column} LIMIT {BATCH}",
            [status.value, moment],
        )
        for (span_column, seconds), category_ids in spans.items():
            if span_column != column:
                continue
            marks = ",".join("?" for _ in category_ids)
            rows += await db.fetch(
                f"SELECT id FROM work_order WHERE status = ? AND {column} < ? "
                f"AND escalation_level = 1 AND category_id IN ({marks}) "
                f"ORDER BY {column} LIMIT {BATCH}",
                [status.value, moment - timedelta(seconds=seconds), *category_ids],
            )
        found += [int(r["id"]) for r in rows]
    return found


async def escalate_overdue(moment: datetime | None = None) -> int:
    """Escalate the orders overdue at `moment` (default now); returns how many moved up."""
    moment = moment or clock.now()
    ids = await _due_for_escalation(moment)
    if not ids:
        return 0
    orders = await WorkOrder.filter(id__in=ids).order_by("id")
    categories = {
        c.id: c for c in await WorkOrderCategory.filter(id__in={o.category_id for o in orders})
    }
    moved = 0
    for order in orders:
        if not _system_may(order, WorkOrderAction.ESCALATE):
            continue
        category = categories[order.category_id]
        if order.status is WorkOrderStatus.DISPATCHED:
            due, span = order.accept_due, timedelta(minutes=category.accept_within_minutes)
        else:
            due, span = order.resolve_due, timedelta(hours=category.resolve_within_hours)
        if moment <= due:
            continue
        # One rung at the due time, the next once the same time passed again.
        reached = _ladder(order.handling_path)[: 2 if moment >= due + span else 1]
        rungs = [rung for rung in reached if rung[0] > order.escalation_level]
        if not rungs:
            continue
        late = "接单" if order.status is WorkOrderStatus.DISPATCHED else "办结"
        steps = [
            Step(
                WorkOrderAction.ESCALATE,
                order.status,
                order.status,
                None,
                note=f"超时未{late}，{words}",
                target_area_id=area_id,
            )
            for _, area_id, words in rungs
        ]
        change = Change({"escalation_level": rungs[-1][0], "sla_breached": True}, steps)
        if await apply_change(order, change, WorkOrderAction.ESCALATE, moment) is not None:
            moved += 1
    return moved


async def auto_confirm(moment: datetime | None = None) -> int:
    """Confirm and close the requests resolved `work_order_auto_confirm_days` before
    `moment` (default now); returns how many. Reports waiting for verification are not
    selected, so however many wait they never crowd requests out of the batch."""
    moment = moment or clock.now()
    cutoff = moment - timedelta(days=get_settings().work_order_auto_confirm_days)
    rows = await db.fetch(
        "SELECT id FROM work_order WHERE status = ? AND resolved_at < ? AND kind = ? "
        f"ORDER BY resolved_at LIMIT {BATCH}",
        [WorkOrderStatus.RESOLVED.value, cutoff, WorkOrderKind.RESIDENT_REQUEST.value],
    )
    closed = 0
    for order in await WorkOrder.filter(id__in=[r["id"] for r in rows]).order_by("id"):
        if not _system_may(order, WorkOrderAction.AUTO_CONFIRM):
            continue
        change = closing(None, order, WorkOrderAction.AUTO_CONFIRM, moment)
        if await apply_change(order, change, WorkOrderAction.AUTO_CONFIRM, moment) is not None:
            closed += 1
    return closed
