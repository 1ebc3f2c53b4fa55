"""Queries and mutations of volunteer teams and activities."""

from __future__ import annotations

from datetime import datetime
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
    NotFound,
    TooManyAttempts,
    Unauthenticated,
)
from schema.core.ids import id_argument, id_field, node_key, require_key
from schema.core.pagination import After, Connection, First, page_args
from schema.volunteering.types import (
    ActivitySignUp,
    TeamKind,
    TeamMembership,
    VolunteerActivity,
    VolunteerTeam,
)
from services import volunteering

# --- teams ---------------------------------------------------------------------------------


@strawberry.input(description="Set up a volunteer team (admins of its area).")
class CreateTeamInput:
    area_id: relay.GlobalID = id_field("Area", description="Its community, grid or micro-grid.")
    name: str = strawberry.field(description="Name, unique in the area (1-100 characters).")
    kind: TeamKind = strawberry.field(description="What kind of team.")  # type: ignore[valid-type]
    leader_id: relay.GlobalID = id_field(
        "Person", description="The leader: a person who lives or holds a role in the community."
    )
    description: str = strawberry.field(default="", description="What it does (0-500).")
    unit_id: relay.GlobalID | None = id_field(
        "PartnerUnit",
        default=None,
        description="The partner unit it belongs to (an approved unit of the community).",
    )


@strawberry.type(description="The team exists; its leader is its first member.")
class CreateTeamSuccess:
    team: VolunteerTeam = strawberry.field(description="The new team.")


CreateTeamResult = Annotated[
    CreateTeamSuccess | InvalidInput | NotFound | Forbidden | Unauthenticated | Conflict,
    strawberry.union("CreateTeamResult", description="The team or why not."),
]


@strawberry.input(description="A team, by id.")
class JoinTeamInput:
    team_id: relay.GlobalID = id_field("VolunteerTeam", description="The team to apply to.")


@strawberry.type(description="Applied: the leader or an admin reviews it.")
class JoinTeamSuccess:
    membership: TeamMembership = strawberry.field(description="The pending membership.")


JoinTeamResult = Annotated[
    JoinTeamSuccess | InvalidInput | NotFound | Forbidden | Unauthenticated | Conflict,
    strawberry.union("JoinTeamResult", description="The application or why not."),
]


@strawberry.input(description="Approve or reject an application (the leader or an admin).")
class ReviewTeamMemberInput:
    membership_id: relay.GlobalID = id_field(
        "TeamMembership", description="The pending membership."
    )
    approve: bool = strawberry.field(description="true: approve; false: reject.")
    reason: str | None = strawberry.field(
        default=None, description="Why (required to reject; shown to the applicant)."
    )


@strawberry.type(description="Reviewed.")
class ReviewTeamMemberSuccess:
    membership: TeamMembership = strawberry.field(description="The membership now.")


ReviewTeamMemberResult = Annotated[
    ReviewTeamMemberSuccess | InvalidInput | NotFound | Forbidden | Unauthenticated | Conflict,
    strawberry.union("ReviewTeamMemberResult", description="The review or why not."),
]


@strawberry.input(description="Leave a team (or withdraw an application).")
class LeaveTeamInput:
    team_id: relay.GlobalID = id_field("VolunteerTeam", description="The team.")


@strawberry.type(description="Left.")
class LeaveTeamSuccess:
    membership: TeamMembership = strawberry.field(description="The ended membership.")


LeaveTeamResult = Annotated[
    LeaveTeamSuccess | InvalidInput | NotFound | Unauthenticated | Conflict,
    strawberry.union("LeaveTeamResult", description="Done or why not."),
]

# --- activities ----------------------------------------------------------------------------


