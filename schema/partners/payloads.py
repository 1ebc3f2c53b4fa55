"""Success types and result unions of the partner mutations."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.core.errors import (
    Conflict,
    IdempotencyConflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    OutOfStock,
    Unauthenticated,
    UserErrors,
)
from schema.grids import Area
from schema.market import Reward
from schema.partners.types import (
    CadreAssignment,
    Match,
    Need,
    PartnerMember,
    PartnerUnit,
    Project,
    ProjectMilestone,
    ResourceOffer,
)
from services.enums import PartnerUnitKind

# --- units --------------------------------------------------------------------------------


@strawberry.type(description="Registered: PENDING until an admin of the community reviews it.")
class RegisterPartnerUnitSuccess:
    unit: PartnerUnit = strawberry.field(description="The unit.")


RegisterPartnerUnitResult = Annotated[
    RegisterPartnerUnitSuccess | InvalidInput | NotFound | Unauthenticated | Conflict,
    strawberry.union("RegisterPartnerUnitResult", description="The unit or why not."),
]


@strawberry.type(description="Reviewed: approved members now hold PARTNER_MEMBER there.")
class ReviewPartnerUnitSuccess:
    unit: PartnerUnit = strawberry.field(description="The unit.")


ReviewPartnerUnitResult = Annotated[
    ReviewPartnerUnitSuccess | UserErrors | Conflict,
    strawberry.union("ReviewPartnerUnitResult", description="The unit or why not."),
]


@strawberry.type(description="The person works for the unit now.")
class AddPartnerMemberSuccess:
    member: PartnerMember = strawberry.field(description="The membership.")
    unit: PartnerUnit = strawberry.field(description="The unit.")


AddPartnerMemberResult = Annotated[
    AddPartnerMemberSuccess | UserErrors | Conflict,
    strawberry.union("AddPartnerMemberResult", description="The membership or why not."),
]


@strawberry.type(description="The person no longer works for the unit (kept as history).")
class RemovePartnerMemberSuccess:
    member: PartnerMember = strawberry.field(description="The ended membership.")
    unit: PartnerUnit = strawberry.field(description="The unit.")


RemovePartnerMemberResult = Annotated[
    RemovePartnerMemberSuccess | UserErrors | Conflict,
    strawberry.union(
        "RemovePartnerMemberResult",
        description="The ended membership or why not (Conflict: the last manager goes only "
        "with a successor named).",
    ),
]


@strawberry.type(description="You no longer work for the unit (kept as history).")
class LeavePartnerUnitSuccess:
    member: PartnerMember = strawberry.field(description="Your ended membership.")
    unit: PartnerUnit = strawberry.field(description="The unit.")


LeavePartnerUnitResult = Annotated[
    LeavePartnerUnitSuccess | UserErrors | Conflict,
    strawberry.union(
        "LeavePartnerUnitResult",
        description="The ended membership or why not (Conflict: the last manager names a "
        "successor).",
    ),
]


# --- cadres -------------------------------------------------------------------------------


@strawberry.type(description="The cadre is assigned.")
class AssignCadreSuccess:
    assignment: CadreAssignment = strawberry.field(description="The assignment.")


AssignCadreResult = Annotated[
    AssignCadreSuccess | UserErrors | Conflict,
    strawberry.union("AssignCadreResult", description="The assignment or why not."),
]


@strawberry.type(description="Recorded.")
class RecordCadreServiceSuccess:
    assignment: CadreAssignment = strawberry.field(description="The assignment with the record.")


RecordCadreServiceResult = Annotated[
    RecordCadreServiceSuccess | UserErrors | Conflict,
    strawberry.union("RecordCadreServiceResult", description="The assignment or why not."),
]


# --- lists --------------------------------------------------------------------------------


@strawberry.type(description="The resource is on the list.")
class PostResourceSuccess:
    resource: ResourceOffer = strawberry.field(description="The entry.")


PostResourceResult = Annotated[
    PostResourceSuccess | UserErrors | Conflict,
    strawberry.union("PostResourceResult", description="The entry or why not."),
]


@strawberry.type(description="The entry was changed.")
class UpdateResourceSuccess:
    resource: ResourceOffer = strawberry.field(description="The entry as it is now.")


UpdateResourceResult = Annotated[
    UpdateResourceSuccess | UserErrors | Conflict,
    strawberry.union("UpdateResourceResult", description="The entry or why not."),
]


@strawberry.type(description="The need is on the list.")
class PostNeedSuccess:
    need: Need = strawberry.field(description="The entry.")


PostNeedResult = Annotated[
    PostNeedSuccess | UserErrors | Conflict,
    strawberry.union("PostNeedResult", description="The entry or why not."),
]


@strawberry.type(description="The need was changed.")
class UpdateNeedSuccess:
    need: Need = strawberry.field(description="The entry as it is now.")


UpdateNeedResult = Annotated[
    UpdateNeedSuccess | UserErrors | Conflict,
    strawberry.union("UpdateNeedResult", description="The entry or why not."),
]


# --- matches ------------------------------------------------------------------------------


@strawberry.type(description="Proposed: waiting for the other side.")
class ProposeMatchSuccess:
    match: Match = strawberry.field(description="The match.")


ProposeMatchResult = Annotated[
    ProposeMatchSuccess | UserErrors | Conflict | OutOfStock,
    strawberry.union("ProposeMatchResult", description="The match or why not."),
]


@strawberry.type(
    description="Accepted: the quantities are committed and the project created or extended."
)
class AcceptMatchSuccess:
    match: Match = strawberry.field(description="The match.")
    project: Project = strawberry.field(description="The co-building project.")


AcceptMatchResult = Annotated[
    AcceptMatchSuccess | UserErrors | Conflict | OutOfStock,
    strawberry.union("AcceptMatchResult", description="The match or why not."),
]


@strawberry.type(description="The match is closed.")
class MatchSuccess:
    match: Match = strawberry.field(description="The match.")


MatchResult = Annotated[
    MatchSuccess | UserErrors | Conflict,
    strawberry.union("MatchResult", description="The match or why not."),
]


# --- projects -----------------------------------------------------------------------------


@strawberry.type(description="The project as it stands now.")
class ProjectSuccess:
    project: Project = strawberry.field(description="The project.")


ProjectResult = Annotated[
    ProjectSuccess | UserErrors | Conflict | InvalidTransition,
    strawberry.union("ProjectResult", description="The project or why not."),
]


@strawberry.type(description="The milestone as it stands now.")
class MilestoneSuccess:
    milestone: ProjectMilestone = strawberry.field(description="The milestone.")
    project: Project = strawberry.field(description="Its project.")


MilestoneResult = Annotated[
    MilestoneSuccess | UserErrors | Conflict,
    strawberry.union("MilestoneResult", description="The milestone or why not."),
]


# --- marketplace stocking -----------------------------------------------------------------


@strawberry.type(description="The reward is on offer; the resource's remaining quantity fell.")
class StockRewardFromResourceSuccess:
    reward: Reward = strawberry.field(description="The new reward.")
    resource: ResourceOffer = strawberry.field(description="The resource as it is now.")


StockRewardFromResourceResult = Annotated[
    StockRewardFromResourceSuccess | UserErrors | Conflict | OutOfStock | IdempotencyConflict,
    strawberry.union("StockRewardFromResourceResult", description="The reward or why not."),
]


@strawberry.type(description="The kinds of unit that may claim the community's projects now.")
class SetProjectClaimKindsSuccess:
    community: Area = strawberry.field(description="The community.")
    kinds: list[PartnerUnitKind] = strawberry.field(description="The kinds allowed.")


SetProjectClaimKindsResult = Annotated[
    SetProjectClaimKindsSuccess | UserErrors,
    strawberry.union("SetProjectClaimKindsResult", description="The kinds allowed or why not."),
]
