"""GraphQL inputs of the partner mutations."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry import relay

from schema.core.arguments import IDEMPOTENCY_KEY
from schema.core.ids import id_field
from services.enums import (
    NeedStatus,
    PartnerUnitKind,
    ProjectStatus,
    ResourceCategory,
    ResourceStatus,
    Urgency,
)

# --- units --------------------------------------------------------------------------------


@strawberry.input(description="Register a unit with a community (双报到); you become its manager.")
class RegisterPartnerUnitInput:
    community_id: relay.GlobalID = id_field("Area", description="The community it reports to.")
    name: str = strawberry.field(description="Its name (1-100 characters, unique there).")
    kind: PartnerUnitKind = strawberry.field(description="Kind of unit.")
    address: str = strawberry.field(default="", description="Where it is.")
    phone: str | None = strawberry.field(default=None, description="Contact phone (digits).")
    description: str = strawberry.field(default="", description="What it does.")


@strawberry.input(description="Approve or reject a pending unit (admins of its community).")
class ReviewPartnerUnitInput:
    unit_id: relay.GlobalID = id_field("PartnerUnit", description="The unit.")
    approve: bool = strawberry.field(description="True approves, false rejects.")
    reason: str | None = strawberry.field(
        default=None, description="Why (required when rejecting)."
    )


@strawberry.input(description="Add a person to a unit (its managers or community admins).")
class AddPartnerMemberInput:
    unit_id: relay.GlobalID = id_field("PartnerUnit", description="The unit.")
    person_id: relay.GlobalID = id_field("Person", description="The person.")
    manager: bool = strawberry.field(default=False, description="Acts for the unit too.")


@strawberry.input(
    description="Remove a person from a unit (its managers or community admins); the membership "
    "stays as history."
)
class RemovePartnerMemberInput:
    unit_id: relay.GlobalID = id_field("PartnerUnit", description="The unit.")
    person_id: relay.GlobalID = id_field("Person", description="The member to remove.")
    successor_id: relay.GlobalID | None = id_field(
        "Person",
        default=None,
        description="A current member who becomes a manager: required when the one removed is "
        "the unit's last manager.",
    )


@strawberry.input(description="Leave a unit you work for; the membership stays as history.")
class LeavePartnerUnitInput:
    unit_id: relay.GlobalID = id_field("PartnerUnit", description="The unit.")
    successor_id: relay.GlobalID | None = id_field(
        "Person",
        default=None,
        description="A current member who becomes a manager: required when you are the unit's "
        "last manager.",
    )


# --- cadres -------------------------------------------------------------------------------


@strawberry.input(description="Sink a unit member to a grid for a period (admins of the grid).")
class AssignCadreInput:
    unit_id: relay.GlobalID = id_field("PartnerUnit", description="The cadre's unit (approved).")
    person_id: relay.GlobalID = id_field("Person", description="The cadre, a member of the unit.")
    area_id: relay.GlobalID = id_field("Area", description="The grid or micro-grid.")
    starts_on: date = strawberry.field(description="First day.")
    ends_on: date = strawberry.field(description="Last day (at most 366 days in all).")
    duties: str = strawberry.field(default="", description="What the cadre does there.")


@strawberry.input(description="Record a day of a cadre's service (the cadre, or the grid's staff).")
class RecordCadreServiceInput:
    assignment_id: relay.GlobalID = id_field("CadreAssignment", description="The cadre assignment.")
    served_on: date = strawberry.field(description="The day (inside the period, not future).")
    minutes: int = strawberry.field(description="Minutes served (1-1440).")
    description: str = strawberry.field(description="What was done.")


# --- lists --------------------------------------------------------------------------------


@strawberry.input(description="Add an entry to a unit's resource list (its managers).")
class PostResourceInput:
    unit_id: relay.GlobalID = id_field("PartnerUnit", description="The unit (approved).")
    category: ResourceCategory = strawberry.field(description="What it offers.")
    title: str = strawberry.field(description="Short title (1-100 characters).")
    description: str = strawberry.field(default="", description="Details.")
    quantity: int = strawberry.field(description="How much (1-10,000,000).")
    unit_label: str = strawberry.field(description="What the quantity counts (份, 元, 小时).")
    available_from: datetime | None = strawberry.field(
        default=None, description="Available from (with offset; absent: now)."
    )
    available_until: datetime | None = strawberry.field(
        default=None, description="Available until (with offset; absent: open-ended)."
    )
    served_area_ids: list[relay.GlobalID] | None = id_field(
        "Area",
        default=None,
        description="Communities (or streets, the district) it serves; absent: the unit's "
        "community.",
    )


@strawberry.input(
    description="Change a resource entry (managers of its unit): absent fields stay, null "
    "clears a window end. The category stays."
)
class UpdateResourceInput:
    resource_id: relay.GlobalID = id_field("ResourceOffer", description="The entry.")
    title: str | None = strawberry.field(default=strawberry.UNSET, description="Title.")
    description: str | None = strawberry.field(default=strawberry.UNSET, description="Details.")
    quantity: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="New quantity: the remaining quantity moves by the same amount and may "
        "not drop below zero (what matches committed stays committed).",
    )
    unit_label: str | None = strawberry.field(default=strawberry.UNSET, description="Label.")
    available_from: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="Available from (null: now)."
    )
    available_until: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="Available until (null: open-ended)."
    )
    served_area_ids: list[relay.GlobalID] | None = id_field(
        "Area", default=strawberry.UNSET, description="Replaces the areas served."
    )
    status: ResourceStatus | None = strawberry.field(
        default=strawberry.UNSET, description="WITHDRAWN takes it off matching; OPEN reopens."
    )


@strawberry.input(description="Add an entry to the need list of a community, grid or micro-grid.")
class PostNeedInput:
    area_id: relay.GlobalID = id_field("Area", description="The community, grid or micro-grid.")
    category: ResourceCategory = strawberry.field(description="What is needed.")
    title: str = strawberry.field(description="Short title (1-100 characters).")
    description: str = strawberry.field(default="", description="Details.")
    quantity: int = strawberry.field(description="How much (1-10,000,000).")
    unit_label: str = strawberry.field(description="What the quantity counts.")
    urgency: Urgency = strawberry.field(default=Urgency.NORMAL, description="How urgent.")
    deadline: datetime | None = strawberry.field(
        default=None, description="Needed by (with offset, in the future)."
    )
    place: str = strawberry.field(default="", description="Where.")
    source_ids: list[relay.GlobalID] | None = id_field(
        default=None, description="Residents' requests it cites (at most 20 global ids)."
    )


@strawberry.input(
    description="Change a need (admins and leaders of its area): absent fields stay; null "
    "clears the deadline. The category stays."
)
class UpdateNeedInput:
    need_id: relay.GlobalID = id_field("Need", description="The entry.")
    title: str | None = strawberry.field(default=strawberry.UNSET, description="Title.")
    description: str | None = strawberry.field(default=strawberry.UNSET, description="Details.")
    quantity: int | None = strawberry.field(
        default=strawberry.UNSET, description="New quantity (never below what is committed)."
    )
    unit_label: str | None = strawberry.field(default=strawberry.UNSET, description="Label.")
    urgency: Urgency | None = strawberry.field(default=strawberry.UNSET, description="Urgency.")
    deadline: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="Deadline (null: none)."
    )
    place: str | None = strawberry.field(default=strawberry.UNSET, description="Where.")
    source_ids: list[relay.GlobalID] | None = id_field(
        default=strawberry.UNSET, description="Replaces the cited requests."
    )
    status: NeedStatus | None = strawberry.field(
        default=strawberry.UNSET, description="CANCELLED cancels an open need; OPEN reopens."
    )


# --- matches ------------------------------------------------------------------------------


@strawberry.input(
    description="Propose to meet a need with a resource (a manager of the resource's unit, or "
    "an admin or leader of the need's area); the other side accepts."
)
class ProposeMatchInput:
    need_id: relay.GlobalID = id_field("Need", description="The need.")
    resource_id: relay.GlobalID = id_field("ResourceOffer", description="The resource.")
    quantity: int = strawberry.field(description="How much of the resource (its unit label).")
    covers: int | None = strawberry.field(
        default=None,
        description="How much of the need it covers (the need's label); only for compatible "
        "categories, the same as quantity otherwise.",
    )
    message: str = strawberry.field(default="", description="A note to the other side.")


@strawberry.input(description="Answer a proposed match (the other side).")
class AcceptMatchInput:
    match_id: relay.GlobalID = id_field("Match", description="The match.")


@strawberry.input(description="Decline a proposed match (the other side), with a reason.")
class DeclineMatchInput:
    match_id: relay.GlobalID = id_field("Match", description="The match.")
    reason: str = strawberry.field(description="Why.")


@strawberry.input(description="Withdraw your side's proposal before it is answered.")
class WithdrawMatchInput:
    match_id: relay.GlobalID = id_field("Match", description="The match.")


# --- projects -----------------------------------------------------------------------------


@strawberry.input(description="Create a PROPOSED co-building project (community admins).")
class CreateProjectInput:
    community_id: relay.GlobalID = id_field("Area", description="The community.")
    title: str = strawberry.field(description="Title (1-100 characters).")
    description: str = strawberry.field(default="", description="What it is about.")
    claimable: bool = strawberry.field(
        default=False, description="A service project a property company may claim (认领)."
    )
    people_served: int = strawberry.field(default=0, description="People it serves.")


@strawberry.input(
    description="Change a project (community admins, managers of OWNER units): absent fields "
    "stay; status PROPOSED → ACTIVE → COMPLETED, or → CANCELLED."
)
class UpdateProjectInput:
    project_id: relay.GlobalID = id_field("Project", description="The project.")
    title: str | None = strawberry.field(default=None, description="Title.")
    description: str | None = strawberry.field(default=None, description="Description.")
    status: ProjectStatus | None = strawberry.field(default=None, description="New status.")
    people_served: int | None = strawberry.field(default=None, description="People served.")
    claimable: bool | None = strawberry.field(default=None, description="Open for claiming.")


@strawberry.input(description="Add a milestone (community admins, OWNER and PARTNER units).")
class AddMilestoneInput:
    project_id: relay.GlobalID = id_field("Project", description="The project (not closed).")
    title: str = strawberry.field(description="What is to be done.")
    due_on: date | None = strawberry.field(default=None, description="Due day.")
    progress: int = strawberry.field(default=0, description="Progress so far, 0-100.")


@strawberry.input(description="Update a milestone's progress or details.")
class UpdateMilestoneInput:
    milestone_id: relay.GlobalID = id_field("ProjectMilestone", description="The milestone.")
    progress: int | None = strawberry.field(
        default=strawberry.UNSET, description="Progress, 0-100 (done at 100)."
    )
    title: str | None = strawberry.field(default=strawberry.UNSET, description="Title.")
    due_on: date | None = strawberry.field(
        default=strawberry.UNSET, description="Due day (null clears it)."
    )
    note: str | None = strawberry.field(default=strawberry.UNSET, description="A note.")


@strawberry.input(
    description="A unit claims (认领) a claimable service project of its community, if the "
    "community lets units of its kind claim (projectClaimKinds)."
)
class ClaimProjectInput:
    project_id: relay.GlobalID = id_field("Project", description="The project.")
    unit_id: relay.GlobalID = id_field("PartnerUnit", description="The unit you manage.")


@strawberry.input(
    description="Choose which kinds of partner unit may claim (认领) a community's projects "
    "(its admins)."
)
class SetProjectClaimKindsInput:
    community_id: relay.GlobalID = id_field("Area", description="The community.")
    kinds: list[PartnerUnitKind] = strawberry.field(
        description="The kinds allowed from now on (empty: nobody claims; claims made stay)."
    )


# --- marketplace stocking -----------------------------------------------------------------


@strawberry.input(
    description="Stock the points marketplace from a GOODS or SERVICE resource (managers of "
    "its unit): a reward of the unit's community, provided by the unit."
)
class StockRewardFromResourceInput:
    resource_id: relay.GlobalID = id_field("ResourceOffer", description="The resource.")
    quantity: int = strawberry.field(description="Items taken from the resource into stock.")
    price_points: int = strawberry.field(description="Points per item (1-1,000,000).")
    name: str | None = strawberry.field(default=None, description="Name (the resource title).")
    description: str | None = strawberry.field(
        default=None, description="Details (the resource's)."
    )
    per_person_limit: int | None = strawberry.field(
        default=None, description="Most items per person (absent: no limit)."
    )
    pickup_location: str | None = strawberry.field(
        default=None, description="Where to pick it up (the unit's address)."
    )
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)