@strawberry.input(
    description="Schedule an activity (the team's leader, or admins of the area; admins may "
    "also record a past one). Give the area, the team, or both."
)
class CreateActivityInput:
    area_id: relay.GlobalID | None = id_field(
        "Area",
        default=None,
        description="Community, grid or micro-grid (default: the team's area).",
    )
    team_id: relay.GlobalID | None = id_field(
        "VolunteerTeam", default=None, description="The team that runs it (same community)."
    )
    project_id: relay.GlobalID | None = id_field(
        "Project",
        default=None,
        description="The co-building project it is held under (a project of the community, "
        "not closed, that you run or contribute to).",
    )
    title: str = strawberry.field(description="What it is (1-200 characters).")
    place: str = strawberry.field(description="Where to meet (1-200 characters).")
    starts_at: datetime = strawberry.field(description="Start, with its offset.")
    ends_at: datetime = strawberry.field(description="End, after the start, within 24 hours.")
    capacity: int = strawberry.field(description="Places, 1-1000.")


@strawberry.type(description="Scheduled.")
class CreateActivitySuccess:
    activity: VolunteerActivity = strawberry.field(description="The new activity.")


CreateActivityResult = Annotated[
    CreateActivitySuccess | InvalidInput | NotFound | Forbidden | Unauthenticated,
    strawberry.union("CreateActivityResult", description="The activity or why not."),
]


@strawberry.input(description="Cancel an activity before it starts (its organisers).")
class CancelActivityInput:
    activity_id: relay.GlobalID = id_field("VolunteerActivity", description="The activity.")
    reason: str = strawberry.field(description="Why (shown to those who signed up).")


@strawberry.type(description="Cancelled.")
class CancelActivitySuccess:
    activity: VolunteerActivity = strawberry.field(description="The cancelled activity.")


CancelActivityResult = Annotated[
    CancelActivitySuccess | InvalidInput | NotFound | Forbidden | Unauthenticated | Conflict,
    strawberry.union("CancelActivityResult", description="The activity or why not."),
]


@strawberry.input(description="An activity, by id.")
class SignUpForActivityInput:
    activity_id: relay.GlobalID = id_field("VolunteerActivity", description="The activity.")


@strawberry.type(description="Signed up: a place is yours.")
class SignUpForActivitySuccess:
    sign_up: ActivitySignUp = strawberry.field(description="The sign-up.")


SignUpForActivityResult = Annotated[
    SignUpForActivitySuccess | InvalidInput | NotFound | Forbidden | Unauthenticated | Conflict,
    strawberry.union(
        "SignUpForActivityResult",
        description="The sign-up, or why not (Conflict: full, overlapping, started, twice).",
    ),
]


@strawberry.input(description="Withdraw your sign-up before the activity starts.")
class CancelSignUpInput:
    activity_id: relay.GlobalID = id_field("VolunteerActivity", description="The activity.")


@strawberry.type(description="Withdrawn: the place is free again.")
class CancelSignUpSuccess:
    sign_up: ActivitySignUp = strawberry.field(description="The withdrawn sign-up.")


CancelSignUpResult = Annotated[
    CancelSignUpSuccess | InvalidInput | NotFound | Unauthenticated | Conflict,
    strawberry.union("CancelSignUpResult", description="Done or why not."),
]


@strawberry.input(
    description="Check in: yourself with the code the organiser shows, or (organisers) "
    "someone else by `personId`, optionally at a past `at` within the activity."
)
class CheckInInput:
    activity_id: relay.GlobalID = id_field("VolunteerActivity", description="The activity.")
    code: str | None = strawberry.field(default=None, description="The 6-digit code (yourself).")
    person_id: relay.GlobalID | None = id_field(
        "Person", default=None, description="The participant (organisers only)."
    )
    at: datetime | None = strawberry.field(
        default=None, description="When it happened (organisers; default now, never later)."
    )


@strawberry.input(
    description="Check out: yourself with the code the organiser shows, or (organisers) "
    "someone else by `personId`, optionally at a past `at`."
)
class CheckOutInput(CheckInInput):
    pass


@strawberry.type(description="Checked in.")
class CheckInSuccess:
    sign_up: ActivitySignUp = strawberry.field(description="The sign-up now.")


@strawberry.type(description="Checked out: the hours wait for an organiser's approval.")
class CheckOutSuccess:
    sign_up: ActivitySignUp = strawberry.field(description="The sign-up now.")


