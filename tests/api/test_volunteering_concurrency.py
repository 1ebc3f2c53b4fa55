"""Volunteering under real concurrency: `python -m api serve` with two workers (see
tests/api/test_concurrency.py for the harness): 50 sign-ups race for 10 places, and racing
approvals of the same hours award once."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta

import pytest

from seed.demo import DEMO_COMMUNITY
from services import accounts, volunteering
from services.enums import HoursStatus, SignUpStatus
from services.kit import clock
from services.models import ActivitySignUp, Area, PointsAward, VolunteerActivity
from tests.api.servers import Served, opened
from tests.api.test_concurrency import (
    _assert_clean_log,
    _post_all,
    _verified,
    _volunteers,
    global_id,
    served,
)
from tests.conftest import actor_for

pytestmark = pytest.mark.slow
__all__ = ["served"]  # the fixture, shared with the points concurrency tests

SIGN_UP = """
mutation S($input: SignUpForActivityInput!) {
  signUpForActivity(input: $input) {
    __typename
    ... on SignUpForActivitySuccess { signUp { id } }
    ... on Error { code message }
  }
}
"""
APPROVE = """
mutation A($input: ApproveHoursInput!) {
  approveHours(input: $input) {
    __typename
    ... on ApproveHoursSuccess { signUps { id hoursStatus awardedHours } }
    ... on Error { code message }
  }
}
"""


async def _activity(*, days: int, capacity: int) -> VolunteerActivity:
    community = await Area.get(name=DEMO_COMMUNITY)
    start = clock.now().replace(microsecond=0) + timedelta(days=days)
    return await volunteering.create_activity(
        actor=await actor_for("community_admin"),
        area_id=community.id,
        team_id=None,
        project_id=None,
        title="抢报名",
        place="颜山社区广场",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=capacity,
    )


async def test_fifty_sign_ups_for_ten_places(served: Served) -> None:
    # given an activity with 10 places and 50 signed-in volunteers of the community
    async with opened(served.url):
        activity = await _activity(days=2, capacity=10)
        people = await _volunteers(50, items_each=0)
    await served.start()
    # when all of them sign up at once, through two worker processes
    variables = {"input": {"activityId": global_id("VolunteerActivity", activity.id)}}
    bodies = await _post_all(served, [(SIGN_UP, variables, p.token) for p in people])
    # then exactly 10 got a place and 40 a typed Conflict
    outcomes = Counter(body["data"]["signUpForActivity"]["__typename"] for body in bodies)
    assert outcomes == {"SignUpForActivitySuccess": 10, "Conflict": 40}, outcomes
    _assert_clean_log(served)

    async def check() -> None:
        assert (await VolunteerActivity.get(id=activity.id)).signed_up == 10
        placed = await ActivitySignUp.filter(
            activity_id=activity.id, status=SignUpStatus.SIGNED_UP
        ).count()
        assert placed == 10

    await _verified(served, check)


async def test_racing_approvals_award_each_sign_up_once(served: Served) -> None:
    # given a past activity where 5 volunteers served 2 hours each (recorded by the admin)
    async with opened(served.url):
        activity = await _activity(days=-2, capacity=10)
        people = await _volunteers(5, items_each=0)
        admin = await actor_for("community_admin")
        for person in people:
            await volunteering.check_in(
                actor=admin,
                activity_id=activity.id,
                person_id=person.person_id,
                at=activity.starts_at,
            )
            await volunteering.check_out(
                actor=admin,
                activity_id=activity.id,
                person_id=person.person_id,
                at=activity.ends_at,
            )
        ids = [
            global_id("ActivitySignUp", s.id)
            for s in await ActivitySignUp.filter(activity_id=activity.id).order_by("id")
        ]
        tokens = await accounts.login(
            username="community_admin", password="gridpoints-demo", client="setup"
        )
    await served.start()
    # when the admin approves them 20 times at once, each time with a new key
    calls = [
        (
            APPROVE,
            {"input": {"signUpIds": ids, "idempotencyKey": uuid.uuid4().hex}},
            tokens.access_token,
        )
        for _ in range(20)
    ]
    bodies = await _post_all(served, calls)
    results = [body["data"]["approveHours"] for body in bodies]
    assert {r["__typename"] for r in results} == {"ApproveHoursSuccess"}, results[:3]
    _assert_clean_log(served)

    # then each sign-up was awarded once (2 hours × 12 points) and the ledger verifies
    async def check() -> None:
        entries = await ActivitySignUp.filter(activity_id=activity.id)
        assert {e.hours_status for e in entries} == {HoursStatus.APPROVED}
        awards = await PointsAward.filter(
            source_type="ActivitySignUp", source_id__in=[str(e.id) for e in entries]
        )
        assert len(awards) == 5 and {a.points for a in awards} == {24}

    await _verified(served, check)
