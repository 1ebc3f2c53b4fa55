"""Queries and mutations of partner units, cadres, resource and need lists, matching, projects
and marketplace stocking."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import strawberry
from strawberry import relay

from schema.core.arguments import IDEMPOTENCY_KEY, source_of
from schema.core.context import Info
from schema.core.errors import (
    MUTATION_INPUT,
    Conflict,
    Forbidden,
    IdempotencyConflict,
    InvalidInput,
    NotFound,
    OutOfStock,
    Unauthenticated,
)
from schema.core.ids import area_key, id_argument, id_field, node_key, require_key
from schema.core.pagination import After, Connection, First, page_args
from schema.market import Reward
from schema.partners.types import (
    CadreAssignment,
    Match,
    MatchCandidate,
    Need,
    NeedStatus,
    PartnerMember,
    PartnerUnit,
    PartnerUnitKind,
    PartnerUnitStatus,
    Project,
    ProjectMilestone,
    ProjectStatus,
    ResourceCategory,
    ResourceOffer,
    ResourceStatus,
    Urgency,
)
from services import partners
from services.points import Source

Errors = InvalidInput | NotFound | Forbidden | Unauthenticated | Conflict


def _unset(value: Any) -> Any:
    return None if value is strawberry.UNSET else value


def _sources(ids: list[relay.GlobalID] | None) -> list[Source] | None:
    if ids is None:
        return None
    found = [source_of(i) for i in ids]
    return [s for s in found if s is not None]


# --- units ---------------------------------------------------------------------------------


@strawberry.input(description="Register a unit with a community (双报到); you become its manager.")
class RegisterPartnerUnitInput:
    community_id: relay.GlobalID = id_field("Area", description="The community it reports to.")
    name: str = strawberry.field(description="Its name (1-100 characters, unique there).")
    kind: PartnerUnitKind = strawberry.field(description="Kind of unit.")  # type: ignore[valid-type]
    address: str = strawberry.field(default="", description="Where it is.")
    phone: str | None = strawberry.field(default=None, description="Contact phone (digits).")
    description: str = strawberry.field(default="", description="What it does.")


@strawberry.type(description="Registered: PENDING until an admin of the community reviews it.")
class RegisterPartnerUnitSuccess:
    unit: PartnerUnit = strawberry.field(description="The unit.")


RegisterPartnerUnitResult = Annotated[
    RegisterPartnerUnitSuccess | InvalidInput | NotFound | Unauthenticated | Conflict,
    strawberry.union("RegisterPartnerUnitResult", description="The unit or why not."),
]


@strawberry.input(description="Approve or reject a pending unit (admins of its community).")
class ReviewPartnerUnitInput:
    unit_id: relay.GlobalID = id_field("PartnerUnit", description="The unit.")
    approve: bool = strawberry.field(description="True approves, false rejects.")
    reason: str | None = strawberry.field(
        default=None, description="Why (required when rejecting)."
    )


@strawberry.type(description="Reviewed: approved members now hold PARTNER_MEMBER there.")
class ReviewPartnerUnitSuccess:
    unit: PartnerUnit = strawberry.field(description="The unit.")


ReviewPartnerUnitResult = Annotated[
    ReviewPartnerUnitSuccess | Errors,
    strawberry.union("ReviewPartnerUnitResult", description="The unit or why not."),
]


@strawberry.input(description="Add a person to a unit (its managers or community admins).")
class AddPartnerMemberInput:
    unit_id: relay.GlobalID = id_field("PartnerUnit", description="The unit.")
    person_id: relay.GlobalID = id_field("Person", description="The person.")
    manager: bool = strawberry.field(default=False, description="Acts for the unit too.")


@strawberry.type(description="The person works for the unit now.")
class AddPartnerMemberSuccess:
    member: PartnerMember = strawberry.field(description="The membership.")
    unit: PartnerUnit = strawberry.field(description="The unit.")


AddPartnerMemberResult = Annotated[
    AddPartnerMemberSuccess | Errors,
    strawberry.union("AddPartnerMemberResult", description="The membership or why not."),
]


# --- cadres --------------------------------------------------------------------------------


@strawberry.input(description="Sink a unit member to a grid for a period (admins of the grid).")
class AssignCadreInput:
    unit_id: relay.GlobalID = id_field("PartnerUnit", description="The cadre's unit (approved).")
    person_id: relay.GlobalID = id_field("Person", description="The cadre, a member of the unit.")
    area_id: relay.GlobalID = id_field("Area", description="The grid or micro-grid.")
    starts_on: date = strawberry.field(description="First day.")
    ends_on: date = strawberry.field(description="Last day (at most 366 days in all).")
    duties: str = strawberry.field(default="", description="What the cadre does there.")


@strawberry.type(description="The cadre is assigned.")
class AssignCadreSuccess:
    assignment: CadreAssignment = strawberry.field(description="The assignment.")


AssignCadreResult = Annotated[
    AssignCadreSuccess | Errors,
    strawberry.union("AssignCadreResult", description="The assignment or why not."),
]


@strawberry.input(description="Record a day of a cadre's service (the cadre, or the grid's staff).")
class RecordCadreServiceInput:
    assignment_id: relay.GlobalID = id_field("CadreAssignment", description="The cadre assignment.")
    served_on: date = strawberry.field(description="The day (inside the period, not future).")
    minutes: int = strawberry.field(description="Minutes served (1-1440).")
    description: str = strawberry.field(description="What was done.")


@strawberry.type(description="Recorded.")
class RecordCadreServiceSuccess:
    assignment: CadreAssignment = strawberry.field(description="The assignment with the record.")


RecordCadreServiceResult = Annotated[
    RecordCadreServiceSuccess | Errors,
    strawberry.union("RecordCadreServiceResult", description="The assignment or why not."),
]


# --- lists ---------------------------------------------------------------------------------


@strawberry.input(description="Add an entry to a unit's resource list (its managers).")
class PostResourceInput:
    unit_id: relay.GlobalID = id_field("PartnerUnit", description="The unit (approved).")
    category: ResourceCategory = strawberry.field(description="What it offers.")  # type: ignore[valid-type]
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


@strawberry.type(description="The resource is on the list.")
class PostResourceSuccess:
    resource: ResourceOffer = strawberry.field(description="The entry.")


PostResourceResult = Annotated[
    PostResourceSuccess | Errors,
    strawberry.union("PostResourceResult", description="The entry or why not."),
]


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
    status: ResourceStatus | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="WITHDRAWN takes it off matching; OPEN reopens."
    )


@strawberry.type(description="The entry was changed.")
class UpdateResourceSuccess:
    resource: ResourceOffer = strawberry.field(description="The entry as it is now.")


UpdateResourceResult = Annotated[
    UpdateResourceSuccess | Errors,
    strawberry.union("UpdateResourceResult", description="The entry or why not."),
]


@strawberry.input(description="Add an entry to the need list of a community, grid or micro-grid.")
class PostNeedInput:
    area_id: relay.GlobalID = id_field("Area", description="The community, grid or micro-grid.")
    category: ResourceCategory = strawberry.field(description="What is needed.")  # type: ignore[valid-type]
    title: str = strawberry.field(description="Short title (1-100 characters).")
    description: str = strawberry.field(default="", description="Details.")
    quantity: int = strawberry.field(description="How much (1-10,000,000).")
    unit_label: str = strawberry.field(description="What the quantity counts.")
    urgency: Urgency = strawberry.field(default=Urgency.NORMAL, description="How urgent.")  # type: ignore[valid-type]
    deadline: datetime | None = strawberry.field(
        default=None, description="Needed by (with offset, in the future)."
    )
    place: str = strawberry.field(default="", description="Where.")
    source_ids: list[relay.GlobalID] | None = id_field(
        default=None, description="Residents' requests it cites (at most 20 global ids)."
    )


@strawberry.type(description="The need is on the list.")
class PostNeedSuccess:
    need: Need = strawberry.field(description="The entry.")


PostNeedResult = Annotated[
    PostNeedSuccess | Errors,
    strawberry.union("PostNeedResult", description="The entry or why not."),
]


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
    urgency: Urgency | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="Urgency."
    )
    deadline: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="Deadline (null: none)."
    )
    place: str | None = strawberry.field(default=strawberry.UNSET, description="Where.")
    source_ids: list[relay.GlobalID] | None = id_field(
        default=strawberry.UNSET, description="Replaces the cited requests."
    )
    status: NeedStatus | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="CANCELLED cancels an open need; OPEN reopens."
    )


@strawberry.type(description="The need was changed.")
class UpdateNeedSuccess:
    need: Need = strawberry.field(description="The entry as it is now.")


UpdateNeedResult = Annotated[
    UpdateNeedSuccess | Errors,
    strawberry.union("UpdateNeedResult", description="The entry or why not."),
]


# --- matches -------------------------------------------------------------------------------


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


@strawberry.type(description="Proposed: waiting for the other side.")
class ProposeMatchSuccess:
    match: Match = strawberry.field(description="The match.")


ProposeMatchResult = Annotated[
    ProposeMatchSuccess | Errors | OutOfStock,
    strawberry.union("ProposeMatchResult", description="The match or why not."),
]


@strawberry.input(description="Answer a proposed match (the other side).")
class AcceptMatchInput:
    match_id: relay.GlobalID = id_field("Match", description="The match.")


@strawberry.type(
    description="Accepted: the quantities are committed and the project created or extended."
)
class AcceptMatchSuccess:
    match: Match = strawberry.field(description="The match.")
    project: Project = strawberry.field(description="The co-building project.")


AcceptMatchResult = Annotated[
    AcceptMatchSuccess | Errors | OutOfStock,
    strawberry.union("AcceptMatchResult", description="The match or why not."),
]


@strawberry.input(description="Decline a proposed match (the other side), with a reason.")
class DeclineMatchInput:
    match_id: relay.GlobalID = id_field("Match", description="The match.")
    reason: str = strawberry.field(description="Why.")


@strawberry.input(description="Withdraw your side's proposal before it is answered.")
class WithdrawMatchInput:
    match_id: relay.GlobalID = id_field("Match", description="The match.")


@strawberry.type(description="The match is closed.")
class MatchSuccess:
    match: Match = strawberry.field(description="The match.")


MatchResult = Annotated[
    MatchSuccess | Errors,
    strawberry.union("MatchResult", description="The match or why not."),
]


# --- projects ------------------------------------------------------------------------------


@strawberry.input(description="Create a PROPOSED co-building project (community admins).")
class CreateProjectInput:
    community_id: relay.GlobalID = id_field("Area", description="The community.")
    title: str = strawberry.field(description="Title (1-100 characters).")
    description: str = strawberry.field(default="", description="What it is about.")
    claimable: bool = strawberry.field(
        default=False, description="A service project a property company may claim (认领)."
    )
    people_served: int = strawberry.field(default=0, description="People it serves.")


@strawberry.type(description="The project as it stands now.")
class ProjectSuccess:
    project: Project = strawberry.field(description="The project.")


ProjectResult = Annotated[
    ProjectSuccess | Errors,
    strawberry.union("ProjectResult", description="The project or why not."),
]


@strawberry.input(
    description="Change a project (community admins, managers of OWNER units): absent fields "
    "stay; status PROPOSED → ACTIVE → COMPLETED, or → CANCELLED."
)
class UpdateProjectInput:
    project_id: relay.GlobalID = id_field("Project", description="The project.")
    title: str | None = strawberry.field(default=None, description="Title.")
    description: str | None = strawberry.field(default=None, description="Description.")
    status: ProjectStatus | None = strawberry.field(default=None, description="New status.")  # type: ignore[valid-type]
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


@strawberry.type(description="The milestone as it stands now.")
class MilestoneSuccess:
    milestone: ProjectMilestone = strawberry.field(description="The milestone.")
    project: Project = strawberry.field(description="Its project.")


MilestoneResult = Annotated[
    MilestoneSuccess | Errors,
    strawberry.union("MilestoneResult", description="The milestone or why not."),
]


@strawberry.input(description="A property company claims (认领) a claimable service project.")
class ClaimProjectInput:
    project_id: relay.GlobalID = id_field("Project", description="The project.")
    unit_id: relay.GlobalID = id_field("PartnerUnit", description="Your property company.")


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


@strawberry.type(description="The reward is on offer; the resource's remaining quantity fell.")
class StockRewardFromResourceSuccess:
    reward: Reward = strawberry.field(description="The new reward.")
    resource: ResourceOffer = strawberry.field(description="The resource as it is now.")


StockRewardFromResourceResult = Annotated[
    StockRewardFromResourceSuccess | Errors | OutOfStock | IdempotencyConflict,
    strawberry.union("StockRewardFromResourceResult", description="The reward or why not."),
]


def _area_arg(description: str) -> Any:
    return id_argument("Area", description=description)


@strawberry.type
class PartnersQuery:
    @strawberry.field(
        description="Partner units reporting under an area, in registration order (signed-in "
        "users: approved units; community admins also pending and rejected ones in their "
        "subtree; members their own)."
    )
    async def partner_units(
        self,
        info: Info,
        under: Annotated[relay.GlobalID | None, _area_arg("Area; everywhere when omitted.")] = None,
        type: Annotated[
            PartnerUnitKind | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only this kind."),
        ] = None,
        status: Annotated[
            PartnerUnitStatus | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only this status."),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[PartnerUnit]:
        size, key = page_args(info, first, after)
        page = await partners.list_units(
            actor=info.context.actor,
            under_id=area_key(under, "under"),
            kind=type,
            status=status,
            first=size,
            after=key,
        )
        return Connection.build(page, PartnerUnit.from_model)

    @strawberry.field(
        description="Resource lists (资源清单) of units based under an area (below a "
        "community: its community), newest first (signed-in users)."
    )
    async def resource_offers(
        self,
        info: Info,
        under: Annotated[relay.GlobalID | None, _area_arg("Area; everywhere when omitted.")] = None,
        category: Annotated[
            ResourceCategory | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only this category."),
        ] = None,
        available_only: Annotated[
            bool,
            strawberry.argument(description="Only open, with something left, inside the window."),
        ] = False,
        first: First = None,
        after: After = None,
    ) -> Connection[ResourceOffer]:
        size, key = page_args(info, first, after)
        page = await partners.list_resources(
            actor=info.context.actor,
            under_id=area_key(under, "under"),
            category=category,
            available_only=available_only,
            first=size,
            after=key,
        )
        return Connection.build(page, ResourceOffer.from_model)

    @strawberry.field(
        description="Need lists (需求清单) posted under an area, newest first (signed-in users)."
    )
    async def needs(
        self,
        info: Info,
        under: Annotated[relay.GlobalID | None, _area_arg("Area; everywhere when omitted.")] = None,
        category: Annotated[
            ResourceCategory | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only this category."),
        ] = None,
        status: Annotated[
            NeedStatus | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only this status."),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Need]:
        size, key = page_args(info, first, after)
        page = await partners.list_needs(
            actor=info.context.actor,
            under_id=area_key(under, "under"),
            category=category,
            status=status,
            first=size,
            after=key,
        )
        return Connection.build(page, Need.from_model)

    @strawberry.field(
        description="The open resources that best meet an open need, best first. score (0-100) "
        "= category 40 (same) or 20 (compatible: funds for goods/equipment, expertise or "
        "volunteer hours for a service, a service for expertise/volunteer hours) + area 25 "
        "(serves the need's community), 15 (its street) or 10 (the district) + window 15 "
        "(available from now through the deadline, or 30 days without one) or 7 (partly) + "
        "quantity 20 × min(1, remaining ÷ still needed) in the same category, 10 otherwise. "
        "Non-matching categories, areas and windows are left out. Ties: more remaining, then "
        "older."
    )
    async def matches_for_need(
        self,
        info: Info,
        need_id: Annotated[relay.GlobalID, id_argument("Need", description="The need.")],
        first: Annotated[
            int, strawberry.argument(description="How many (0-100, default 10).")
        ] = 10,
    ) -> list[MatchCandidate]:
        found = await partners.matches_for_need(
            actor=info.context.actor, need_id=require_key(need_id, "Need", "needId"), first=first
        )
        return [MatchCandidate.from_candidate(c) for c in found]

    @strawberry.field(
        description="The open needs an open resource meets best, best first, scored as in "
        "matchesForNeed (the same pair scores the same). Ties: more urgent, earlier deadline, "
        "older."
    )
    async def matches_for_resource(
        self,
        info: Info,
        resource_id: Annotated[
            relay.GlobalID, id_argument("ResourceOffer", description="The resource.")
        ],
        first: Annotated[
            int, strawberry.argument(description="How many (0-100, default 10).")
        ] = 10,
    ) -> list[MatchCandidate]:
        found = await partners.matches_for_resource(
            actor=info.context.actor,
            resource_id=require_key(resource_id, "ResourceOffer", "resourceId"),
            first=first,
        )
        return [MatchCandidate.from_candidate(c) for c in found]

    @strawberry.field(
        description="Co-building projects of the communities under an area, newest first "
        "(signed-in users)."
    )
    async def projects(
        self,
        info: Info,
        under: Annotated[relay.GlobalID | None, _area_arg("Area; everywhere when omitted.")] = None,
        status: Annotated[
            ProjectStatus | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only this status."),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Project]:
        size, key = page_args(info, first, after)
        page = await partners.list_projects(
            actor=info.context.actor,
            under_id=area_key(under, "under"),
            status=status,
            first=size,
            after=key,
        )
        return Connection.build(page, Project.from_model)

    @strawberry.field(
        description="Sunk-down cadres (下沉干部) serving under an area, newest first "
        "(signed-in users)."
    )
    async def cadre_assignments(
        self,
        info: Info,
        under: Annotated[relay.GlobalID | None, _area_arg("Area; everywhere when omitted.")] = None,
        unit_id: Annotated[
            relay.GlobalID | None,
            id_argument("PartnerUnit", description="Only this unit's cadres."),
        ] = None,
        active_on: Annotated[
            date | None, strawberry.argument(description="Only those serving on this day.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[CadreAssignment]:
        size, key = page_args(info, first, after)
        page = await partners.list_cadres(
            actor=info.context.actor,
            under_id=area_key(under, "under"),
            unit_id=node_key(unit_id, "PartnerUnit", "unitId"),
            active_on=active_on,
            first=size,
            after=key,
        )
        return Connection.build(page, CadreAssignment.from_model)


def _unit(global_id: relay.GlobalID) -> int:
    return require_key(global_id, "PartnerUnit", "unitId")


@strawberry.type
class PartnersMutation:
    @strawberry.mutation(description="Register a partner unit with a community (双报到).")
    async def register_partner_unit(
        self, info: Info, input: Annotated[RegisterPartnerUnitInput, MUTATION_INPUT]
    ) -> RegisterPartnerUnitResult:
        unit = await partners.register_unit(
            actor=info.context.actor,
            community_id=require_key(input.community_id, "Area", "communityId"),
            name=input.name,
            kind=input.kind,
            address=input.address,
            phone=input.phone,
            description=input.description,
        )
        return RegisterPartnerUnitSuccess(unit=PartnerUnit.from_model(unit))

    @strawberry.mutation(description="Approve or reject a pending unit (community admins).")
    async def review_partner_unit(
        self, info: Info, input: Annotated[ReviewPartnerUnitInput, MUTATION_INPUT]
    ) -> ReviewPartnerUnitResult:
        unit = await partners.review_unit(
            actor=info.context.actor,
            unit_id=_unit(input.unit_id),
            approve=input.approve,
            reason=input.reason,
        )
        return ReviewPartnerUnitSuccess(unit=PartnerUnit.from_model(unit))

    @strawberry.mutation(description="Add a member to a unit (its managers, community admins).")
    async def add_partner_member(
        self, info: Info, input: Annotated[AddPartnerMemberInput, MUTATION_INPUT]
    ) -> AddPartnerMemberResult:
        member = await partners.add_member(
            actor=info.context.actor,
            unit_id=_unit(input.unit_id),
            person_id=require_key(input.person_id, "Person", "personId"),
            manager=input.manager,
        )
        unit = await info.context.loaders.partner_unit.load(member.unit_id)
        return AddPartnerMemberSuccess(
            member=PartnerMember.from_model(member), unit=PartnerUnit.from_model(unit)
        )

    @strawberry.mutation(description="Sink a unit member to a grid (下沉干部; grid admins).")
    async def assign_cadre(
        self, info: Info, input: Annotated[AssignCadreInput, MUTATION_INPUT]
    ) -> AssignCadreResult:
        assignment = await partners.assign_cadre(
            actor=info.context.actor,
            unit_id=_unit(input.unit_id),
            person_id=require_key(input.person_id, "Person", "personId"),
            area_id=require_key(input.area_id, "Area", "areaId"),
            starts_on=input.starts_on,
            ends_on=input.ends_on,
            duties=input.duties,
        )
        return AssignCadreSuccess(assignment=CadreAssignment.from_model(assignment))

    @strawberry.mutation(description="Record a day of a sunk-down cadre's service.")
    async def record_cadre_service(
        self, info: Info, input: Annotated[RecordCadreServiceInput, MUTATION_INPUT]
    ) -> RecordCadreServiceResult:
        record = await partners.record_service(
            actor=info.context.actor,
            assignment_id=require_key(input.assignment_id, "CadreAssignment", "assignmentId"),
            served_on=input.served_on,
            minutes=input.minutes,
            description=input.description,
        )
        (assignment,) = await partners.cadres_by_ids(
            actor=info.context.actor, assignment_ids=[record.assignment_id]
        )
        return RecordCadreServiceSuccess(assignment=CadreAssignment.from_model(assignment))

    @strawberry.mutation(description="Add a resource to a unit's list (its managers).")
    async def post_resource(
        self, info: Info, input: Annotated[PostResourceInput, MUTATION_INPUT]
    ) -> PostResourceResult:
        offer = await partners.post_resource(
            actor=info.context.actor,
            unit_id=_unit(input.unit_id),
            data=partners.ResourceInput(
                category=input.category,
                title=input.title,
                description=input.description,
                quantity=input.quantity,
                unit_label=input.unit_label,
                available_from=input.available_from,
                available_until=input.available_until,
                served_area_ids=_area_ids(input.served_area_ids),
            ),
        )
        return PostResourceSuccess(resource=ResourceOffer.from_model(offer))

    @strawberry.mutation(description="Change a resource entry (managers of its unit).")
    async def update_resource(
        self, info: Info, input: Annotated[UpdateResourceInput, MUTATION_INPUT]
    ) -> UpdateResourceResult:
        clear = {
            name for name in ("available_from", "available_until") if getattr(input, name) is None
        }
        offer = await partners.update_resource(
            actor=info.context.actor,
            resource_id=require_key(input.resource_id, "ResourceOffer", "resourceId"),
            data=partners.ResourceInput(
                title=_unset(input.title),
                description=_unset(input.description),
                quantity=_unset(input.quantity),
                unit_label=_unset(input.unit_label),
                available_from=_unset(input.available_from),
                available_until=_unset(input.available_until),
                served_area_ids=_area_ids(_unset(input.served_area_ids)),
                status=_unset(input.status),
            ),
            clear=clear,
        )
        return UpdateResourceSuccess(resource=ResourceOffer.from_model(offer))

    @strawberry.mutation(description="Add a need to an area's list (its admins and leaders).")
    async def post_need(
        self, info: Info, input: Annotated[PostNeedInput, MUTATION_INPUT]
    ) -> PostNeedResult:
        need = await partners.post_need(
            actor=info.context.actor,
            area_id=require_key(input.area_id, "Area", "areaId"),
            data=partners.NeedInput(
                category=input.category,
                title=input.title,
                description=input.description,
                quantity=input.quantity,
                unit_label=input.unit_label,
                urgency=input.urgency,
                deadline=input.deadline,
                place=input.place,
                sources=_sources(input.source_ids),
            ),
        )
        return PostNeedSuccess(need=Need.from_model(need))

    @strawberry.mutation(description="Change a need (admins and leaders of its area).")
    async def update_need(
        self, info: Info, input: Annotated[UpdateNeedInput, MUTATION_INPUT]
    ) -> UpdateNeedResult:
        need = await partners.update_need(
            actor=info.context.actor,
            need_id=require_key(input.need_id, "Need", "needId"),
            data=partners.NeedInput(
                title=_unset(input.title),
                description=_unset(input.description),
                quantity=_unset(input.quantity),
                unit_label=_unset(input.unit_label),
                urgency=_unset(input.urgency),
                deadline=_unset(input.deadline),
                place=_unset(input.place),
                sources=_sources(_unset(input.source_ids)),
                status=_unset(input.status),
                clear={"deadline"} if input.deadline is None else set(),
            ),
        )
        return UpdateNeedSuccess(need=Need.from_model(need))

    @strawberry.mutation(description="Propose a match of a need with a resource (either side).")
    async def propose_match(
        self, info: Info, input: Annotated[ProposeMatchInput, MUTATION_INPUT]
    ) -> ProposeMatchResult:
        match = await partners.propose_match(
            actor=info.context.actor,
            need_id=require_key(input.need_id, "Need", "needId"),
            resource_id=require_key(input.resource_id, "ResourceOffer", "resourceId"),
            quantity=input.quantity,
            covers=input.covers,
            message=input.message,
        )
        return ProposeMatchSuccess(match=Match.from_model(match))

    @strawberry.mutation(
        description="Accept a proposed match (the other side): quantities are committed, never "
        "over-committed, and the co-building project is created or extended."
    )
    async def accept_match(
        self, info: Info, input: Annotated[AcceptMatchInput, MUTATION_INPUT]
    ) -> AcceptMatchResult:
        match = await partners.accept_match(
            actor=info.context.actor, match_id=require_key(input.match_id, "Match", "matchId")
        )
        assert match.project_id is not None  # set when accepted
        project = await info.context.loaders.project.load(match.project_id)
        return AcceptMatchSuccess(
            match=Match.from_model(match), project=Project.from_model(project)
        )

    @strawberry.mutation(description="Decline a proposed match (the other side).")
    async def decline_match(
        self, info: Info, input: Annotated[DeclineMatchInput, MUTATION_INPUT]
    ) -> MatchResult:
        match = await partners.decline_match(
            actor=info.context.actor,
            match_id=require_key(input.match_id, "Match", "matchId"),
            reason=input.reason,
        )
        return MatchSuccess(match=Match.from_model(match))

    @strawberry.mutation(description="Withdraw your side's proposed match.")
    async def withdraw_match(
        self, info: Info, input: Annotated[WithdrawMatchInput, MUTATION_INPUT]
    ) -> MatchResult:
        match = await partners.withdraw_match(
            actor=info.context.actor, match_id=require_key(input.match_id, "Match", "matchId")
        )
        return MatchSuccess(match=Match.from_model(match))

    @strawberry.mutation(description="Create a co-building project (community admins).")
    async def create_project(
        self, info: Info, input: Annotated[CreateProjectInput, MUTATION_INPUT]
    ) -> ProjectResult:
        project = await partners.create_project(
            actor=info.context.actor,
            community_id=require_key(input.community_id, "Area", "communityId"),
            title=input.title,
            description=input.description,
            claimable=input.claimable,
            people_served=input.people_served,
        )
        return ProjectSuccess(project=Project.from_model(project))

    @strawberry.mutation(description="Change a project's details or status.")
    async def update_project(
        self, info: Info, input: Annotated[UpdateProjectInput, MUTATION_INPUT]
    ) -> ProjectResult:
        project = await partners.update_project(
            actor=info.context.actor,
            project_id=require_key(input.project_id, "Project", "projectId"),
            title=input.title,
            description=input.description,
            status=input.status,
            people_served=input.people_served,
            claimable=input.claimable,
        )
        return ProjectSuccess(project=Project.from_model(project))

    @strawberry.mutation(description="Add a milestone to a project.")
    async def add_milestone(
        self, info: Info, input: Annotated[AddMilestoneInput, MUTATION_INPUT]
    ) -> MilestoneResult:
        milestone = await partners.add_milestone(
            actor=info.context.actor,
            project_id=require_key(input.project_id, "Project", "projectId"),
            title=input.title,
            due_on=input.due_on,
            progress=input.progress,
        )
        project = await info.context.loaders.project.load(milestone.project_id)
        return MilestoneSuccess(
            milestone=ProjectMilestone.from_model(milestone), project=Project.from_model(project)
        )

    @strawberry.mutation(description="Update a milestone's progress or details.")
    async def update_milestone(
        self, info: Info, input: Annotated[UpdateMilestoneInput, MUTATION_INPUT]
    ) -> MilestoneResult:
        milestone = await partners.update_milestone(
            actor=info.context.actor,
            milestone_id=require_key(input.milestone_id, "ProjectMilestone", "milestoneId"),
            title=_unset(input.title),
            due_on=_unset(input.due_on),
            clear_due_on=input.due_on is None,
            progress=_unset(input.progress),
            note=_unset(input.note),
        )
        project = await info.context.loaders.project.load(milestone.project_id)
        return MilestoneSuccess(
            milestone=ProjectMilestone.from_model(milestone), project=Project.from_model(project)
        )

    @strawberry.mutation(description="Claim (认领) a service project for a property company.")
    async def claim_project(
        self, info: Info, input: Annotated[ClaimProjectInput, MUTATION_INPUT]
    ) -> ProjectResult:
        project = await partners.claim_project(
            actor=info.context.actor,
            project_id=require_key(input.project_id, "Project", "projectId"),
            unit_id=_unit(input.unit_id),
        )
        return ProjectSuccess(project=Project.from_model(project))

    @strawberry.mutation(
        description="Stock the points marketplace from a GOODS or SERVICE resource: a reward "
        "whose provider is the unit; its members see and hand over the redemptions."
    )
    async def stock_reward_from_resource(
        self, info: Info, input: Annotated[StockRewardFromResourceInput, MUTATION_INPUT]
    ) -> StockRewardFromResourceResult:
        reward = await partners.stock_reward(
            actor=info.context.actor,
            resource_id=require_key(input.resource_id, "ResourceOffer", "resourceId"),
            quantity=input.quantity,
            price_points=input.price_points,
            name=input.name,
            description=input.description,
            per_person_limit=input.per_person_limit,
            pickup_location=input.pickup_location,
            idempotency_key=input.idempotency_key,
        )
        assert reward.resource_id is not None
        (offer,) = await partners.resources_by_ids(
            actor=info.context.actor, resource_ids=[reward.resource_id]
        )
        return StockRewardFromResourceSuccess(
            reward=Reward.from_model(reward), resource=ResourceOffer.from_model(offer)
        )


def _area_ids(ids: list[relay.GlobalID] | None) -> list[int] | None:
    if ids is None:
        return None
    return [require_key(i, "Area", "servedAreaIds") for i in ids]
