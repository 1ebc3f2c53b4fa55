"""Queries and mutations of work orders: categories, placing and reporting, every step of the
lifecycle, lists and figures."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.core.errors import (
    MUTATION_INPUT,
    Conflict,
    Forbidden,
    IdempotencyConflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    Unauthenticated,
)
from schema.core.ids import id_argument, id_field, node_key, require_key
from schema.core.pagination import After, Connection, First, page_args
from schema.workorders.types import (
    WorkOrder,
    WorkOrderCategory,
    WorkOrderKind,
    WorkOrderStats,
    WorkOrderStatus,
)
from services import workorders
from services.workorders.categories import CATEGORIES_LIMIT

WORK_ORDER = "WorkOrder"


def _order_key(global_id: relay.GlobalID) -> int:
    return require_key(global_id, WORK_ORDER, "workOrderId")


# --- categories ----------------------------------------------------------------------------


@strawberry.input(description="A new work-order category of your district (district admins).")
class CreateWorkOrderCategoryInput:
    kind: WorkOrderKind = strawberry.field(description="Requests or reports.")  # type: ignore[valid-type]
    code: str = strawberry.field(description="2-32 of A-Z, 0-9, _ (unique in the district).")
    name: str = strawberry.field(description="Name, 1-50 characters, e.g. 水电维修.")
    accept_within_minutes: int = strawberry.field(description="Minutes to accept, 1-10080.")
    resolve_within_hours: int = strawberry.field(description="Hours to resolve, 1-2160.")


@strawberry.type(description="The category exists.")
class CreateWorkOrderCategorySuccess:
    category: WorkOrderCategory = strawberry.field(description="The new category.")


CreateWorkOrderCategoryResult = Annotated[
    CreateWorkOrderCategorySuccess | InvalidInput | Forbidden | Unauthenticated | Conflict,
    strawberry.union("CreateWorkOrderCategoryResult", description="The category or why not."),
]


@strawberry.input(
    description="Change a category (its district's admins): only the fields given change; a "
    "new service level applies to orders placed from then on."
)
class UpdateWorkOrderCategoryInput:
    category_id: relay.GlobalID = id_field("WorkOrderCategory", description="The category.")
    name: str | None = strawberry.field(default=None, description="New name.")
    accept_within_minutes: int | None = strawberry.field(
        default=None, description="New minutes to accept."
    )
    resolve_within_hours: int | None = strawberry.field(
        default=None, description="New hours to resolve."
    )
    active: bool | None = strawberry.field(
        default=None, description="false retires it (no new orders), true brings it back."
    )


@strawberry.type(description="The category now.")
class UpdateWorkOrderCategorySuccess:
    category: WorkOrderCategory = strawberry.field(description="The category.")


UpdateWorkOrderCategoryResult = Annotated[
    UpdateWorkOrderCategorySuccess | InvalidInput | NotFound | Forbidden | Unauthenticated,
    strawberry.union("UpdateWorkOrderCategoryResult", description="The category or why not."),
]

# --- placing -------------------------------------------------------------------------------


@strawberry.input(description="Ask for help for your household (点单).")
class PlaceOrderInput:
    category: str = strawberry.field(description="A request category's code, e.g. WATER_ELECTRIC.")
    description: str = strawberry.field(description="What is needed (1-1000 characters).")


@strawberry.type(description="Placed and dispatched to your household's micro-grid.")
class PlaceOrderSuccess:
    work_order: WorkOrder = strawberry.field(description="The new order.")


@strawberry.input(description="Report a problem you saw (事件上报; grid workers and riders).")
class ReportProblemInput:
    category: str = strawberry.field(description="A report category's code, e.g. SANITATION.")
    area_id: relay.GlobalID = id_field(
        "Area",
        description="The micro-grid where it is (or the grid, for a place no micro-grid covers).",
    )
    location: str = strawberry.field(description="Where exactly (1-200 characters).")
    description: str = strawberry.field(description="What is wrong (1-1000 characters).")
    photo_urls: list[str] = strawberry.field(
        default_factory=list, description="Up to 9 http(s) links to photos (500 characters each)."
    )


@strawberry.type(description="Reported and dispatched to the micro-grid (or grid) there.")
class ReportProblemSuccess:
    work_order: WorkOrder = strawberry.field(description="The new report.")


# --- lifecycle -----------------------------------------------------------------------------


@strawberry.input(description="A work order, by id.")
class WorkOrderInput:
    work_order_id: relay.GlobalID = id_field("WorkOrder", description="The work order.")


@strawberry.input(description="Accept a dispatched order (接单).")
class AcceptWorkOrderInput(WorkOrderInput):
    pass


@strawberry.input(description="Assign an accepted order to a central household or volunteer.")
class AssignWorkOrderInput(WorkOrderInput):
    person_id: relay.GlobalID = id_field(
        "Person", description="A central household of the area or a volunteer of its community."
    )


@strawberry.input(description="Start work on an accepted order.")
class StartWorkOrderInput(WorkOrderInput):
    pass


@strawberry.input(description="Mark an order done.")
class ResolveWorkOrderInput(WorkOrderInput):
    note: str | None = strawberry.field(
        default=None, description="What was done (up to 500 characters)."
    )


IDEMPOTENCY_KEY = (
    "Client-chosen key (1-100 characters): a retry with the same key and order returns the "
    "order as it is now and pays nothing more; the same key for another order is "
    "IdempotencyConflict."
)


@strawberry.input(description="Confirm your resolved request (it closes).")
class ConfirmWorkOrderInput(WorkOrderInput):
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)


@strawberry.input(description="Verify a resolved report (核实; the grid leader or an admin).")
class VerifyReportInput(WorkOrderInput):
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)


@strawberry.input(
    description="Transfer an order (流转) to another micro-grid or grid of the community, or up "
    "a level: give `areaId` or `up: true`, and a reason. It waits there to be accepted again, "
    "but its due times stay those of the first dispatch: a transfer gives no more time."
)
class TransferWorkOrderInput(WorkOrderInput):
    area_id: relay.GlobalID | None = id_field(
        "Area", default=None, description="The micro-grid or grid to hand it to."
    )
    up: bool = strawberry.field(
        default=False, description="Hand it up a level (micro-grid → grid → community)."
    )
    reason: str = strawberry.field(description="Why (1-500 characters).")


@strawberry.input(description="Put an order on hold (挂起); its clocks stop.")
class SuspendWorkOrderInput(WorkOrderInput):
    reason: str = strawberry.field(description="Why (1-500 characters).")


@strawberry.input(description="Take an order off hold.")
class ResumeWorkOrderInput(WorkOrderInput):
    pass


@strawberry.input(description="Refuse an order with a reason the requester reads.")
class RejectWorkOrderInput(WorkOrderInput):
    reason: str = strawberry.field(description="Why (1-500 characters).")


@strawberry.input(description="Rate your resolved request, once.")
class RateWorkOrderInput(WorkOrderInput):
    rating: int = strawberry.field(description="1 (poor) to 5 (excellent).")
    comment: str | None = strawberry.field(
        default=None, description="A comment (up to 500 characters)."
    )


@strawberry.type(description="Accepted.")
class AcceptWorkOrderSuccess:
    work_order: WorkOrder = strawberry.field(description="The work order now.")


@strawberry.type(description="Assigned.")
class AssignWorkOrderSuccess:
    work_order: WorkOrder = strawberry.field(description="The work order now.")


@strawberry.type(description="Started.")
class StartWorkOrderSuccess:
    work_order: WorkOrder = strawberry.field(description="The work order now.")


@strawberry.type(description="Resolved: waiting for confirmation (a report: verification).")
class ResolveWorkOrderSuccess:
    work_order: WorkOrder = strawberry.field(description="The work order now.")


@strawberry.type(description="Confirmed and closed.")
class ConfirmWorkOrderSuccess:
    work_order: WorkOrder = strawberry.field(description="The work order now.")


@strawberry.type(description="Verified and closed.")
class VerifyReportSuccess:
    work_order: WorkOrder = strawberry.field(description="The work order now.")


@strawberry.type(description="Transferred: dispatched to the new area.")
class TransferWorkOrderSuccess:
    work_order: WorkOrder = strawberry.field(description="The work order now.")


@strawberry.type(description="On hold.")
class SuspendWorkOrderSuccess:
    work_order: WorkOrder = strawberry.field(description="The work order now.")


@strawberry.type(description="Resumed.")
class ResumeWorkOrderSuccess:
    work_order: WorkOrder = strawberry.field(description="The work order now.")


@strawberry.type(description="Rejected.")
class RejectWorkOrderSuccess:
    work_order: WorkOrder = strawberry.field(description="The work order now.")


@strawberry.type(description="Rated.")
class RateWorkOrderSuccess:
    work_order: WorkOrder = strawberry.field(description="The work order now.")


_ERRORS = InvalidInput | NotFound | Forbidden | Unauthenticated | Conflict | InvalidTransition
PlaceOrderResult = Annotated[
    PlaceOrderSuccess | InvalidInput | NotFound | Forbidden | Unauthenticated,
    strawberry.union("PlaceOrderResult", description="The order or why not."),
]
ReportProblemResult = Annotated[
    ReportProblemSuccess | InvalidInput | NotFound | Forbidden | Unauthenticated,
    strawberry.union("ReportProblemResult", description="The report or why not."),
]
_STEP = "The work order after the step, or why not (InvalidTransition: not in its status)."
AcceptWorkOrderResult = Annotated[
    AcceptWorkOrderSuccess | _ERRORS,
    strawberry.union("AcceptWorkOrderResult", description=_STEP),
]
AssignWorkOrderResult = Annotated[
    AssignWorkOrderSuccess | _ERRORS,
    strawberry.union("AssignWorkOrderResult", description=_STEP),
]
StartWorkOrderResult = Annotated[
    StartWorkOrderSuccess | _ERRORS,
    strawberry.union("StartWorkOrderResult", description=_STEP),
]
ResolveWorkOrderResult = Annotated[
    ResolveWorkOrderSuccess | _ERRORS,
    strawberry.union("ResolveWorkOrderResult", description=_STEP),
]
ConfirmWorkOrderResult = Annotated[
    ConfirmWorkOrderSuccess | _ERRORS | IdempotencyConflict,
    strawberry.union("ConfirmWorkOrderResult", description=_STEP),
]
VerifyReportResult = Annotated[
    VerifyReportSuccess | _ERRORS | IdempotencyConflict,
    strawberry.union("VerifyReportResult", description=_STEP),
]
TransferWorkOrderResult = Annotated[
    TransferWorkOrderSuccess | _ERRORS,
    strawberry.union("TransferWorkOrderResult", description=_STEP),
]
SuspendWorkOrderResult = Annotated[
    SuspendWorkOrderSuccess | _ERRORS,
    strawberry.union("SuspendWorkOrderResult", description=_STEP),
]
ResumeWorkOrderResult = Annotated[
    ResumeWorkOrderSuccess | _ERRORS,
    strawberry.union("ResumeWorkOrderResult", description=_STEP),
]
RejectWorkOrderResult = Annotated[
    RejectWorkOrderSuccess | _ERRORS,
    strawberry.union("RejectWorkOrderResult", description=_STEP),
]
RateWorkOrderResult = Annotated[
    RateWorkOrderSuccess | _ERRORS,
    strawberry.union("RateWorkOrderResult", description=_STEP),
]


@strawberry.type
class WorkOrdersQuery:
    @strawberry.field(
        description="Work-order categories with their service levels (public), by kind and "
        "code: of the district of `areaId`, else of the viewer's district, else all (at most "
        f"{CATEGORIES_LIMIT})."
    )
    async def work_order_categories(
        self,
        info: Info,
        kind: Annotated[
            WorkOrderKind | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only requests or only reports."),
        ] = None,
        area_id: Annotated[
            relay.GlobalID | None,
            id_argument("Area", description="An area whose district's categories to list."),
        ] = None,
        include_inactive: Annotated[
            bool, strawberry.argument(description="Also retired categories.")
        ] = False,
    ) -> list[WorkOrderCategory]:
        found = await workorders.categories_for(
            actor=info.context.actor,
            kind=kind,
            area_id=node_key(area_id, "Area", "areaId"),
            include_inactive=include_inactive,
        )
        return [WorkOrderCategory.from_model(c) for c in found]

    @strawberry.field(
        description="Work orders handled under an area (its admins and leaders), newest first; "
        "without `under`, those handled in all your areas. `assignedToMe`: the orders assigned "
        "to you (central households, volunteers), wherever they are."
    )
    async def work_orders(
        self,
        info: Info,
        under: Annotated[
            relay.GlobalID | None, id_argument("Area", description="Area (default: yours).")
        ] = None,
        kind: Annotated[
            WorkOrderKind | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only this kind."),
        ] = None,
        status: Annotated[
            WorkOrderStatus | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only this status."),
        ] = None,
        category: Annotated[
            relay.GlobalID | None,
            id_argument("WorkOrderCategory", description="Only this category."),
        ] = None,
        overdue_only: Annotated[
            bool, strawberry.argument(description="Only orders past a due time now.")
        ] = False,
        assigned_to_me: Annotated[
            bool, strawberry.argument(description="Only orders assigned to you.")
        ] = False,
        first: First = None,
        after: After = None,
    ) -> Connection[WorkOrder]:
        size, key = page_args(info, first, after)
        page = await workorders.list_orders(
            actor=info.context.actor,
            under_id=node_key(under, "Area", "under"),
            kind=kind,
            status=status,
            category_id=node_key(category, "WorkOrderCategory", "category"),
            overdue_only=overdue_only,
            assigned_to_me=assigned_to_me,
            first=size,
            after=key,
        )
        return Connection.build(page, WorkOrder.from_model)

    @strawberry.field(
        description="Work-order figures under an area for a period (its admins and leaders): "
        "orders, median minutes to accept and to resolve, SLA breach rate, satisfaction."
    )
    async def work_order_stats(
        self,
        info: Info,
        under: Annotated[relay.GlobalID, id_argument("Area", description="Area.")],
        period: Annotated[
            str,
            strawberry.argument(
                description="A quarter (2026Q4), a month (2026-11) or days "
                "(2026-10-01..2026-12-31, at most 1098), in the service's time zone, in the "
                "years 2000 to 2100 (INVALID_INPUT otherwise)."
            ),
        ],
    ) -> WorkOrderStats:
        stats = await workorders.work_order_stats(
            actor=info.context.actor, under_id=require_key(under, "Area", "under"), period=period
        )
        return WorkOrderStats.from_stats(stats)


@strawberry.type
class WorkOrdersMutation:
    @strawberry.mutation(description="Add a work-order category to your district.")
    async def create_work_order_category(
        self, info: Info, input: Annotated[CreateWorkOrderCategoryInput, MUTATION_INPUT]
    ) -> CreateWorkOrderCategoryResult:
        category = await workorders.create_category(
            actor=info.context.actor,
            kind=input.kind,
            code=input.code,
            name=input.name,
            accept_within_minutes=input.accept_within_minutes,
            resolve_within_hours=input.resolve_within_hours,
        )
        return CreateWorkOrderCategorySuccess(category=WorkOrderCategory.from_model(category))

    @strawberry.mutation(description="Change or retire a work-order category.")
    async def update_work_order_category(
        self, info: Info, input: Annotated[UpdateWorkOrderCategoryInput, MUTATION_INPUT]
    ) -> UpdateWorkOrderCategoryResult:
        category = await workorders.update_category(
            actor=info.context.actor,
            category_id=require_key(input.category_id, "WorkOrderCategory", "categoryId"),
            name=input.name,
            accept_within_minutes=input.accept_within_minutes,
            resolve_within_hours=input.resolve_within_hours,
            active=input.active,
        )
        return UpdateWorkOrderCategorySuccess(category=WorkOrderCategory.from_model(category))

    @strawberry.mutation(
        description="Ask for help for your household (点单); it is dispatched to your "
        "household's micro-grid at once."
    )
    async def place_order(
        self, info: Info, input: Annotated[PlaceOrderInput, MUTATION_INPUT]
    ) -> PlaceOrderResult:
        order = await workorders.place_order(
            actor=info.context.actor, category=input.category, description=input.description
        )
        return PlaceOrderSuccess(work_order=WorkOrder.from_model(order))

    @strawberry.mutation(
        description="Report a problem (事件上报) in your community; it is dispatched to the "
        "micro-grid there, or the grid."
    )
    async def report_problem(
        self, info: Info, input: Annotated[ReportProblemInput, MUTATION_INPUT]
    ) -> ReportProblemResult:
        order = await workorders.report_problem(
            actor=info.context.actor,
            category=input.category,
            area_id=require_key(input.area_id, "Area", "areaId"),
            location=input.location,
            description=input.description,
            photo_urls=input.photo_urls,
        )
        return ReportProblemSuccess(work_order=WorkOrder.from_model(order))

    @strawberry.mutation(
        description="Accept a dispatched order (接单): the micro-grid's leader; the grid leader "
        "or community admins once it is escalated or handled at their level."
    )
    async def accept_work_order(
        self, info: Info, input: Annotated[AcceptWorkOrderInput, MUTATION_INPUT]
    ) -> AcceptWorkOrderResult:
        order = await workorders.accept(
            actor=info.context.actor, work_order_id=_order_key(input.work_order_id)
        )
        return AcceptWorkOrderSuccess(work_order=WorkOrder.from_model(order))

    @strawberry.mutation(description="Assign an accepted order to a helper (the handler).")
    async def assign_work_order(
        self, info: Info, input: Annotated[AssignWorkOrderInput, MUTATION_INPUT]
    ) -> AssignWorkOrderResult:
        order = await workorders.assign(
            actor=info.context.actor,
            work_order_id=_order_key(input.work_order_id),
            person_id=require_key(input.person_id, "Person", "personId"),
        )
        return AssignWorkOrderSuccess(work_order=WorkOrder.from_model(order))

    @strawberry.mutation(description="Start work (the handler or the assignee).")
    async def start_work_order(
        self, info: Info, input: Annotated[StartWorkOrderInput, MUTATION_INPUT]
    ) -> StartWorkOrderResult:
        order = await workorders.start(
            actor=info.context.actor, work_order_id=_order_key(input.work_order_id)
        )
        return StartWorkOrderSuccess(work_order=WorkOrder.from_model(order))

    @strawberry.mutation(description="Mark the work done (the handler or the assignee).")
    async def resolve_work_order(
        self, info: Info, input: Annotated[ResolveWorkOrderInput, MUTATION_INPUT]
    ) -> ResolveWorkOrderResult:
        order = await workorders.resolve(
            actor=info.context.actor,
            work_order_id=_order_key(input.work_order_id),
            note=input.note,
        )
        return ResolveWorkOrderSuccess(work_order=WorkOrder.from_model(order))

    @strawberry.mutation(
        description="Confirm your resolved request: it closes, and the handler earns "
        "ORDER_RESOLVED points (once). A retry with the same idempotency key returns the order."
    )
    async def confirm_work_order(
        self, info: Info, input: Annotated[ConfirmWorkOrderInput, MUTATION_INPUT]
    ) -> ConfirmWorkOrderResult:
        order = await workorders.confirm(
            actor=info.context.actor,
            work_order_id=_order_key(input.work_order_id),
            idempotency_key=input.idempotency_key,
        )
        return ConfirmWorkOrderSuccess(work_order=WorkOrder.from_model(order))

    @strawberry.mutation(
        description="Verify a resolved report (核实): it closes; the handler earns "
        "ORDER_RESOLVED and the reporter PROBLEM_REPORTED points (once each). A retry with the "
        "same idempotency key returns the order."
    )
    async def verify_report(
        self, info: Info, input: Annotated[VerifyReportInput, MUTATION_INPUT]
    ) -> VerifyReportResult:
        order = await workorders.verify(
            actor=info.context.actor,
            work_order_id=_order_key(input.work_order_id),
            idempotency_key=input.idempotency_key,
        )
        return VerifyReportSuccess(work_order=WorkOrder.from_model(order))

    @strawberry.mutation(
        description="Transfer an order (流转), with a reason; its due times do not move."
    )
    async def transfer_work_order(
        self, info: Info, input: Annotated[TransferWorkOrderInput, MUTATION_INPUT]
    ) -> TransferWorkOrderResult:
        order = await workorders.transfer(
            actor=info.context.actor,
            work_order_id=_order_key(input.work_order_id),
            area_id=node_key(input.area_id, "Area", "areaId"),
            up=input.up,
            reason=input.reason,
        )
        return TransferWorkOrderSuccess(work_order=WorkOrder.from_model(order))

    @strawberry.mutation(description="Put an order on hold (挂起), with a reason.")
    async def suspend_work_order(
        self, info: Info, input: Annotated[SuspendWorkOrderInput, MUTATION_INPUT]
    ) -> SuspendWorkOrderResult:
        order = await workorders.suspend(
            actor=info.context.actor,
            work_order_id=_order_key(input.work_order_id),
            reason=input.reason,
        )
        return SuspendWorkOrderSuccess(work_order=WorkOrder.from_model(order))

    @strawberry.mutation(description="Take an order off hold; its due times move by the pause.")
    async def resume_work_order(
        self, info: Info, input: Annotated[ResumeWorkOrderInput, MUTATION_INPUT]
    ) -> ResumeWorkOrderResult:
        order = await workorders.resume(
            actor=info.context.actor, work_order_id=_order_key(input.work_order_id)
        )
        return ResumeWorkOrderSuccess(work_order=WorkOrder.from_model(order))

    @strawberry.mutation(description="Reject an order, with a reason.")
    async def reject_work_order(
        self, info: Info, input: Annotated[RejectWorkOrderInput, MUTATION_INPUT]
    ) -> RejectWorkOrderResult:
        order = await workorders.reject(
            actor=info.context.actor,
            work_order_id=_order_key(input.work_order_id),
            reason=input.reason,
        )
        return RejectWorkOrderSuccess(work_order=WorkOrder.from_model(order))

    @strawberry.mutation(description="Rate your resolved request, 1-5 with a comment, once.")
    async def rate_work_order(
        self, info: Info, input: Annotated[RateWorkOrderInput, MUTATION_INPUT]
    ) -> RateWorkOrderResult:
        order = await workorders.rate(
            actor=info.context.actor,
            work_order_id=_order_key(input.work_order_id),
            rating=input.rating,
            comment=input.comment,
        )
        return RateWorkOrderSuccess(work_order=WorkOrder.from_model(order))
