"""The enums of work orders, registered with Strawberry once: kind, status, timeline step.

`strawberry.enum` marks the services.enums classes themselves, so fields are annotated with them
directly (the package imports this module first, so they are registered before any use)."""

from __future__ import annotations

import strawberry

from schema.core.errors import describe_values
from services.enums import WorkOrderAction, WorkOrderKind, WorkOrderStatus

strawberry.enum(WorkOrderKind, description="What a work order (工单) is.")
describe_values(
    WorkOrderKind,
    {
        "RESIDENT_REQUEST": "A resident's request for help for their household (点单).",
        "PROBLEM_REPORT": "A problem a grid worker, rider or resident saw and reported (事件上报).",
    },
)
strawberry.enum(WorkOrderStatus, description="Where a work order stands.")
describe_values(
    WorkOrderStatus,
    {
        "SUBMITTED": "Placed. A resident's report rests here until a grid leader checks it on "
        "the spot (核实, `checkReport`); everything else is dispatched at once.",
        "DISPATCHED": "Sent to the area that handles it (派单), waiting to be accepted.",
        "ACCEPTED": "Accepted (接单) by the area's leader, maybe assigned to a helper.",
        "IN_PROGRESS": "Being worked on.",
        "SUSPENDED": "On hold (挂起) with a reason; its clocks stand still.",
        "RESOLVED": "Done, waiting for the resident's confirmation (a report: for verification, "
        "however long; only requests are confirmed automatically).",
        "CONFIRMED": "Confirmed or verified (a step of the timeline: closing follows at once).",
        "CLOSED": "Closed: confirmed, verified, or (a request) confirmed automatically.",
        "REJECTED": "Refused by the area (or, a resident's report, not confirmed by its check) "
        "with a reason; it ends there.",
        "CANCELLED": "Cancelled by the resident before acceptance, or withdrawn by the reporter "
        "before handling started, with a reason; it ends there.",
    },
)
strawberry.enum(WorkOrderAction, description="A step of a work order's timeline.")
describe_values(
    WorkOrderAction,
    {
        "SUBMIT": "Placed or reported.",
        "DISPATCH": "Dispatched to the handling micro-grid (or grid, or community; a micro-grid "
        "without a leader: its grid, noted so).",
        "ACCEPT": "Accepted.",
        "ASSIGN": "Assigned to a central household or volunteer.",
        "START": "Work started.",
        "RESOLVE": "Marked done, with a note.",
        "CONFIRM": "Confirmed by the resident.",
        "VERIFY": "Verified by the grid leader (核实).",
        "AUTO_CONFIRM": "A request confirmed by the system after the configured days (reports "
        "are never: they wait for verification).",
        "CLOSE": "Closed.",
        "TRANSFER": "Transferred to another area or up a level (流转), with a reason.",
        "SUSPEND": "Put on hold, with a reason.",
        "RESUME": "Taken off hold.",
        "REJECT": "Rejected, with a reason.",
        "ESCALATE": "Escalated by the system for lateness, one level up from the area handling "
        "it: to the grid leader, then the community (at the community: only marked late).",
        "RATE": "Rated by the resident.",
        "CANCEL": "Cancelled by the resident, or withdrawn by the reporter, with a reason.",
        "CHECK": "A resident's report checked on the spot (核实) and confirmed; dispatch follows.",
        "REOPEN": "Sent back to the handler (返工) with a reason: the resident was not satisfied "
        "or the verification failed; the time to resolve starts over.",
    },
)
