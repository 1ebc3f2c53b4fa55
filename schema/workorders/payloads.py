"""Results of the work-order mutations: each success type and its result union."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.core.errors import (
    Conflict,
    Forbidden,
    IdempotencyConflict,
    InvalidInput,
    InvalidTransition,
    Unauthenticated,
    UserErrors,
)
from schema.workorders.types import WorkOrder, WorkOrderCategory


@strawberry.type(description="The category exists.")
class CreateWorkOrderCategorySuccess:
    category: WorkOrderCategory = strawberry.field(description="The new category.")


# Not UserErrors: creating looks nothing up by id, so NotFound is no member of this union.
CreateWorkOrderCategoryResult = Annotated[
    CreateWorkOrderCategorySuccess | InvalidInput | Forbidden | Unauthenticated | Conflict,
    strawberry.union("CreateWorkOrderCategoryResult", description="The category or why not."),
]


@strawberry.type(description="The category now.")
class UpdateWorkOrderCategorySuccess:
    category: WorkOrderCategory = strawberry.field(description="The category.")


UpdateWorkOrderCategoryResult = Annotated[
    UpdateWorkOrderCategorySuccess | UserErrors,
    strawberry.union("UpdateWorkOrderCategoryResult", description="The category or why not."),
]


@strawberry.type(
    description="Placed and dispatched to your household's micro-grid (its grid when the "
    "micro-grid has no leader); a retry with the same idempotency key returns the same order."
)
class PlaceOrderSuccess:
    work_order: WorkOrder = strawberry.field(description="The new order.")


@strawberry.type(
    description="Reported: dispatched to the micro-grid (or grid) there, or, a resident's "
    "report, waiting for its check (SUBMITTED)."
)
class ReportProblemSuccess:
    work_order: WorkOrder = strawberry.field(description="The new report.")


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


@strawberry.type(description="Cancelled or withdrawn.")
class CancelWorkOrderSuccess:
    work_order: WorkOrder = strawberry.field(description="The work order now.")


@strawberry.type(description="Checked: dispatched, or rejected.")
class CheckReportSuccess:
    work_order: WorkOrder = strawberry.field(description="The work order now.")


@strawberry.type(description="Back with its handler, IN_PROGRESS.")
class ReopenWorkOrderSuccess:
    work_order: WorkOrder = strawberry.field(description="The work order now.")


@strawberry.type(description="Rated.")
class RateWorkOrderSuccess:
    work_order: WorkOrder = strawberry.field(description="The work order now.")


_ERRORS = UserErrors | Conflict | InvalidTransition
PlaceOrderResult = Annotated[
    PlaceOrderSuccess | UserErrors | IdempotencyConflict,
    strawberry.union("PlaceOrderResult", description="The order or why not."),
]
ReportProblemResult = Annotated[
    ReportProblemSuccess | UserErrors | IdempotencyConflict,
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
CancelWorkOrderResult = Annotated[
    CancelWorkOrderSuccess | _ERRORS,
    strawberry.union("CancelWorkOrderResult", description=_STEP),
]
CheckReportResult = Annotated[
    CheckReportSuccess | _ERRORS,
    strawberry.union("CheckReportResult", description=_STEP),
]
ReopenWorkOrderResult = Annotated[
    ReopenWorkOrderSuccess | _ERRORS,
    strawberry.union("ReopenWorkOrderResult", description=_STEP),
]