CheckInResult = Annotated[
    CheckInSuccess
    | InvalidInput
    | NotFound
    | Forbidden
    | Unauthenticated
    | Conflict
    | TooManyAttempts,
    strawberry.union("CheckInResult", description="The sign-up or why not."),
]
CheckOutResult = Annotated[
    CheckOutSuccess
    | InvalidInput
    | NotFound
    | Forbidden
    | Unauthenticated
    | Conflict
    | TooManyAttempts,
    strawberry.union("CheckOutResult", description="The sign-up or why not."),
]

# --- hours ---------------------------------------------------------------------------------


@strawberry.input(
    description="Approve pending hours (the activities' organisers; never your own). Each "
    "sign-up is awarded once, however often it is approved."
)
class ApproveHoursInput:
    sign_up_ids: list[relay.GlobalID] = id_field("ActivitySignUp", description="1-200 sign-ups.")
    idempotency_key: str = strawberry.field(
        description="Your key for this request: a retry with the same key and input returns "
        "the first result."
    )


@strawberry.type(description="Approved; points were awarded through VOLUNTEER_HOUR.")
class ApproveHoursSuccess:
    sign_ups: list[ActivitySignUp] = strawberry.field(description="The sign-ups now.")


ApproveHoursResult = Annotated[
    ApproveHoursSuccess
    | InvalidInput
    | NotFound
    | Forbidden
    | Unauthenticated
    | Conflict
    | IdempotencyConflict,
    strawberry.union("ApproveHoursResult", description="The sign-ups or why none was approved."),
]


@strawberry.input(description="Decline pending hours with a reason (the record stays).")
class DeclineHoursInput:
    sign_up_ids: list[relay.GlobalID] = id_field("ActivitySignUp", description="1-200 sign-ups.")
    reason: str = strawberry.field(description="Why (shown to the participant).")


@strawberry.type(description="Declined.")
class DeclineHoursSuccess:
    sign_ups: list[ActivitySignUp] = strawberry.field(description="The sign-ups now.")


DeclineHoursResult = Annotated[
    DeclineHoursSuccess | InvalidInput | NotFound | Forbidden | Unauthenticated | Conflict,
    strawberry.union("DeclineHoursResult", description="The sign-ups or why none was declined."),
]


def _sign_up_keys(ids: list[relay.GlobalID]) -> list[int]:
    return [require_key(i, "ActivitySignUp", "signUpIds") for i in ids]


@strawberry.type
class VolunteeringQuery:
    @strawberry.field(description="Volunteer teams whose home area lies under an area.")
    async def teams(
        self,
        info: Info,
        under: Annotated[relay.GlobalID, id_argument("Area", description="Area.")],
        first: First = None,
        after: After = None,
    ) -> Connection[VolunteerTeam]:
        size, key = page_args(info, first, after)
        page = await volunteering.list_teams(
            actor=info.context.actor,
            under_id=require_key(under, "Area", "under"),
            first=size,
            after=key,
        )
        return Connection.build(page, VolunteerTeam.from_model)

    @strawberry.field(
        description="Activities under an area: upcoming (open, not yet ended) soonest first, "
        "or all (cancelled too) latest first."
    )
    async def activities(
        self,
        info: Info,
        under: Annotated[relay.GlobalID, id_argument("Area", description="Area.")],
        upcoming: Annotated[
            bool, strawberry.argument(description="Only open activities not yet ended.")
        ] = False,
        first: First = None,
        after: After = None,
    ) -> Connection[VolunteerActivity]:
        size, key = page_args(info, first, after)
        page = await volunteering.list_activities(
            actor=info.context.actor,
            under_id=require_key(under, "Area", "under"),
            upcoming=upcoming,
            first=size,
            after=key,
        )
        return Connection.build(page, VolunteerActivity.from_model)


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
        "(whole hours, rounded half up, as many as fit the rule's caps)."
    )
    async def approve_hours(
        self, info: Info, input: Annotated[ApproveHoursInput, MUTATION_INPUT]
    ) -> ApproveHoursResult:
        found = await volunteering.approve_hours(
            actor=info.context.actor,
            sign_up_ids=_sign_up_keys(input.sign_up_ids),
            idempotency_key=input.idempotency_key,
        )
        return ApproveHoursSuccess(sign_ups=[ActivitySignUp.from_model(s) for s in found])

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
