"""Inputs of the work-order mutations: categories, placing and reporting, each lifecycle step."""

from __future__ import annotations

import strawberry
from strawberry import relay
from strawberry.file_uploads import Upload

from schema.core.arguments import IDEMPOTENCY_KEY as SUBMIT_KEY
from schema.core.ids import id_field
from schema.geo.types import GeoPointInput
from schema.photos import PHOTOS_DESCRIPTION
from services.enums import WorkOrderKind

# --- categories ----------------------------------------------------------------------------


@strawberry.input(description="A new work-order category of your district (district admins).")
class CreateWorkOrderCategoryInput:
    kind: WorkOrderKind = strawberry.field(description="Requests or reports.")
    code: str = strawberry.field(description="2-32 of A-Z, 0-9, _ (unique in the district).")
    name: str = strawberry.field(description="Name, 1-50 characters, e.g. 水电维修.")
    accept_within_minutes: int = strawberry.field(description="Minutes to accept, 1-10080.")
    resolve_within_hours: int = strawberry.field(description="Hours to resolve, 1-2160.")


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


# --- placing -------------------------------------------------------------------------------


@strawberry.input(description="Ask for help for your household (点单).")
class PlaceOrderInput:
    category: str = strawberry.field(description="A request category's code, e.g. WATER_ELECTRIC.")
    description: str = strawberry.field(description="What is needed (1-1000 characters).")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description=f"{SUBMIT_KEY} The same key with other input is IdempotencyConflict. "
        "Optional (clients that send none place a new order on every call); send one so a "
        "retry on a bad network places the order once.",
    )
    on_behalf_of_household_id: relay.GlobalID | None = id_field(
        "Household",
        default=None,
        description="Place it for this household (代办): a household you look after as its "
        "central household (中心户), or one of your micro-grid as its leader (whose errand goes "
        "to the grid leader at once). Omit to order for your own household.",
    )
    photos: list[Upload] | None = strawberry.field(
        default=None, description=f"{PHOTOS_DESCRIPTION} Optional."
    )
    position: GeoPointInput | None = strawberry.field(
        default=None,
        description="Where help is needed (GPS), in either datum: the order goes to the "
        "micro-grid there, which must lie in the household's community (INVALID_INPUT on "
        "`position` outside every micro-grid or that community). Omit to send it to the "
        "household's micro-grid.",
    )


@strawberry.input(
    description="Report a problem you saw (事件上报): grid workers and riders (dispatched at "
    "once), or residents in their own community (checked on the spot by a grid leader first)."
)
class ReportProblemInput:
    category: str = strawberry.field(description="A report category's code, e.g. SANITATION.")
    area_id: relay.GlobalID | None = id_field(
        "Area",
        default=None,
        description="The micro-grid where it is (or the grid, for a place no micro-grid covers). "
        "May be left out when `position` is given: the micro-grid there is taken.",
    )
    location: str = strawberry.field(description="Where exactly (1-200 characters).")
    position: GeoPointInput | None = strawberry.field(
        default=None,
        description="Where it is on the map (GPS), in either datum. Routes the report to the "
        "micro-grid there when `areaId` is left out or holds that micro-grid; outside the "
        "given area it does not override it.",
    )
    description: str = strawberry.field(description="What is wrong (1-1000 characters).")
    photo_urls: list[str] = strawberry.field(
        default_factory=list, description="Up to 9 http(s) links to photos (500 characters each)."
    )
    photos: list[Upload] | None = strawberry.field(
        default=None,
        description=f"{PHOTOS_DESCRIPTION} Together with `photoUrls`, at most 9. Optional.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description=f"{SUBMIT_KEY} The same key with other input is IdempotencyConflict. "
        "Optional (clients that send none report anew on every call); send one so a retry on "
        "a bad network reports once.",
    )


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
    photos: list[Upload] | None = strawberry.field(
        default=None,
        description=f"Photos of the result, on the RESOLVE step. {PHOTOS_DESCRIPTION} Optional.",
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


@strawberry.input(
    description="Cancel your request before it is accepted, or withdraw your report before "
    "handling starts (the reporter), with a reason."
)
class CancelWorkOrderInput(WorkOrderInput):
    reason: str = strawberry.field(description="Why (1-500 characters).")


@strawberry.input(
    description="Check a resident's report on the spot (核实; the grid leader or an admin): "
    "confirm it (it is dispatched) or not (it ends, with the reason)."
)
class CheckReportInput(WorkOrderInput):
    confirmed: bool = strawberry.field(
        description="true: the problem is real, dispatch it; false: reject it."
    )
    reason: str | None = strawberry.field(
        default=None,
        description="What was found (1-500 characters); required when not confirmed.",
    )


@strawberry.input(
    description="Send a resolved order back to its handler (返工): the resident who is not "
    "satisfied, or the grid leader (an admin) whose verification failed."
)
class ReopenWorkOrderInput(WorkOrderInput):
    reason: str = strawberry.field(description="What is still wrong (1-500 characters).")
