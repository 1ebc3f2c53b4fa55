"""GraphQL types of work orders: categories, orders, their timeline and the figures."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.geo.types import GeoPoint, point_field
from schema.grids import Area
from schema.households import Household
from schema.people import Person
from schema.photos import Photo, from_models
from services import workorders
from services.enums import Role, WorkOrderAction, WorkOrderKind, WorkOrderStatus
from services.workorders.orders import TIMELINE_LIMIT

if TYPE_CHECKING:
    from services.models import workorders as models


async def _person(info: Info, person_id: int | None) -> Person | None:
    """A person as the viewer may see them (null outside the viewer's scope)."""
    if person_id is None:
        return None
    view = await info.context.loaders.person.load(person_id)
    return Person.from_view(view) if view else None


async def _area(info: Info, area_id: int | None) -> Area | None:
    return None if area_id is None else await Area.load(info, area_id)


@strawberry.type(
    description="A category of work orders in a district, with its service level (SLA): "
    "minutes to accept and hours to resolve."
)
class WorkOrderCategory(relay.Node):
    id: relay.NodeID[int]
    kind: WorkOrderKind = strawberry.field(description="Requests or reports.")
    code: str = strawberry.field(description="Stable code, unique in the district.")
    name: str = strawberry.field(description="Name, e.g. 水电维修.")
    accept_within_minutes: int = strawberry.field(description="Minutes to accept (SLA).")
    resolve_within_hours: int = strawberry.field(
        description="Hours from placement to resolution (SLA)."
    )
    active: bool = strawberry.field(description="Takes new orders (false: retired).")

    @classmethod
    def from_model(cls, c: models.WorkOrderCategory) -> WorkOrderCategory:
        return cls(
            id=c.id,
            kind=c.kind,
            code=c.code,
            name=c.name,
            accept_within_minutes=c.accept_within_minutes,
            resolve_within_hours=c.resolve_within_hours,
            active=c.active,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[WorkOrderCategory | None]:
        found = await info.context.loaders.work_order_category.load_many([int(i) for i in node_ids])
        return [cls.from_model(c) if c else None for c in found]


@strawberry.type(description="One step of a work order: what happened, when, by whom.")
class WorkOrderEvent:
    action: WorkOrderAction = strawberry.field(description="What happened.")
    from_status: WorkOrderStatus | None = strawberry.field(
        description="The status before (null for the submission)."
    )
    to_status: WorkOrderStatus = strawberry.field(description="The status after.")
    note: str | None = strawberry.field(
        description="The reason (transfer, suspension, rejection), the resolution note, the "
        "assignee or the rating."
    )
    at: datetime = strawberry.field(description="When.")
    id: strawberry.Private[int]
    actor_id: strawberry.Private[int | None]
    target_area_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, e: models.WorkOrderEvent) -> WorkOrderEvent:
        return cls(
            action=e.action,
            from_status=e.from_status,
            to_status=e.to_status,
            note=e.note,
            at=e.at,
            id=e.id,
            actor_id=e.actor_id,
            target_area_id=e.target_area_id,
        )

    @strawberry.field(description="Who did it (null: the system, or not visible to you).")
    async def actor(self, info: Info) -> Person | None:
        return await _person(info, self.actor_id)

    @strawberry.field(
        description="Where it went: the area dispatched, transferred or escalated to."
    )
    async def target_area(self, info: Info) -> Area | None:
        return await _area(info, self.target_area_id)

    @strawberry.field(
        description="Photos taken at this step (the result of a resolution), upload order."
    )
    async def photos(self, info: Info) -> list[Photo]:
        return from_models(await info.context.loaders.photos_of_step.load(self.id))


@strawberry.type(
    description="A work order (工单): a resident's request (点单) or a problem report (事件上报), "
    "dispatched to a micro-grid (派单), accepted and handled (接单), confirmed or verified, with "
    "its timeline. Seen by the resident or reporter, its handlers and the admins and leaders "
    "of the area handling it."
)
class WorkOrder(relay.Node):
    id: relay.NodeID[int]
    kind: WorkOrderKind = strawberry.field(description="Request or report.")
    status: WorkOrderStatus = strawberry.field(description="Where it stands.")
    description: str = strawberry.field(description="What is needed or what was seen.")
    location: str | None = strawberry.field(description="Where exactly (reports).")
    longitude: strawberry.Private[float | None] = None
    latitude: strawberry.Private[float | None] = None
    position: GeoPoint | None = point_field("it was reported (the reporter's position)")
    photo_urls: list[str] = strawberry.field(description="Photos of the problem (reports).")
    escalation_level: int = strawberry.field(
        description="0: none; 1: escalated to the grid leader (an order of a micro-grid); 2: to "
        "the community (an order of a grid goes there at once; one the community handles "
        "stays there, marked late: nothing is higher)."
    )
    sla_breached: bool = strawberry.field(
        description="Accepted or resolved late, or escalated (counts against the SLA)."
    )
    accept_due: datetime = strawberry.field(
        description="Accept by then (SLA; counted from the first dispatch, a transfer does not "
        "move it; moved by the time spent suspended)."
    )
    resolve_due: datetime = strawberry.field(
        description="Resolve by then (SLA; a transfer does not move it; moved by the time spent "
        "suspended)."
    )
    overdue: bool = strawberry.field(
        description="Past a due time while its clock runs (not accepted, or not resolved)."
    )
    rating: int | None = strawberry.field(description="The resident's rating, 1-5.")
    comment: str | None = strawberry.field(description="The resident's comment.")
    rated_at: datetime | None = strawberry.field(description="When it was rated.")
    submitted_at: datetime = strawberry.field(description="When it was placed.")
    dispatched_at: datetime | None = strawberry.field(description="When it was (last) dispatched.")
    accepted_at: datetime | None = strawberry.field(description="When it was accepted.")
    started_at: datetime | None = strawberry.field(description="When work started.")
    resolved_at: datetime | None = strawberry.field(description="When it was resolved.")
    confirmed_at: datetime | None = strawberry.field(
        description="When it was confirmed or verified."
    )
    closed_at: datetime | None = strawberry.field(
        description="When it closed, or was rejected or cancelled."
    )
    suspended_at: datetime | None = strawberry.field(description="On hold since (null: not).")
    suspended_minutes: int = strawberry.field(description="Minutes spent on hold so far.")
    category_id: strawberry.Private[int]
    household_id: strawberry.Private[int | None]
    reporter_id: strawberry.Private[int]
    area_id: strawberry.Private[int]
    handling_area_id: strawberry.Private[int]
    assignee_id: strawberry.Private[int | None]
    accepted_by_id: strawberry.Private[int | None]
    resolved_by_id: strawberry.Private[int | None]
    confirmed_by_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, o: models.WorkOrder) -> WorkOrder:
        return cls(
            id=o.id,
            kind=o.kind,
            status=o.status,
            description=o.description,
            location=o.location,
            longitude=o.longitude,
            latitude=o.latitude,
            photo_urls=list(o.photo_urls or []),
            escalation_level=o.escalation_level,
            sla_breached=o.sla_breached,
            accept_due=o.accept_due,
            resolve_due=o.resolve_due,
            overdue=workorders.is_overdue(o),
            rating=o.rating,
            comment=o.comment,
            rated_at=o.rated_at,
            submitted_at=o.submitted_at,
            dispatched_at=o.dispatched_at,
            accepted_at=o.accepted_at,
            started_at=o.started_at,
            resolved_at=o.resolved_at,
            confirmed_at=o.confirmed_at,
            closed_at=o.closed_at,
            suspended_at=o.suspended_at,
            suspended_minutes=o.suspended_seconds // 60,
            category_id=o.category_id,
            household_id=o.household_id,
            reporter_id=o.reporter_id,
            area_id=o.area_id,
            handling_area_id=o.handling_area_id,
            assignee_id=o.assignee_id,
            accepted_by_id=o.accepted_by_id,
            resolved_by_id=o.resolved_by_id,
            confirmed_by_id=o.confirmed_by_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[WorkOrder | None]:
        found = await info.context.loaders.work_order.load_many([int(i) for i in node_ids])
        return [cls.from_model(o) if o else None for o in found]

    @strawberry.field(description="Its category and service level.")
    async def category(self, info: Info) -> WorkOrderCategory | None:
        found = await info.context.loaders.work_order_category.load(self.category_id)
        return WorkOrderCategory.from_model(found) if found else None

    @strawberry.field(description="The household a request is for (null for reports).")
    async def household(self, info: Info) -> Household | None:
        if self.household_id is None:
            return None
        found = await info.context.loaders.household.load(self.household_id)
        return Household.from_model(found) if found else None

    @strawberry.field(description="Who placed the request or reported the problem.")
    async def reporter(self, info: Info) -> Person | None:
        return await _person(info, self.reporter_id)

    @strawberry.field(
        description="Who placed the request: a member of the household, or the central "
        "household (中心户) or micro-grid leader who placed it on its behalf (代办; they confirm "
        "and rate it for the household). Null for reports, or not visible to you."
    )
    async def placed_by(self, info: Info) -> Person | None:
        if self.kind is not WorkOrderKind.RESIDENT_REQUEST:
            return None
        return await _person(info, self.reporter_id)

    @strawberry.field(
        description="The household it was placed for on its behalf (代办); null when the "
        "household placed it itself, for reports, or when you may not see the household."
    )
    async def on_behalf_of(self, info: Info) -> Household | None:
        errand = await info.context.loaders.work_order_errand.load(self.id)
        if errand is None:
            return None
        found = await info.context.loaders.household.load(errand.household_id)
        return Household.from_model(found) if found else None

    @strawberry.field(
        description="The role it was placed on the household's behalf in (CENTRAL_HOUSEHOLD "
        "or MICRO_GRID_LEADER); null unless placed on its behalf (代办)."
    )
    async def placed_on_behalf_as(self, info: Info) -> Role | None:
        errand = await info.context.loaders.work_order_errand.load(self.id)
        return None if errand is None else errand.placed_as

    @strawberry.field(
        description="Where it was placed or reported (the household's micro-grid, or the "
        "micro-grid or grid of the report)."
    )
    async def area(self, info: Info) -> Area | None:
        return await _area(info, self.area_id)

    @strawberry.field(
        description="The area handling it: the micro-grid it was dispatched to, or a grid or "
        "community after a transfer."
    )
    async def micro_grid(self, info: Info) -> Area | None:
        return await _area(info, self.handling_area_id)

    @strawberry.field(description="The central household or volunteer assigned (null: none).")
    async def assignee(self, info: Info) -> Person | None:
        return await _person(info, self.assignee_id)

    @strawberry.field(description="Who accepted it.")
    async def accepted_by(self, info: Info) -> Person | None:
        return await _person(info, self.accepted_by_id)

    @strawberry.field(
        description="Who marked it done (null: not yet). Unless someone is assigned, they earn "
        "the ORDER_RESOLVED points on confirmation."
    )
    async def resolved_by(self, info: Info) -> Person | None:
        return await _person(info, self.resolved_by_id)

    @strawberry.field(
        description="Who confirmed (the resident) or verified it (null: confirmed automatically)."
    )
    async def confirmed_by(self, info: Info) -> Person | None:
        return await _person(info, self.confirmed_by_id)

    @strawberry.field(description=f"Every step, oldest first (the latest {TIMELINE_LIMIT}).")
    async def timeline(self, info: Info) -> list[WorkOrderEvent]:
        steps = await info.context.loaders.work_order_timeline.load(self.id)
        return [WorkOrderEvent.from_model(e) for e in steps]

    @strawberry.field(
        description="Photos uploaded with the request or report (随手拍), in upload order; "
        "those of its steps (a resolution's result) are on `timeline`. `photoUrls` keeps the "
        "links given instead."
    )
    async def photos(self, info: Info) -> list[Photo]:
        return from_models(await info.context.loaders.photos_of_order.load(self.id))


@strawberry.type(
    description="Work-order figures of the orders placed in a period and handled under an area."
)
class WorkOrderStats:
    start: datetime = strawberry.field(description="Start of the period.")
    end: datetime = strawberry.field(description="End of the period (excluded).")
    orders: int = strawberry.field(description="Orders placed.")
    open: int = strawberry.field(description="Of which still open.")
    closed: int = strawberry.field(description="Of which closed.")
    rejected: int = strawberry.field(description="Of which rejected.")
    cancelled: int = strawberry.field(
        description="Of which cancelled by the resident or withdrawn by the reporter."
    )
    median_minutes_to_accept: float | None = strawberry.field(
        description="Median minutes from placement to acceptance (null: none accepted)."
    )
    median_minutes_to_resolve: float | None = strawberry.field(
        description="Median minutes from placement to resolution, without time on hold."
    )
    breached: int = strawberry.field(description="Orders accepted or resolved late.")
    breach_rate: float | None = strawberry.field(
        description="Share of orders late (0-1; null: no orders)."
    )
    rated: int = strawberry.field(description="Orders rated by the resident.")
    mean_rating: float | None = strawberry.field(
        description="Satisfaction: mean rating 1-5 (null: none rated)."
    )

    @classmethod
    def from_stats(cls, s: workorders.WorkOrderStats) -> WorkOrderStats:
        return cls(
            start=s.start,
            end=s.end,
            orders=s.orders,
            open=s.open,
            closed=s.closed,
            rejected=s.rejected,
            cancelled=s.cancelled,
            median_minutes_to_accept=s.median_minutes_to_accept,
            median_minutes_to_resolve=s.median_minutes_to_resolve,
            breached=s.breached,
            breach_rate=s.breach_rate,
            rated=s.rated,
            mean_rating=s.mean_rating,
        )
