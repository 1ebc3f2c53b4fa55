"""Mutations of volunteer teams and activities."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.core.errors import MUTATION_INPUT
from schema.core.ids import node_key, require_key
from schema.photos import from_models, uploads
from schema.volunteering.inputs import (
    AddActivityPhotosInput,
    ApproveHoursInput,
    CancelActivityInput,
    CancelSignUpInput,
    CheckInInput,
    CheckOutInput,
    CreateActivityInput,
    CreateTeamInput,
    DeclineHoursInput,
    JoinTeamInput,
    LeaveTeamInput,
    ReviewTeamMemberInput,
    SignUpForActivityInput,
)
from schema.volunteering.payloads import (
    AddActivityPhotosResult,
    AddActivityPhotosSuccess,
    ApproveHoursResult,
    ApproveHoursSuccess,
    CancelActivityResult,
    CancelActivitySuccess,
    CancelSignUpResult,
    CancelSignUpSuccess,
    CheckInResult,
    CheckInSuccess,
    CheckOutResult,
    CheckOutSuccess,
    CreateActivityResult,
    CreateActivitySuccess,
    CreateTeamResult,
    CreateTeamSuccess,
    DeclineHoursResult,
    DeclineHoursSuccess,
    JoinTeamResult,
    JoinTeamSuccess,
    LeaveTeamResult,
    LeaveTeamSuccess,
    ReviewTeamMemberResult,
    ReviewTeamMemberSuccess,
    SignUpForActivityResult,
    SignUpForActivitySuccess,
)
from schema.volunteering.types import (
    ActivitySignUp,
    TeamMembership,
    VolunteerActivity,
    VolunteerTeam,
)
from services import volunteering


def _sign_up_keys(ids: list[relay.GlobalID]) -> list[int]:
    return [require_key(i, "ActivitySignUp", "signUpIds") for i in ids]


@strawberry.type
class VolunteeringMutation:
    @strawberry.mutation(description="Set up a volunteer team (admins of its area).")
    async def create_team(
        self, info: Info, input: Annotated[CreateTeamInput, MUTATION_INPUT]
    ) -> CreateTeamResult:
        team = await volunteering.create_team(
            actor=info.context.actor,
            area_id=require_key(input.area_id, "Area", "areaId"),
            name=input.name,
            kind=input.kind,
            leader_id=require_key(input.leader_id, "Person", "leaderId"),
            description=input.description,
            unit_id=node_key(input.unit_id, "PartnerUnit", "unitId"),
        )
        return CreateTeamSuccess(team=VolunteerTeam.from_model(team))

    @strawberry.mutation(description="Apply to join a team of your community.")
    async def join_team(
        self, info: Info, input: Annotated[JoinTeamInput, MUTATION_INPUT]
    ) -> JoinTeamResult:
        membership = await volunteering.join_team(
            actor=info.context.actor, team_id=require_key(input.team_id, "VolunteerTeam", "teamId")
        )
        return JoinTeamSuccess(membership=TeamMembership.from_model(membership))

    @strawberry.mutation(description="Approve or reject an application (leader or admins).")
    async def review_team_member(
        self, info: Info, input: Annotated[ReviewTeamMemberInput, MUTATION_INPUT]
    ) -> ReviewTeamMemberResult:
        membership = await volunteering.review_member(
            actor=info.context.actor,
            membership_id=require_key(input.membership_id, "TeamMembership", "membershipId"),
            approve=input.approve,
            reason=input.reason,
        )
        return ReviewTeamMemberSuccess(membership=TeamMembership.from_model(membership))

    @strawberry.mutation(description="Leave a team, or withdraw your application.")
    async def leave_team(
        self, info: Info, input: Annotated[LeaveTeamInput, MUTATION_INPUT]
    ) -> LeaveTeamResult:
        membership = await volunteering.leave_team(
            actor=info.context.actor, team_id=require_key(input.team_id, "VolunteerTeam", "teamId")
        )
        return LeaveTeamSuccess(membership=TeamMembership.from_model(membership))

    @strawberry.mutation(description="Schedule (or, admins, record) a volunteer activity.")
    async def create_activity(
        self, info: Info, input: Annotated[CreateActivityInput, MUTATION_INPUT]
    ) -> CreateActivityResult:
        activity = await volunteering.create_activity(
            actor=info.context.actor,
            area_id=node_key(input.area_id, "Area", "areaId"),
            team_id=node_key(input.team_id, "VolunteerTeam", "teamId"),
            project_id=node_key(input.project_id, "Project", "projectId"),
            title=input.title,
            place=input.place,
            starts_at=input.starts_at,
            ends_at=input.ends_at,
            capacity=input.capacity,
        )
        return CreateActivitySuccess(activity=VolunteerActivity.from_model(activity))

    @strawberry.mutation(description="Cancel an activity before it starts (its organisers).")
    async def cancel_activity(
        self, info: Info, input: Annotated[CancelActivityInput, MUTATION_INPUT]
    ) -> CancelActivityResult:
        activity = await volunteering.cancel_activity(
            actor=info.context.actor,
            activity_id=require_key(input.activity_id, "VolunteerActivity", "activityId"),
            reason=input.reason,
        )
        return CancelActivitySuccess(activity=VolunteerActivity.from_model(activity))

    @strawberry.mutation(
        description="Add photos to an activity (活动照片): its organisers (whoever created it, "
        "its team's leader, the admins of its area)."
    )
    async def add_activity_photos(
        self, info: Info, input: Annotated[AddActivityPhotosInput, MUTATION_INPUT]
    ) -> AddActivityPhotosResult:
        activity_id = require_key(input.activity_id, "VolunteerActivity", "activityId")
        added = await volunteering.add_activity_photos(
            actor=info.context.actor, activity_id=activity_id, photos=uploads(input.photos)
        )
        (activity,) = await volunteering.activities_by_ids(activity_ids=[activity_id])
        assert activity is not None  # it just took the photos
        return AddActivityPhotosSuccess(
            activity=VolunteerActivity.from_model(activity), photos=from_models(added)
        )

    @strawberry.mutation(
        description="Sign up for an open activity in reach: of your community (where you live "
        "or hold a role) or of a team you belong to; never two overlapping activities."
    )
    async def sign_up_for_activity(
        self, info: Info, input: Annotated[SignUpForActivityInput, MUTATION_INPUT]
    ) -> SignUpForActivityResult:
        entry = await volunteering.sign_up(
            actor=info.context.actor,
            activity_id=require_key(input.activity_id, "VolunteerActivity", "activityId"),
        )
        return SignUpForActivitySuccess(sign_up=ActivitySignUp.from_model(entry))

    @strawberry.mutation(description="Withdraw your sign-up before the activity starts.")
    async def cancel_sign_up(
        self, info: Info, input: Annotated[CancelSignUpInput, MUTATION_INPUT]
    ) -> CancelSignUpResult:
        entry = await volunteering.cancel_sign_up(
            actor=info.context.actor,
            activity_id=require_key(input.activity_id, "VolunteerActivity", "activityId"),
        )
        return CancelSignUpSuccess(sign_up=ActivitySignUp.from_model(entry))

    @strawberry.mutation(
        description="Check in (from 30 minutes before the start to the end): yourself by code, "
        "or a participant by an organiser (who signs up walk-ins)."
    )
    async def check_in(
        self, info: Info, input: Annotated[CheckInInput, MUTATION_INPUT]
    ) -> CheckInResult:
        entry = await volunteering.check_in(
            actor=info.context.actor,
            activity_id=require_key(input.activity_id, "VolunteerActivity", "activityId"),
            code=input.code,
            person_id=node_key(input.person_id, "Person", "personId"),
            at=input.at,
        )
        return CheckInSuccess(sign_up=ActivitySignUp.from_model(entry))

    @strawberry.mutation(
        description="Check out: yourself by code, or a participant by an organiser; the "
        "minutes served become hours pending approval."
    )
    async def check_out(
        self, info: Info, input: Annotated[CheckOutInput, MUTATION_INPUT]
    ) -> CheckOutResult:
        entry = await volunteering.check_out(
            actor=info.context.actor,
            activity_id=require_key(input.activity_id, "VolunteerActivity", "activityId"),
            code=input.code,
            person_id=node_key(input.person_id, "Person", "personId"),
            at=input.at,
        )
        return CheckOutSuccess(sign_up=ActivitySignUp.from_model(entry))

    @strawberry.mutation(
        description="Approve pending hours in bulk; each earns VOLUNTEER_HOUR points once "
        "(whole hours, rounded half up, as many as fit the rule's caps in the day the hours "
        "were served; `capped` lists the sign-ups a cap cut)."
    )
    async def approve_hours(
        self, info: Info, input: Annotated[ApproveHoursInput, MUTATION_INPUT]
    ) -> ApproveHoursResult:
        found = await volunteering.approve_hours(
            actor=info.context.actor,
            sign_up_ids=_sign_up_keys(input.sign_up_ids),
            idempotency_key=input.idempotency_key,
        )
        sign_ups = [ActivitySignUp.from_model(s) for s in found]
        return ApproveHoursSuccess(
            sign_ups=sign_ups, capped=[s for s in sign_ups if s.capped_hours]
        )

    @strawberry.mutation(description="Decline pending hours with a reason (kept on record).")
    async def decline_hours(
        self, info: Info, input: Annotated[DeclineHoursInput, MUTATION_INPUT]
    ) -> DeclineHoursResult:
        found = await volunteering.decline_hours(
            actor=info.context.actor,
            sign_up_ids=_sign_up_keys(input.sign_up_ids),
            reason=input.reason,
        )
        return DeclineHoursSuccess(sign_ups=[ActivitySignUp.from_model(s) for s in found])
