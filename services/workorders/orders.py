"""Placing work orders (点单 by residents, 事件上报 by grid workers), dispatching them in the
same transaction, and reading them back: lists, the viewer's own, timelines."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import reduce
from operator import or_
from urllib.parse import urlsplit

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from services.enums import (
    ADMIN_ROLES,
    AreaLevel,
    Role,
    WorkOrderAction,
    WorkOrderKind,
    WorkOrderStatus,
)
from services.errors import Forbidden, InvalidInput, NotFound
from services.grids import clean_text
from services.kit import clock, events
from services.kit.auth import Actor, require_actor
from services.kit.events import Topic
from services.kit.pagination import Page, paginate
from services.kit.paths import in_subtree
from services.models import Area, WorkOrder, WorkOrderCategory, WorkOrderErrand, WorkOrderEvent
from services.workorders.access import prefix, sees
from services.workorders.categories import category_for
from services.workorders.errands import Errand, errand_for
from services.workorders.routing import route_household, route_report

MAX_DESCRIPTION = 1000
MAX_LOCATION = 200
MAX_PHOTOS = 9
MAX_PHOTO_URL = 500
# Who reports problems (the "mobile probes"): grid workers, in the community of their role.
REPORTER_ROLES = frozenset(
    {
        Role.PART_TIME_GRID_MEMBER,
        Role.GRID_LEADER,
        Role.MICRO_GRID_LEADER,
        Role.CENTRAL_HOUSEHOLD,
    }
)
_RUNNING = (WorkOrderStatus.ACCEPTED, WorkOrderStatus.IN_PROGRESS)


def check_photo_urls(urls: list[str]) -> list[str]:
    """At most 9 web (http or https) links of at most 500 characters each."""
    if len(urls) > MAX_PHOTOS:
        raise InvalidInput(f"At most {MAX_PHOTOS} photos.", field="photoUrls")
    cleaned = []
    for url in urls:
        url = url.strip()
        if len(url) > MAX_PHOTO_URL:
            raise InvalidInput(
                f"A photo link is at most {MAX_PHOTO_URL} characters.", field="photoUrls"
            )
        parts = urlsplit(url)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or any(c.isspace() for c in url)
        ):
            raise InvalidInput("Photo links must be http(s) web links.", field="photoUrls")
        cleaned.append(url)
    return cleaned


def is_overdue(order: WorkOrder, now: datetime | None = None) -> bool:
    """Past its due time (at `now`, default the service clock's now) while its clock runs: not
    yet accepted after `accept_due`, or not yet resolved after `resolve_due` (a suspended
    order's clock stands still)."""
    now = clock.now() if now is None else now
    if order.status is WorkOrderStatus.DISPATCHED:
        return now > order.accept_due
    return order.status in _RUNNING and now > order.resolve_due


def emit_change(order: WorkOrder, action: WorkOrderAction, area_path: str | None = None) -> None:
    """Record the WORK_ORDER event of a change (published after the commit), for the area
    handling the order (or `area_path`: the area a transfer took it from)."""
    events.emit(
        Topic.WORK_ORDER,
        id=order.id,
        action=action.value,
        status=order.status.value,
        area_path=area_path or order.handling_path,
    )


async def _submit(
    *,
    actor: Actor,
    kind: WorkOrderKind,
    category: WorkOrderCategory,
    description: str,
    household_id: int | None,
    area: Area,
    location: str | None,
    photo_urls: list[str],
    handling: Area,
    errand: Errand | None = None,
) -> WorkOrder:
    """Create the order already dispatched: SUBMIT and DISPATCH both go on its timeline, in
    one transaction (the order row is its first write); an errand (代办) is recorded with it
    and noted on the SUBMIT step."""
    moment = clock.now()
    async with events.collecting(), in_transaction():
        order = await WorkOrder.create(
            kind=kind,
            category_id=category.id,
            status=WorkOrderStatus.DISPATCHED,
            description=description,
            household_id=household_id,
            reporter_id=actor.person_id,
            area_id=area.id,
            location=location,
            photo_urls=photo_urls,
            handling_area_id=handling.id,
            handling_path=handling.path,
            accept_due=moment + timedelta(minutes=category.accept_within_minutes),
            resolve_due=moment + timedelta(hours=category.resolve_within_hours),
            submitted_at=moment,
            dispatched_at=moment,
            created_at=moment,
        )
        await WorkOrderEvent.bulk_create(
            [
                WorkOrderEvent(
                    work_order_id=order.id,
                    action=WorkOrderAction.SUBMIT,
                    from_status=None,
                    to_status=WorkOrderStatus.SUBMITTED,
                    actor_id=actor.person_id,
                    note=errand.note if errand else None,
                    at=moment,
                ),
                WorkOrderEvent(
                    work_order_id=order.id,
                    action=WorkOrderAction.DISPATCH,
                    from_status=WorkOrderStatus.SUBMITTED,
                    to_status=WorkOrderStatus.DISPATCHED,
                    actor_id=None,
                    target_area_id=handling.id,
                    at=moment,
                ),
            ]
        )
        if errand is not None:
            await WorkOrderErrand.create(
                work_order_id=order.id,
                household_id=errand.household.id,
                placed_by_id=actor.person_id,
                placed_as=errand.placed_as,
                created_at=moment,
            )
        emit_change(order, WorkOrderAction.DISPATCH)
    return order


async def place_order(
    *,
    actor: Actor | None,
    category: str,
    description: str,
    on_behalf_of_household_id: int | None = None,
) -> WorkOrder:
    """A resident asks for help for their household (点单); the order is dispatched to the
    household's micro-grid at once. With `on_behalf_of_household_id`, a central household or
    micro-grid leader places it for another household (代办: services.workorders.errands)."""
    actor = require_actor(actor)
    description = clean_text(description, field="description", max_length=MAX_DESCRIPTION)
    errand = None
    if on_behalf_of_household_id is not None:
        errand = await errand_for(actor, on_behalf_of_household_id)
        household, handling = errand.household, errand.handling
    elif actor.household_id is None:
        raise Forbidden("Orders are placed for your household: you are registered in none.")
    else:
        household, handling = await route_household(actor.household_id)
    found = await category_for(category, WorkOrderKind.RESIDENT_REQUEST, handling.path)
    return await _submit(
        actor=actor,
        kind=WorkOrderKind.RESIDENT_REQUEST,
        category=found,
        description=description,
        household_id=household.id,
        area=errand.area if errand else handling,
        location=None,
        photo_urls=[],
        handling=handling,
        errand=errand,
    )


def may_report(actor: Actor, path: str) -> bool:
    """Grid workers report in the community of their role; admins in their areas."""
    if any(path.startswith(root) for root in actor.paths_for(ADMIN_ROLES)):
        return True
    communities = {prefix(p, AreaLevel.COMMUNITY) for p in actor.paths_for(REPORTER_ROLES)}
    return any(c is not None and path.startswith(c) for c in communities)


async def report_problem(
    *,
    actor: Actor | None,
    category: str,
    area_id: int,
    location: str,
    description: str,
    photo_urls: list[str],
) -> WorkOrder:
    """A grid worker or part-time grid member reports a problem seen at a place (事件上报);
    it is dispatched to the micro-grid there (or the grid, where no micro-grid is given)."""
    actor = require_actor(actor)
    description = clean_text(description, field="description", max_length=MAX_DESCRIPTION)
    location = clean_text(location, field="location", max_length=MAX_LOCATION)
    photos = check_photo_urls(photo_urls)
    area = await route_report(area_id)
    if not may_report(actor, area.path):
        if not actor.paths_for(REPORTER_ROLES | ADMIN_ROLES):
            raise Forbidden("Grid workers and part-time grid members report problems.")
        raise Forbidden("Report problems in your own community.", field="areaId")
    found = await category_for(category, WorkOrderKind.PROBLEM_REPORT, area.path)
    return await _submit(
        actor=actor,
        kind=WorkOrderKind.PROBLEM_REPORT,
        category=found,
        description=description,
        household_id=None,
        area=area,
        location=location,
        photo_urls=photos,
        handling=area,
    )


async def orders_by_ids(
    *, actor: Actor | None, work_order_ids: list[int]
) -> list[WorkOrder | None]:
    """The orders the actor may see, in order (None where hidden or missing); one query."""
    if actor is None:
        return [None for _ in work_order_ids]
    found = {o.id: o for o in await WorkOrder.filter(id__in=work_order_ids)}
    return [o if o is not None and sees(actor, o) else None for o in map(found.get, work_order_ids)]


# The most steps an order's timeline shows (the latest; an order takes a handful unless it is
# transferred again and again): a bound the API's cost estimate relies on (`WorkOrder.timeline`).
TIMELINE_LIMIT = 50


async def timelines(*, work_order_ids: list[int]) -> list[list[WorkOrderEvent]]:
    """The timeline of each order, oldest step first: its latest TIMELINE_LIMIT steps; one
    query (reached through an order the actor sees)."""
    by_order: dict[int, list[WorkOrderEvent]] = {i: [] for i in work_order_ids}
    for event in await WorkOrderEvent.filter(work_order_id__in=work_order_ids).order_by("id"):
        by_order[event.work_order_id].append(event)
    return [by_order[i][-TIMELINE_LIMIT:] for i in work_order_ids]


def _overdue(now: datetime) -> Q:
    return Q(status=WorkOrderStatus.DISPATCHED, accept_due__lt=now) | Q(
        status__in=list(_RUNNING), resolve_due__lt=now
    )


_FINISHED = (WorkOrderStatus.CONFIRMED, WorkOrderStatus.CLOSED, WorkOrderStatus.REJECTED)


async def open_and_overdue(now: datetime) -> tuple[int, int]:
    """How many orders are open (not confirmed, closed or rejected), and how many of them are
    overdue as `overdueOnly` counts them (for operators' metrics; no authorization)."""
    open_orders = await WorkOrder.exclude(status__in=list(_FINISHED)).count()
    overdue = await WorkOrder.filter(_overdue(now)).count()
    return open_orders, overdue


async def list_orders(
    *,
    actor: Actor | None,
    under_id: int | None,
    kind: WorkOrderKind | None = None,
    status: WorkOrderStatus | None = None,
    category_id: int | None = None,
    overdue_only: bool = False,
    assigned_to_me: bool = False,
    first: int,
    after: int | None = None,
) -> Page[WorkOrder]:
    """Work orders handled under an area (admins and leaders of it), newest first; without
    `under`, everything handled in the actor's areas. `assignedToMe`: the orders assigned to
    the actor (a central household or volunteer), wherever they are handled."""
    actor = require_actor(actor)
    query = WorkOrder.all()
    under: Area | None = None
    if under_id is not None:
        under = await Area.get_or_none(id=under_id)
        if under is None:
            raise NotFound("No such area.", field="under")
    if assigned_to_me:
        query = query.filter(assignee_id=actor.person_id)
        if under is not None:
            query = query.filter(in_subtree(under.path, "handling_path"))
    elif under is not None:
        if not actor.reads(under.path):
            raise Forbidden("Admins and leaders of the area read its work orders.", field="under")
        query = query.filter(in_subtree(under.path, "handling_path"))
    else:
        roots = actor.read_paths
        if not roots:
            raise Forbidden("Admins and leaders read the work orders of their areas.")
        query = query.filter(reduce(or_, [in_subtree(root, "handling_path") for root in roots]))
    if kind is not None:
        query = query.filter(kind=kind)
    if status is not None:
        query = query.filter(status=status)
    if category_id is not None:
        query = query.filter(category_id=category_id)
    if overdue_only:
        query = query.filter(_overdue(clock.now()))
    return await paginate(query, first=first, after=after, newest_first=True)


async def my_orders(
    *, actor: Actor | None, first: int, after: int | None = None
) -> Page[WorkOrder]:
    """The viewer's own work orders, newest first: those they placed or reported, and those
    they accepted or were assigned (as a handler)."""
    actor = require_actor(actor)
    me = actor.person_id
    query = WorkOrder.filter(Q(reporter_id=me) | Q(assignee_id=me) | Q(accepted_by_id=me))
    return await paginate(query, first=first, after=after, newest_first=True)
