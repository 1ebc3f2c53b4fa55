"""Inputs of the volunteering mutations."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.file_uploads import Upload

from schema.core.ids import id_field
from schema.photos import PHOTOS_DESCRIPTION
from services.enums import TeamKind


@strawberry.input(description="Set up a volunteer team (admins of its area).")
class CreateTeamInput:
    area_id: relay.GlobalID = id_field("Area", description="Its community, grid or micro-grid.")
    name: str = strawberry.field(description="Name, unique in the area (1-100 characters).")
    kind: TeamKind = strawberry.field(description="What kind of team.")
    leader_id: relay.GlobalID = id_field(
        "Person", description="The leader: a person who lives or holds a role in the community."
    )
    description: str = strawberry.field(default="", description="What it does (0-500).")
    unit_id: relay.GlobalID | None = id_field(
        "PartnerUnit",
        default=None,
        description="The partner unit it belongs to (an approved unit of the community).",
    )


@strawberry.input(description="A team, by id.")
class JoinTeamInput:
    team_id: relay.GlobalID = id_field("VolunteerTeam", description="The team to apply to.")


@strawberry.input(description="Approve or reject an application (the leader or an admin).")
class ReviewTeamMemberInput:
    membership_id: relay.GlobalID = id_field(
        "TeamMembership", description="The pending membership."
    )
    approve: bool = strawberry.field(description="true: approve; false: reject.")
    reason: str | None = strawberry.field(
        default=None, description="Why (required to reject; shown to the applicant)."
    )


@strawberry.input(description="Leave a team (or withdraw an application).")
class LeaveTeamInput:
    team_id: relay.GlobalID = id_field("VolunteerTeam", description="The team.")


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


@strawberry.input(description="Cancel an activity before it starts (its organisers).")
class CancelActivityInput:
    activity_id: relay.GlobalID = id_field("VolunteerActivity", description="The activity.")
    reason: str = strawberry.field(description="Why (shown to those who signed up).")


@strawberry.input(description="Add photos to an activity (活动照片; its organisers).")
class AddActivityPhotosInput:
    activity_id: relay.GlobalID = id_field("VolunteerActivity", description="The activity.")
    photos: list[Upload] = strawberry.field(
        description=f"{PHOTOS_DESCRIPTION} The limit counts the activity's photos so far."
    )


@strawberry.input(description="An activity, by id.")
class SignUpForActivityInput:
    activity_id: relay.GlobalID = id_field("VolunteerActivity", description="The activity.")


@strawberry.input(description="Withdraw your sign-up before the activity starts.")
class CancelSignUpInput:
    activity_id: relay.GlobalID = id_field("VolunteerActivity", description="The activity.")


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


@strawberry.input(description="Decline pending hours with a reason (the record stays).")
class DeclineHoursInput:
    sign_up_ids: list[relay.GlobalID] = id_field("ActivitySignUp", description="1-200 sign-ups.")
    reason: str = strawberry.field(description="Why (shown to the participant).")
