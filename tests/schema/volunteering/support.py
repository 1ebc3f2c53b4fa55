"""What the volunteering GraphQL tests share: the operations and small helpers."""

from __future__ import annotations

from typing import Any

import httpx
from strawberry import relay

from services.models import Area
from tests.conftest import actor_for, login

RESULT = "__typename ... on Error { code message field }"


CREATE_TEAM = f"""
mutation T($input: CreateTeamInput!) {{ createTeam(input: $input) {{ {RESULT}
  ... on CreateTeamSuccess {{ team {{ id name kind memberCount leader {{ name }} area {{ name }}
    myMembership {{ status }} }} }} }} }}"""


JOIN = f"""
mutation J($input: JoinTeamInput!) {{ joinTeam(input: $input) {{ {RESULT}
  ... on JoinTeamSuccess {{ membership {{ id status team {{ name }} person {{ name }} }} }} }} }}"""


REVIEW = f"""
mutation R($input: ReviewTeamMemberInput!) {{ reviewTeamMember(input: $input) {{ {RESULT}
  ... on ReviewTeamMemberSuccess {{ membership {{ id status reviewReason }} }} }} }}"""


LEAVE = f"""
mutation L($input: LeaveTeamInput!) {{ leaveTeam(input: $input) {{ {RESULT}
  ... on LeaveTeamSuccess {{ membership {{ status leftAt }} }} }} }}"""


CREATE_ACTIVITY = f"""
mutation A($input: CreateActivityInput!) {{ createActivity(input: $input) {{ {RESULT}
  ... on CreateActivitySuccess {{ activity {{ id title capacity placesLeft status
    team {{ name }} area {{ name }} }} }} }} }}"""


CANCEL_ACTIVITY = f"""
mutation C($input: CancelActivityInput!) {{ cancelActivity(input: $input) {{ {RESULT}
  ... on CancelActivitySuccess {{ activity {{ status cancelReason }} }} }} }}"""


SIGN_UP = f"""
mutation S($input: SignUpForActivityInput!) {{ signUpForActivity(input: $input) {{ {RESULT}
  ... on SignUpForActivitySuccess {{ signUp {{ id status activity {{ signedUp placesLeft }} }} }}
}} }}"""


CANCEL_SIGN_UP = f"""
mutation X($input: CancelSignUpInput!) {{ cancelSignUp(input: $input) {{ {RESULT}
  ... on CancelSignUpSuccess {{ signUp {{ status }} }} }} }}"""


CHECK_IN = f"""
mutation I($input: CheckInInput!) {{ checkIn(input: $input) {{ {RESULT}
  ... on CheckInSuccess {{ signUp {{ id checkedInAt checkedInByOrganiser }} }} }} }}"""


CHECK_OUT = f"""
mutation O($input: CheckOutInput!) {{ checkOut(input: $input) {{ {RESULT}
  ... on CheckOutSuccess {{ signUp {{ id minutes hours hoursStatus }} }} }} }}"""


APPROVE = f"""
mutation P($input: ApproveHoursInput!) {{ approveHours(input: $input) {{ {RESULT}
  ... on ApproveHoursSuccess {{ signUps {{ id hoursStatus awardedHours
    award {{ points quantity rule {{ code }} }} person {{ name }} }} }} }} }}"""


DECLINE = f"""
mutation D($input: DeclineHoursInput!) {{ declineHours(input: $input) {{ {RESULT}
  ... on DeclineHoursSuccess {{ signUps {{ hoursStatus declineReason }} }} }} }}"""


CODE = """
query Code($id: ID!) { node(id: $id) { ... on VolunteerActivity {
  checkInCode { code validFrom validUntil } } } }"""


ACTIVITIES = """
query Acts($under: ID!, $upcoming: Boolean!, $first: Int, $after: String) {
  activities(under: $under, upcoming: $upcoming, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id title startsAt placesLeft status mySignUp { status } } } } }"""


VIEWER = """
{ viewer { volunteerHours { approvedHours pendingHours declinedHours awardedHours activities }
  teams { name myMembership { status } }
  activities(first: 5) { totalCount edges { node { title mySignUp { hoursStatus } } } }
  pointsAccount { balance } } }"""


def gid(type_name: str, key: int) -> str:
    return str(relay.GlobalID(type_name, str(key)))


async def area_gid(name: str = "颜山社区") -> str:
    return gid("Area", (await Area.get(name=name)).id)


async def person_gid(username: str) -> str:
    return gid("Person", (await actor_for(username)).person_id)


async def sign_in(client: httpx.AsyncClient, *usernames: str) -> list[str]:
    """Fresh access tokens for these demo accounts (after the clock has moved past the old)."""
    return [await login(client, username) for username in usernames]


def result_of(body: dict[str, Any], name: str) -> dict[str, Any]:
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][name]
    return result
