"""Placing work orders (点单 by residents, 事件上报 by grid workers), dispatching them in the
same transaction, and reading them back: lists, the viewer's own, timelines."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from functools import reduce
from operator import or_
from typing import Any
from urllib.parse import urlsplit

from tortoise.expressions import Q, Subquery
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
from services.geo.points import GeoPoint
from services.grids import clean_text
from services.kit import clock, events
from services.kit.auth import Actor, require_actor
from services.kit.events import Topic
from services.kit.idempotency import Call
from services.kit.pagination import Page, Window, paginate
from services.kit.paths import in_subtree, path_ids
from services.models import (
    Area,
    Household,
    WorkOrder,
    WorkOrderCategory,
    WorkOrderErrand,
    WorkOrderEvent,
)
from services.photos import attachments
from services.photos.attachments import SavedPhoto
from services.photos.processing import PhotoUpload, ProcessedPhoto
from services.workorders.access import errands_for_home, prefix, sees
from services.workorders.categories import category_for
from services.workorders.errands import Errand, errand_for
from services.workorders.routing import (
    handler_for,
    route_household,
    route_position,
    route_report,
)

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


def photo_digests(photos: Sequence[ProcessedPhoto]) -> list[str]:
    """What an idempotent retry compares of uploaded photos: the cleaned bytes' digests
    (cleaning is deterministic, so the same uploads give the same digests)."""
    return [hashlib.sha256(photo.data).hexdigest() for photo in photos]


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


def due_times(category: WorkOrderCategory, moment: datetime) -> dict[str, datetime]:
    """The service-level due times of an order dispatched at `moment`, as its category says."""
    return {
        "accept_due": moment + timedelta(minutes=category.accept_within_minutes),
        "resolve_due": moment + timedelta(hours=category.resolve_within_hours),
    }


def dispatch_event(
    order_id: int, handling: Area, note: str | None, moment: datetime
) -> WorkOrderEvent:
    """The DISPATCH row (the system's) sending a submitted order to `handling`."""
    return WorkOrderEvent(
        work_order_id=order_id,
        action=WorkOrderAction.DISPATCH,
        from_status=WorkOrderStatus.SUBMITTED,
        to_status=WorkOrderStatus.DISPATCHED,
        actor_id=None,
        note=note,
        target_area_id=handling.id,
        at=moment,
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
    to_check: bool = False,
    errand: Errand | None = None,
    photos: Sequence[SavedPhoto] = (),
    position: tuple[float, float] | None = None,
    handling: Area | None = None,
) -> WorkOrder:
    """Create the order, in one transaction (the order row is its first write): dispatched at
    once (SUBMIT and DISPATCH on its timeline) to the area that handles `area` (its grid for
    a micro-grid without a leader, or for a micro-grid leader's errand), or, `to_check` (a
    resident's report), SUBMITTED and waiting for a grid leader's check (核实) at `area`, its
    due times counted from submission until the check dispatches it. An errand (代办) is
    recorded with it and noted on the SUBMIT step. `photos` (written to the media store
    already) are recorded on the order; `handling` names the area that handles it instead."""
    note: str | None = None
    if handling is None and errand is not None and errand.handling.id != area.id:
        # A micro-grid leader's errand goes to the grid (services.workorders.errands).
        handling = errand.handling
    elif handling is None:
        handling, note = await handler_for(area)
    moment = clock.now()
    due = due_times(category, moment)
    async with events.collecting(), in_transaction():
        order = await WorkOrder.create(
            kind=kind,
            category_id=category.id,
            status=WorkOrderStatus.SUBMITTED if to_check else WorkOrderStatus.DISPATCHED,
            description=description,
            household_id=household_id,
            reporter_id=actor.person_id,
            area_id=area.id,
            location=location,
            longitude=None if position is None else position[0],
            latitude=None if position is None else position[1],
            photo_urls=photo_urls,
            handling_area_id=area.id if to_check else handling.id,
            handling_path=area.path if to_check else handling.path,
            accept_due=due["accept_due"],
            resolve_due=due["resolve_due"],
            submitted_at=moment,
            dispatched_at=None if to_check else moment,
            created_at=moment,
        )
        steps = [
            WorkOrderEvent(
                work_order_id=order.id,
                action=WorkOrderAction.SUBMIT,
                from_status=None,
                to_status=WorkOrderStatus.SUBMITTED,
                actor_id=actor.person_id,
                note="待网格核实" if to_check else (errand.note if errand else None),
                at=moment,
            )
        ]
        if not to_check:
            steps.append(dispatch_event(order.id, handling, note, moment))
        await WorkOrderEvent.bulk_create(steps)
        if errand is not None:
            await WorkOrderErrand.create(
                work_order_id=order.id,
                household_id=errand.household.id,
                placed_by_id=actor.person_id,
                placed_as=errand.placed_as,
                created_at=moment,
            )
        await attachments.record(photos, uploaded_by=actor.person_id, work_order_id=order.id)
        emit_change(order, WorkOrderAction.SUBMIT if to_check else WorkOrderAction.DISPATCH)
    return order


async def _once(
    actor: Actor,
    operation: str,
    idempotency_key: str | None,
    request: dict[str, Any],
    submit: Callable[[], Awaitable[WorkOrder]],
) -> WorkOrder:
    """Run `submit` once per idempotency key (services.kit.idempotency), as the points and
    market mutations do: a retry with the same key and input returns the first order and
    creates nothing, the same key with another input is IdempotencyConflict. Without a key
    (older clients) every call creates an order."""
    if idempotency_key is None:
        return await submit()
    call = Call(actor, operation, idempotency_key, request)

    async def replay(result_id: int) -> WorkOrder:
        return await WorkOrder.get(id=result_id)

    if (previous := await call.previous(replay)) is not None:
        return previous

    async def effect(_: int) -> tuple[int, WorkOrder]:
        order = await submit()
        return order.id, order

    # The order's event goes out once the key's transaction (around the order's) committed.
    async with events.collecting():
        return await call.run(effect, replay)


async def _with_photos(
    cleaned: Sequence[ProcessedPhoto],
    submit: Callable[[Sequence[SavedPhoto]], Awaitable[WorkOrder]],
) -> WorkOrder:
    """Write the photos once, outside every transaction (an idempotent call's retried attempts
    record the same files), then `submit(written)`; the files are deleted if it fails (a lost
    commit too) or if no row names them afterwards (a replay returned the first order)."""
    if not cleaned:
        return await submit(())
    async with attachments.saved(cleaned) as written:
        order = await submit(written)
    if not await attachments.recorded(written):
        await attachments.discard(written)
    return order


async def place_order(
    *,
    actor: Actor | None,
    category: str,
    description: str,
    idempotency_key: str | None = None,
    on_behalf_of_household_id: int | None = None,
    photos: Sequence[PhotoUpload] = (),
    position: GeoPoint | None = None,
) -> WorkOrder:
    """A resident asks for help for their household (点单); the order is dispatched to the
    household's micro-grid at once (to its grid leader when the micro-grid has no leader).
    With `on_behalf_of_household_id`, a central household or micro-grid leader places it for
    another household (代办: services.workorders.errands). With an idempotency key, a retry
    returns the first order. `photos` are uploads (services.photos), at most 9. With a
    position (GPS, where help is needed), it goes to the micro-grid there instead, which must
    lie in the household's community (services.workorders.routing)."""
    actor = require_actor(actor)
    description = clean_text(description, field="description", max_length=MAX_DESCRIPTION)
    point = None if position is None else position.wgs84(field="position")
    attachments.check_count(len(photos))
    # Who may place it, and where it goes, before any photo is decoded or written.
    own_household = actor.household_id
    if on_behalf_of_household_id is None and own_household is None:
        raise Forbidden("Orders are placed for your household: you are registered in none.")
    errand = None
    handling: Area | None = None
    if on_behalf_of_household_id is not None:
        errand = await errand_for(actor, on_behalf_of_household_id)
        household, area = errand.household, errand.area
    else:
        assert own_household is not None  # checked above
        household, area = await route_household(own_household)
    if point is not None:
        located = await route_position(point, field="position")
        community = await Area.get(id=household.community_id)
        if not located.path.startswith(community.path):
            raise InvalidInput(
                "The position lies outside the household's community.", field="position"
            )
        if errand is not None and located.id != errand.area.id:
            # Help needed elsewhere in the community is handled there, by its own leader
            # (not the errand's placer, whose micro-grid this is not).
            errand = replace(errand, area=located, handling=located)
        area = located
        if any(g.role is Role.MICRO_GRID_LEADER and g.area_id == located.id for g in actor.grants):
            # Its handler would be the placer, who never handles their own order: as a
            # leader's errands (services.workorders.errands), it goes to the grid.
            handling = await Area.get(id=path_ids(located.path)[-2])
    found = await category_for(category, WorkOrderKind.RESIDENT_REQUEST, area.path)
    cleaned = await attachments.prepare(photos)
    request: dict[str, Any] = {
        "category": category,
        "description": description,
        "onBehalfOfHouseholdId": on_behalf_of_household_id,
    }
    if cleaned:
        request["uploads"] = photo_digests(cleaned)
    if point is not None:
        # Only when given: keys of orders placed before positions existed stay the same.
        request["position"] = list(point)

    async def submit(written: Sequence[SavedPhoto]) -> WorkOrder:
        async def create() -> WorkOrder:
            return await _submit(
                actor=actor,
                kind=WorkOrderKind.RESIDENT_REQUEST,
                category=found,
                description=description,
                household_id=household.id,
                area=area,
                location=None,
                photo_urls=[],
                errand=errand,
                photos=written,
                position=point,
                handling=handling,
            )

        return await _once(actor, "placeOrder", idempotency_key, request, create)

    return await _with_photos(cleaned, submit)


def may_report(actor: Actor, path: str) -> bool:
    """Grid workers report in the community of their role; admins in their areas."""
    if any(path.startswith(root) for root in actor.paths_for(ADMIN_ROLES)):
        return True
    communities = {prefix(p, AreaLevel.COMMUNITY) for p in actor.paths_for(REPORTER_ROLES)}
    return any(c is not None and path.startswith(c) for c in communities)


async def _lives_in_community_of(actor: Actor, path: str) -> bool:
    """Whether the actor's household lies in the community of the area at `path`."""
    if actor.household_id is None:
        return False
    household = await Household.get_or_none(id=actor.household_id)
    if household is None:
        return False
    home = await Area.get(id=household.community_id)
    return path.startswith(home.path)


async def report_problem(
    *,
    actor: Actor | None,
    category: str,
    area_id: int | None,
    location: str,
    description: str,
    photo_urls: list[str],
    idempotency_key: str | None = None,
    photos: Sequence[PhotoUpload] = (),
    position: GeoPoint | None = None,
) -> WorkOrder:
    """Report a problem seen at a place (事件上报). A grid worker's or part-time grid member's
    report (in the community of their role; an admin's in their areas) is dispatched to the
    micro-grid there (or the grid, where no micro-grid is given) at once; a resident's (in the
    community they live in) waits for a grid leader to check it on the spot (核实) first.
    With a position (GPS), it goes to the micro-grid there (services.workorders.routing).
    With an idempotency key, a retry returns the first report. `photos` are uploads
    (services.photos); with the links of `photo_urls`, at most 9."""
    actor = require_actor(actor)
    description = clean_text(description, field="description", max_length=MAX_DESCRIPTION)
    location = clean_text(location, field="location", max_length=MAX_LOCATION)
    links = check_photo_urls(photo_urls)
    point = None if position is None else position.wgs84(field="position")
    attachments.check_count(len(photos), already=len(links))
    # Who may report here, and where it goes, before any photo is decoded or written.
    area = await route_report(area_id, point)
    worker = may_report(actor, area.path)
    if not worker and not await _lives_in_community_of(actor, area.path):
        if not actor.paths_for(REPORTER_ROLES | ADMIN_ROLES) and actor.household_id is None:
            raise Forbidden("Grid workers, part-time grid members and residents report problems.")
        raise Forbidden("Report problems in your own community.", field="areaId")
    found = await category_for(category, WorkOrderKind.PROBLEM_REPORT, area.path)
    cleaned = await attachments.prepare(photos, already=len(links))
    request: dict[str, Any] = {
        "category": category,
        "area": area_id,
        "location": location,
        "description": description,
        "photos": links,
    }
    if cleaned:
        request["uploads"] = photo_digests(cleaned)
    if point is not None:
        # Only when given: keys of reports made before positions existed stay the same.
        request["position"] = list(point)

    async def submit(written: Sequence[SavedPhoto]) -> WorkOrder:
        async def create() -> WorkOrder:
            return await _submit(
                actor=actor,
                kind=WorkOrderKind.PROBLEM_REPORT,
                category=found,
                description=description,
                household_id=None,
                area=area,
                location=location,
                photo_urls=links,
                to_check=not worker,
                photos=written,
                position=point,
            )

        return await _once(actor, "reportProblem", idempotency_key, request, create)

    return await _with_photos(cleaned, submit)


async def orders_by_ids(
    *, actor: Actor | None, work_order_ids: list[int]
) -> list[WorkOrder | None]:
    """The orders the actor may see, in order (None where hidden or missing); one query."""
    if actor is None:
        return [None for _ in work_order_ids]
    found = {o.id: o for o in await WorkOrder.filter(id__in=work_order_ids)}
    home = await errands_for_home(actor, list(found.values()))
    return [
        o if o is not None and sees(actor, o, for_home=o.id in home) else None
        for o in map(found.get, work_order_ids)
    ]


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


_FINISHED = (
    WorkOrderStatus.CONFIRMED,
    WorkOrderStatus.CLOSED,
    WorkOrderStatus.REJECTED,
    WorkOrderStatus.CANCELLED,
)


async def open_and_overdue(now: datetime) -> tuple[int, int]:
    """How many orders are open (not confirmed, closed, rejected or cancelled), and how many
    of them are overdue as `overdueOnly` counts them (for operators' metrics; no
    authorization)."""
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
    window: Window,
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
    return await paginate(query, window, newest_first=True)


async def my_orders(*, actor: Actor | None, window: Window) -> Page[WorkOrder]:
    """The viewer's own work orders, newest first: those they placed or reported, the errands
    (代办) someone placed for their household (whose members act on them), and those they
    accepted or were assigned (as a handler)."""
    actor = require_actor(actor)
    me = actor.person_id
    mine = Q(reporter_id=me) | Q(assignee_id=me) | Q(accepted_by_id=me)
    if actor.household_id is not None:
        # as errands_for_home: placed for the household the viewer lives in now
        errands = WorkOrderErrand.filter(household_id=actor.household_id)
        mine |= Q(id__in=Subquery(errands.values("work_order_id")), household_id=actor.household_id)
    return await paginate(WorkOrder.filter(mine), window, newest_first=True)
