"""The volunteering enums, registered with Strawberry once, with their GraphQL descriptions.

`strawberry.enum` returns the services' class itself: fields and arguments are annotated with
`services.enums.X` directly (this module only has to be imported before the schema is built,
which `schema.volunteering` does first)."""

from __future__ import annotations

import strawberry

from schema.core.errors import describe_values
from services.enums import (
    ActivityStatus,
    HoursStatus,
    MembershipStatus,
    PointsWithheldReason,
    SignUpStatus,
    TeamKind,
)

strawberry.enum(TeamKind, description="What a volunteer team (志愿服务队) is.")
describe_values(
    TeamKind,
    {
        "PARTY_MEMBER_SERVICE_TEAM": "Party-member volunteer service team (党员志愿服务队).",
        "YOUTH_VOLUNTEER_TEAM": "Youth volunteer team (青年志愿服务队).",
        "ELDERLY_CARE_TEAM": "Elderly care team (助老服务队).",
        "PROFESSIONAL_SERVICE_TEAM": "Professional service team (专业服务队): doctors, lawyers...",
        "GENERAL_VOLUNTEER_TEAM": "Any other volunteer team.",
    },
)
strawberry.enum(
    MembershipStatus, name="TeamMembershipStatus", description="Where a membership stands."
)
describe_values(
    MembershipStatus,
    {
        "PENDING": "Applied: waiting for the team's leader or an admin.",
        "APPROVED": "A member of the team.",
        "REJECTED": "Rejected, with a reason.",
        "LEFT": "Left the team (or withdrew the application).",
    },
)
strawberry.enum(ActivityStatus, description="Where an activity stands.")
describe_values(
    ActivityStatus,
    {
        "OPEN": "Scheduled (or under way, or done: see startsAt and endsAt).",
        "CANCELLED": "Cancelled before it started, with a reason.",
    },
)
strawberry.enum(SignUpStatus, description="Where a sign-up stands.")
describe_values(
    SignUpStatus,
    {
        "SIGNED_UP": "Holds a place.",
        "CANCELLED": "Withdrawn before the start; the place was freed.",
    },
)
strawberry.enum(HoursStatus, description="Where service hours stand.")
describe_values(
    HoursStatus,
    {
        "PENDING": "Checked out: waiting for an organiser.",
        "APPROVED": "Approved: points were awarded for the hours that fit the rule's caps.",
        "DECLINED": "Declined with a reason; kept on record, no points.",
    },
)
strawberry.enum(
    PointsWithheldReason,
    description="Why approved service hours earned no points, or fewer than were served (the "
    "hours stay approved and on record).",
)
describe_values(
    PointsWithheldReason,
    {
        "CAPPED": "The VOLUNTEER_HOUR rule's caps (in the day, month or quarter the hours were "
        "served) left some or all of them out: see cappedHours.",
        "NO_RULE": "The community had no active VOLUNTEER_HOUR points rule when the hours were "
        "approved (none, or it was retired).",
        "NOT_A_RECEIVER": "The rule pays only some roles, and the volunteer holds none of them.",
        "NO_POINTS": "The rule pays no points per hour.",
    },
)
