"""Mutations of partner units, cadres, resource and need lists, matches, projects and
marketplace stocking."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from schema.core.arguments import source_of
from schema.core.context import Info
from schema.core.errors import MUTATION_INPUT
from schema.core.ids import require_key
from schema.core.inputs import given
from schema.core.loaders import load_existing
from schema.grids import Area
from schema.market import Reward
from schema.partners.inputs import (
    AcceptMatchInput,
    AddMilestoneInput,
    AddPartnerMemberInput,
    AssignCadreInput,
    ClaimProjectInput,
    CreateProjectInput,
    DeclineMatchInput,
    LeavePartnerUnitInput,
    PostNeedInput,
    PostResourceInput,
    ProposeMatchInput,
    RecordCadreServiceInput,
    RegisterPartnerUnitInput,
    RemovePartnerMemberInput,
    ReviewPartnerUnitInput,
    SetProjectClaimKindsInput,
    StockRewardFromResourceInput,
    UpdateMilestoneInput,
    UpdateNeedInput,
    UpdateProjectInput,
    UpdateResourceInput,
    WithdrawMatchInput,
)
from schema.partners.payloads import (
    AcceptMatchResult,
    AcceptMatchSuccess,
    AddPartnerMemberResult,
    AddPartnerMemberSuccess,
    AssignCadreResult,
    AssignCadreSuccess,
    LeavePartnerUnitResult,
    LeavePartnerUnitSuccess,
    MatchResult,
    MatchSuccess,
    MilestoneResult,
    MilestoneSuccess,
    PostNeedResult,
    PostNeedSuccess,
    PostResourceResult,
    PostResourceSuccess,
    ProjectResult,
    ProjectSuccess,
    ProposeMatchResult,
    ProposeMatchSuccess,
    RecordCadreServiceResult,
    RecordCadreServiceSuccess,
    RegisterPartnerUnitResult,
    RegisterPartnerUnitSuccess,
    RemovePartnerMemberResult,
    RemovePartnerMemberSuccess,
    ReviewPartnerUnitResult,
    ReviewPartnerUnitSuccess,
    SetProjectClaimKindsResult,
    SetProjectClaimKindsSuccess,
    StockRewardFromResourceResult,
    StockRewardFromResourceSuccess,
    UpdateNeedResult,
    UpdateNeedSuccess,
    UpdateResourceResult,
    UpdateResourceSuccess,
)
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
from services import partners
from services.points import Source


def _sources(ids: list[relay.GlobalID] | None) -> list[Source] | None:
    if ids is None:
        return None
    found = [source_of(i) for i in ids]
    return [s for s in found if s is not None]


def _unit(global_id: relay.GlobalID) -> int:
    return require_key(global_id, "PartnerUnit", "unitId")


def _successor(global_id: relay.GlobalID | None) -> int | None:
    if global_id is None:
        return None
    return require_key(global_id, "Person", "successorId")


def _area_ids(ids: list[relay.GlobalID] | None) -> list[int] | None:
    if ids is None:
        return None
    return [require_key(i, "Area", "servedAreaIds") for i in ids]


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
        unit = await load_existing(info.context.loaders.partner_unit, member.unit_id)
        return AddPartnerMemberSuccess(
            member=PartnerMember.from_model(member), unit=PartnerUnit.from_model(unit)
        )

    @strawberry.mutation(
        description="Remove a member from a unit (its managers, community admins); kept as "
        "history. The last manager goes only with a successor named."
    )
    async def remove_partner_member(
        self, info: Info, input: Annotated[RemovePartnerMemberInput, MUTATION_INPUT]
    ) -> RemovePartnerMemberResult:
        member = await partners.remove_member(
            actor=info.context.actor,
            unit_id=_unit(input.unit_id),
            person_id=require_key(input.person_id, "Person", "personId"),
            successor_id=_successor(input.successor_id),
        )
        unit = await load_existing(info.context.loaders.partner_unit, member.unit_id)
        return RemovePartnerMemberSuccess(
            member=PartnerMember.from_model(member), unit=PartnerUnit.from_model(unit)
        )

    @strawberry.mutation(
        description="Leave a unit you work for; kept as history. The last manager names a "
        "successor."
    )
    async def leave_partner_unit(
        self, info: Info, input: Annotated[LeavePartnerUnitInput, MUTATION_INPUT]
    ) -> LeavePartnerUnitResult:
        member = await partners.leave_unit(
            actor=info.context.actor,
            unit_id=_unit(input.unit_id),
            successor_id=_successor(input.successor_id),
        )
        unit = await load_existing(info.context.loaders.partner_unit, member.unit_id)
        return LeavePartnerUnitSuccess(
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
        assert assignment is not None  # the actor just recorded its service, so may see it
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
        resource_id = require_key(input.resource_id, "ResourceOffer", "resourceId")
        changes = given(input, exclude=("resource_id",))
        if "served_area_ids" in changes:
            changes["served_area_ids"] = _area_ids(changes["served_area_ids"])
        offer = await partners.update_resource(
            actor=info.context.actor, resource_id=resource_id, changes=changes
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
        need_id = require_key(input.need_id, "Need", "needId")
        changes = given(input, exclude=("need_id", "source_ids"))
        if input.source_ids is not strawberry.UNSET:
            changes["sources"] = _sources(input.source_ids)
        need = await partners.update_need(
            actor=info.context.actor, need_id=need_id, changes=changes
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
        project = await load_existing(info.context.loaders.project, match.project_id)
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
        project = await load_existing(info.context.loaders.project, milestone.project_id)
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
            changes=given(input, exclude=("milestone_id",)),
        )
        project = await load_existing(info.context.loaders.project, milestone.project_id)
        return MilestoneSuccess(
            milestone=ProjectMilestone.from_model(milestone), project=Project.from_model(project)
        )

    @strawberry.mutation(
        description="Choose which kinds of unit may claim (认领) a community's projects (its "
        "admins)."
    )
    async def set_project_claim_kinds(
        self, info: Info, input: Annotated[SetProjectClaimKindsInput, MUTATION_INPUT]
    ) -> SetProjectClaimKindsResult:
        community_id = require_key(input.community_id, "Area", "communityId")
        kinds = await partners.set_claim_kinds(
            actor=info.context.actor, community_id=community_id, kinds=input.kinds
        )
        return SetProjectClaimKindsSuccess(
            community=await Area.load(info, community_id), kinds=kinds
        )

    @strawberry.mutation(
        description="Claim (认领) a service project for a unit you manage, of a kind the "
        "community allows."
    )
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
        assert offer is not None  # the actor manages its unit, so may see it
        return StockRewardFromResourceSuccess(
            reward=Reward.from_model(reward), resource=ResourceOffer.from_model(offer)
        )
