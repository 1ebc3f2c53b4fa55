"""What the volunteering mutations answer: a success type each, and the result union of it
and the errors the mutation may answer with."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.core.errors import (
    Conflict,
    IdempotencyConflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
    UserErrors,
)
from schema.photos import Photo
from schema.volunteering.types import (
    ActivitySignUp,
    TeamMembership,
    VolunteerActivity,
    VolunteerTeam,
)


@strawberry.type(description="The team exists; its leader is its first member.")
class CreateTeamSuccess:
    team: VolunteerTeam = strawberry.field(description="The new team.")


CreateTeamResult = Annotated[
    CreateTeamSuccess | UserErrors | Conflict,
    strawberry.union("CreateTeamResult", description="The team or why not."),
]


@strawberry.type(description="Applied: the leader or an admin reviews it.")
class JoinTeamSuccess:
    membership: TeamMembership = strawberry.field(description="The pending membership.")


JoinTeamResult = Annotated[
    JoinTeamSuccess | UserErrors | Conflict,
    strawberry.union("JoinTeamResult", description="The application or why not."),
]


@strawberry.type(description="Reviewed.")
class ReviewTeamMemberSuccess:
    membership: TeamMembership = strawberry.field(description="The membership now.")


ReviewTeamMemberResult = Annotated[
    ReviewTeamMemberSuccess | UserErrors | Conflict,
    strawberry.union("ReviewTeamMemberResult", description="The review or why not."),
]


@strawberry.type(description="Left.")
class LeaveTeamSuccess:
    membership: TeamMembership = strawberry.field(description="The ended membership.")


LeaveTeamResult = Annotated[
    LeaveTeamSuccess | InvalidInput | NotFound | Unauthenticated | Conflict,
    strawberry.union("LeaveTeamResult", description="Done or why not."),
]


@strawberry.type(description="Scheduled.")
class CreateActivitySuccess:
    activity: VolunteerActivity = strawberry.field(description="The new activity.")


CreateActivityResult = Annotated[
    CreateActivitySuccess | UserErrors,
    strawberry.union("CreateActivityResult", description="The activity or why not."),
]


@strawberry.type(description="Cancelled.")
class CancelActivitySuccess:
    activity: VolunteerActivity = strawberry.field(description="The cancelled activity.")


CancelActivityResult = Annotated[
    CancelActivitySuccess | UserErrors | Conflict,
    strawberry.union("CancelActivityResult", description="The activity or why not."),
]


@strawberry.type(description="The photos are added.")
class AddActivityPhotosSuccess:
    activity: VolunteerActivity = strawberry.field(description="The activity.")
    photos: list[Photo] = strawberry.field(description="The photos just added.")


AddActivityPhotosResult = Annotated[
    AddActivityPhotosSuccess | UserErrors,
    strawberry.union("AddActivityPhotosResult", description="The new photos or why not."),
]


@strawberry.type(description="Signed up: a place is yours.")
class SignUpForActivitySuccess:
    sign_up: ActivitySignUp = strawberry.field(description="The sign-up.")


SignUpForActivityResult = Annotated[
    SignUpForActivitySuccess | UserErrors | Conflict,
    strawberry.union(
        "SignUpForActivityResult",
        description="The sign-up, or why not (Conflict: full, overlapping, started, twice).",
    ),
]


@strawberry.type(description="Withdrawn: the place is free again.")
class CancelSignUpSuccess:
    sign_up: ActivitySignUp = strawberry.field(description="The withdrawn sign-up.")


CancelSignUpResult = Annotated[
    CancelSignUpSuccess | InvalidInput | NotFound | Unauthenticated | Conflict | InvalidTransition,
    strawberry.union(
        "CancelSignUpResult",
        description="Done or why not (InvalidTransition: checked in already).",
    ),
]


@strawberry.type(description="Checked in.")
class CheckInSuccess:
    sign_up: ActivitySignUp = strawberry.field(description="The sign-up now.")


@strawberry.type(description="Checked out: the hours wait for an organiser's approval.")
class CheckOutSuccess:
    sign_up: ActivitySignUp = strawberry.field(description="The sign-up now.")


CheckInResult = Annotated[
    CheckInSuccess | UserErrors | Conflict | TooManyAttempts,
    strawberry.union("CheckInResult", description="The sign-up or why not."),
]


CheckOutResult = Annotated[
    CheckOutSuccess | UserErrors | Conflict | TooManyAttempts,
    strawberry.union("CheckOutResult", description="The sign-up or why not."),
]


@strawberry.type(description="Approved; points were awarded through VOLUNTEER_HOUR.")
class ApproveHoursSuccess:
    sign_ups: list[ActivitySignUp] = strawberry.field(description="The sign-ups now.")
    capped: list[ActivitySignUp] = strawberry.field(
        description="Those of them whose points a cap cut (`cappedHours` says by how many "
        "hours; the hours stay approved and on record)."
    )


ApproveHoursResult = Annotated[
    ApproveHoursSuccess | UserErrors | Conflict | IdempotencyConflict,
    strawberry.union("ApproveHoursResult", description="The sign-ups or why none was approved."),
]


@strawberry.type(description="Declined.")
class DeclineHoursSuccess:
    sign_ups: list[ActivitySignUp] = strawberry.field(description="The sign-ups now.")


DeclineHoursResult = Annotated[
    DeclineHoursSuccess | UserErrors | Conflict,
    strawberry.union("DeclineHoursResult", description="The sign-ups or why none was declined."),
]
