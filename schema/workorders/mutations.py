"""Mutations of work orders: categories, placing and reporting, every step of the lifecycle."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.core.errors import MUTATION_INPUT
from schema.core.ids import area_key, node_key, require_key
from schema.photos import uploads
from schema.workorders.inputs import (
    AcceptWorkOrderInput,
    AssignWorkOrderInput,
    CancelWorkOrderInput,
    CheckReportInput,
    ConfirmWorkOrderInput,
    CreateWorkOrderCategoryInput,
    PlaceOrderInput,
    RateWorkOrderInput,
    RejectWorkOrderInput,
    ReopenWorkOrderInput,
    ReportProblemInput,
    ResolveWorkOrderInput,
    ResumeWorkOrderInput,
    StartWorkOrderInput,
    SuspendWorkOrderInput,
    TransferWorkOrderInput,
    UpdateWorkOrderCategoryInput,
    VerifyReportInput,
)
from schema.workorders.payloads import (
    AcceptWorkOrderResult,
    AcceptWorkOrderSuccess,
    AssignWorkOrderResult,
    AssignWorkOrderSuccess,
    CancelWorkOrderResult,
    CancelWorkOrderSuccess,
    CheckReportResult,
    CheckReportSuccess,
    ConfirmWorkOrderResult,
    ConfirmWorkOrderSuccess,
    CreateWorkOrderCategoryResult,
    CreateWorkOrderCategorySuccess,
    PlaceOrderResult,
    PlaceOrderSuccess,
    RateWorkOrderResult,
    RateWorkOrderSuccess,
    RejectWorkOrderResult,
    RejectWorkOrderSuccess,
    ReopenWorkOrderResult,
    ReopenWorkOrderSuccess,
    ReportProblemResult,
    ReportProblemSuccess,
    ResolveWorkOrderResult,
    ResolveWorkOrderSuccess,
    ResumeWorkOrderResult,
    ResumeWorkOrderSuccess,
    StartWorkOrderResult,
    StartWorkOrderSuccess,
    SuspendWorkOrderResult,
    SuspendWorkOrderSuccess,
    TransferWorkOrderResult,
    TransferWorkOrderSuccess,
    UpdateWorkOrderCategoryResult,
    UpdateWorkOrderCategorySuccess,
    VerifyReportResult,
    VerifyReportSuccess,
)
from schema.workorders.types import WorkOrder, WorkOrderCategory
from services import workorders

WORK_ORDER = "WorkOrder"


def _order_key(global_id: relay.GlobalID) -> int:
    return require_key(global_id, WORK_ORDER, "workOrderId")


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
        description="Ask for help for your household (点单), or as a central household or "
        "micro-grid leader for a household you look after (代办); it is dispatched to the "
        "household's micro-grid at once (its grid leader when the micro-grid has no leader), or "
        "with a position to the micro-grid there. "
        "A retry with the same idempotency key returns the first order."
    )
    async def place_order(
        self, info: Info, input: Annotated[PlaceOrderInput, MUTATION_INPUT]
    ) -> PlaceOrderResult:
        order = await workorders.place_order(
            actor=info.context.actor,
            category=input.category,
            description=input.description,
            idempotency_key=input.idempotency_key,
            on_behalf_of_household_id=node_key(
                input.on_behalf_of_household_id, "Household", "onBehalfOfHouseholdId"
            ),
            photos=uploads(input.photos),
            position=input.position.to_value() if input.position else None,
        )
        return PlaceOrderSuccess(work_order=WorkOrder.from_model(order))

    @strawberry.mutation(
        description="Report a problem (事件上报) in your community; a grid worker's is "
        "dispatched to the micro-grid there, or the grid, a resident's waits for a grid leader "
        "to check it (`checkReport`). A retry with the same idempotency key returns the first "
        "report."
    )
    async def report_problem(
        self, info: Info, input: Annotated[ReportProblemInput, MUTATION_INPUT]
    ) -> ReportProblemResult:
        order = await workorders.report_problem(
            actor=info.context.actor,
            category=input.category,
            area_id=area_key(input.area_id),
            location=input.location,
            description=input.description,
            photo_urls=input.photo_urls,
            idempotency_key=input.idempotency_key,
            photos=uploads(input.photos),
            position=input.position.to_value() if input.position else None,
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
            photos=uploads(input.photos),
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

    @strawberry.mutation(
        description="Cancel your request before it is accepted, or withdraw your report before "
        "handling starts, with a reason (on the timeline); it ends there."
    )
    async def cancel_work_order(
        self, info: Info, input: Annotated[CancelWorkOrderInput, MUTATION_INPUT]
    ) -> CancelWorkOrderResult:
        order = await workorders.cancel(
            actor=info.context.actor,
            work_order_id=_order_key(input.work_order_id),
            reason=input.reason,
        )
        return CancelWorkOrderSuccess(work_order=WorkOrder.from_model(order))

    @strawberry.mutation(
        description="Check a resident's report on the spot (核实; the grid leader or an admin): "
        "confirmed, it is dispatched; not, it is rejected with the reason."
    )
    async def check_report(
        self, info: Info, input: Annotated[CheckReportInput, MUTATION_INPUT]
    ) -> CheckReportResult:
        order = await workorders.check(
            actor=info.context.actor,
            work_order_id=_order_key(input.work_order_id),
            confirmed=input.confirmed,
            reason=input.reason,
        )
        return CheckReportSuccess(work_order=WorkOrder.from_model(order))

    @strawberry.mutation(
        description="Send a resolved order back to its handler (返工), with a reason: your "
        "request is not done to your satisfaction, or (the grid leader, an admin) a report "
        "failed verification. Its time to resolve starts over as its category says."
    )
    async def reopen_work_order(
        self, info: Info, input: Annotated[ReopenWorkOrderInput, MUTATION_INPUT]
    ) -> ReopenWorkOrderResult:
        order = await workorders.reopen(
            actor=info.context.actor,
            work_order_id=_order_key(input.work_order_id),
            reason=input.reason,
        )
        return ReopenWorkOrderSuccess(work_order=WorkOrder.from_model(order))
