"""Volunteer teams and activities: teams and members, activities, sign-up, capacity and
double-booking, check-in and check-out, automatic check-out."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from services import volunteering
from services.enums import ActivityStatus, AreaLevel, MembershipStatus, SignUpStatus, TeamKind
from services.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyAttempts
from services.models import ActivitySignUp, Area, TeamMembership, VolunteerActivity
from services.volunteering import attendance
from tests.conftest import Database, actor_for
from tests.services.points_support import Clock, person_id
from tests.services.volunteering_support import (
    activity,
    community,
    member,
    memberships,
    newcomer,
    outsider,
    sign_up,
    start_of_minute,
    team,
)

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The services' clock (ledger.now), at the start of the current minute."""
    return Clock(start_of_minute())


# --- teams ---------------------------------------------------------------------------------


async def test_a_team_has_its_leader_as_a_member(db: Database) -> None:
    # when the community admin sets up a team led by the micro-grid leader
    made = await team()
    # then the leader is an approved member and the team lives in the community
    assert made.kind is TeamKind.PARTY_MEMBER_SERVICE_TEAM
    assert made.area_path == (await community()).path
    assert await memberships(made, MembershipStatus.APPROVED) == 1
    assert made.id in [t.id for t in await volunteering.my_teams(person_id=made.leader_id)]


@pytest.mark.parametrize(
    ("by", "leader", "error", "field"),
    [
        ("grid_leader", "microgrid_leader", Forbidden, None),  # leaders do not set up teams
        ("volunteer", "microgrid_leader", Forbidden, None),
        ("community_admin", "outsider", InvalidInput, "leaderId"),  # lives elsewhere
    ],
)
async def test_only_admins_set_up_teams_with_a_local_leader(
    db: Database, by: str, leader: str, error: type[Exception], field: str | None
) -> None:
    await outsider()
    before = await TeamMembership.all().count()
    with pytest.raises(error) as raised:
        await team(by=by, leader=leader)
    assert getattr(raised.value, "field", None) == field
    assert await TeamMembership.all().count() == before


async def test_team_names_are_unique_in_an_area_and_teams_sit_low(db: Database) -> None:
    await team()
    with pytest.raises(Conflict):
        await team(leader="volunteer")
    street = await Area.get(level=AreaLevel.STREET, name="城西街道")
    with pytest.raises(InvalidInput) as raised:
        await volunteering.create_team(
            actor=await actor_for("street_admin"),
            area_id=street.id,
            name="街道队",
            kind=TeamKind.YOUTH_VOLUNTEER_TEAM,
            leader_id=await person_id("volunteer"),
        )
    assert raised.value.field == "areaId"
    with pytest.raises(NotFound) as missing:
        await volunteering.create_team(
            actor=await actor_for("community_admin"),
            area_id=(await community()).id,
            name="物业队",
            kind=TeamKind.PROFESSIONAL_SERVICE_TEAM,
            leader_id=await person_id("volunteer"),
            unit_id=999_999,
        )
    assert missing.value.field == "unitId"


async def test_membership_apply_review_leave_and_apply_again(db: Database) -> None:
    made = await team()
    volunteer = await actor_for("volunteer")
    # applying makes a pending membership; applying twice is a conflict
    applied = await volunteering.join_team(actor=volunteer, team_id=made.id)
    assert applied.status is MembershipStatus.PENDING
    with pytest.raises(Conflict):
        await volunteering.join_team(actor=volunteer, team_id=made.id)
    # another member may not review; a rejection needs a reason
    with pytest.raises(Forbidden):
        await volunteering.review_member(
            actor=volunteer, membership_id=applied.id, approve=True, reason=None
        )
    leader = await actor_for("microgrid_leader")
    with pytest.raises(InvalidInput):
        await volunteering.review_member(
            actor=leader, membership_id=applied.id, approve=False, reason=" "
        )
    approved = await volunteering.review_member(
        actor=leader, membership_id=applied.id, approve=True, reason=None
    )
    assert approved.status is MembershipStatus.APPROVED
    # reviewing again is a conflict (the first review stands)
    with pytest.raises(Conflict):
        await volunteering.review_member(
            actor=await actor_for("community_admin"),
            membership_id=applied.id,
            approve=False,
            reason="重复",
        )
    # the member leaves, the leader cannot
    left = await volunteering.leave_team(actor=volunteer, team_id=made.id)
    assert left.status is MembershipStatus.LEFT and left.left_at is not None
    with pytest.raises(NotFound):
        await volunteering.leave_team(actor=volunteer, team_id=made.id)
    with pytest.raises(Conflict):
        await volunteering.leave_team(actor=leader, team_id=made.id)
    # and applying again is a new application, the old record kept
    again = await volunteering.join_team(actor=volunteer, team_id=made.id)
    assert again.id != applied.id and again.status is MembershipStatus.PENDING
    assert (await TeamMembership.get(id=applied.id)).status is MembershipStatus.LEFT


async def test_a_rejected_applicant_is_not_a_member(db: Database) -> None:
    made = await team()
    applied = await volunteering.join_team(actor=await actor_for("resident"), team_id=made.id)
    rejected = await volunteering.review_member(
        actor=await actor_for("community_admin"),
        membership_id=applied.id,
        approve=False,
        reason="请先参加一次活动",
    )
    assert rejected.status is MembershipStatus.REJECTED
    assert rejected.review_reason == "请先参加一次活动"
    assert await memberships(made, MembershipStatus.APPROVED) == 1


async def test_people_join_teams_of_their_own_community_only(db: Database) -> None:
    made = await team()
    with pytest.raises(Forbidden):
        await volunteering.join_team(actor=await actor_for(await outsider()), team_id=made.id)


async def test_members_lists_are_for_the_team_and_its_area(db: Database) -> None:
    made = await team()
    await member(made, "volunteer")
    for username in ("volunteer", "microgrid_leader", "community_admin"):
        page = await volunteering.team_members(
            actor=await actor_for(username), team=made, status=None, first=10, after=None
        )
        assert len(page.items) == 2
    with pytest.raises(Forbidden):
        await volunteering.team_members(
            actor=await actor_for("rider"), team=made, status=None, first=10, after=None
        )


# --- activities ----------------------------------------------------------------------------


async def test_the_leader_schedules_and_admins_record_past_activities(
    db: Database, clock: Clock
) -> None:
    made = await team()
    # the leader schedules a future activity of the team (in the team's area by default)
    planned = await activity(item=made)
    assert planned.status is ActivityStatus.OPEN and planned.area_id == made.area_id
    assert planned.community_id == (await community()).id
    # the leader may not record a past one; an admin may
    with pytest.raises(InvalidInput) as raised:
        await activity(item=made, starts_in=-timedelta(days=2))
    assert raised.value.field == "startsAt"
    past = await activity(item=made, by="community_admin", starts_in=-timedelta(days=2))
    assert past.starts_at < clock.moment
    # members who do not lead, and leaders of other teams, may not create activities
    await member(made, "volunteer")
    with pytest.raises(Forbidden):
        await activity(item=made, by="volunteer")
    with pytest.raises(Forbidden):
        await activity(by="microgrid_leader")  # no team: admins only


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"capacity": 0}, "capacity"),
        ({"duration": timedelta(0)}, "endsAt"),
        ({"duration": timedelta(hours=25)}, "endsAt"),
        ({"starts_in": timedelta(days=400)}, "startsAt"),
    ],
)
async def test_activity_input_is_checked(
    db: Database, clock: Clock, change: dict[str, object], field: str
) -> None:
    made = await team()
    before = await VolunteerActivity.all().count()
    with pytest.raises(InvalidInput) as raised:
        await activity(item=made, **change)  # type: ignore[arg-type]
    assert raised.value.field == field
    assert await VolunteerActivity.all().count() == before


async def test_activities_link_projects_and_teams_of_the_same_community_only(
    db: Database, clock: Clock
) -> None:
    made = await team()
    start = clock.moment + timedelta(days=1)
    common = dict(
        title="义诊",
        place="社区卫生站",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=5,
    )
    admin = await actor_for("street_admin")
    with pytest.raises(NotFound) as missing:
        await volunteering.create_activity(
            actor=admin,
            area_id=None,
            team_id=made.id,
            project_id=999_999,
            **common,  # type: ignore[arg-type]
        )
    assert missing.value.field == "projectId"
    other = await community("西冶街社区")
    with pytest.raises(InvalidInput) as raised:
        await volunteering.create_activity(
            actor=admin,
            area_id=other.id,
            team_id=made.id,
            project_id=None,
            **common,  # type: ignore[arg-type]
        )
    assert raised.value.field == "areaId"
    naive = {**common, "starts_at": datetime(2030, 1, 1, 9)}
    with pytest.raises(InvalidInput) as raised:
        await volunteering.create_activity(
            actor=admin,
            area_id=None,
            team_id=made.id,
            project_id=None,
            **naive,  # type: ignore[arg-type]
        )
    assert raised.value.field == "startsAt"


async def test_cancelling_an_activity(db: Database, clock: Clock) -> None:
    made = await team()
    planned = await activity(item=made)
    await sign_up("volunteer", planned)
    with pytest.raises(Forbidden):
        await volunteering.cancel_activity(
            actor=await actor_for("volunteer"), activity_id=planned.id, reason="下雨"
        )
    cancelled = await volunteering.cancel_activity(
        actor=await actor_for("microgrid_leader"), activity_id=planned.id, reason="暴雨预警"
    )
    assert cancelled.status is ActivityStatus.CANCELLED and cancelled.cancel_reason == "暴雨预警"
    with pytest.raises(Conflict):
        await volunteering.cancel_activity(
            actor=await actor_for("community_admin"), activity_id=planned.id, reason="再次"
        )
    with pytest.raises(Conflict):
        await sign_up("resident", planned)
    # once someone checked in (from 30 minutes before the start) it is not cancelled
    early = await activity(item=made, starts_in=timedelta(hours=2), title="早到")
    await sign_up("resident", early)
    clock.set(early.starts_at - timedelta(minutes=20))
    await volunteering.check_in(
        actor=await actor_for("resident"),
        activity_id=early.id,
        code=volunteering.current_code(early).code,
    )
    with pytest.raises(Conflict):
        await volunteering.cancel_activity(
            actor=await actor_for("microgrid_leader"), activity_id=early.id, reason="取消"
        )
    # once started an activity is not cancelled
    soon = await activity(item=made, starts_in=timedelta(hours=3), title="巡逻")
    clock.set(soon.starts_at)
    with pytest.raises(Conflict):
        await volunteering.cancel_activity(
            actor=await actor_for("microgrid_leader"), activity_id=soon.id, reason="晚了"
        )


async def test_upcoming_activities_of_a_community_in_start_order(
    db: Database, clock: Clock
) -> None:
    # (in a grid of the community: the demo's own activities are at the community)
    made = await team()
    grid = await Area.get(name="颜山第二网格")
    later = await activity(item=made, area=grid, starts_in=timedelta(days=3), title="C")
    sooner = await activity(item=made, area=grid, starts_in=timedelta(days=1), title="A")
    same = await activity(item=made, area=grid, starts_in=timedelta(days=1), title="B")
    past = await activity(
        item=made, area=grid, by="community_admin", starts_in=-timedelta(days=1), title="P"
    )
    cancelled = await activity(item=made, area=grid, starts_in=timedelta(days=2), title="X")
    await volunteering.cancel_activity(
        actor=await actor_for("community_admin"), activity_id=cancelled.id, reason="取消"
    )
    actor = await actor_for("resident")
    area = grid
    first = await volunteering.list_activities(
        actor=actor, under_id=area.id, upcoming=True, first=2, after=None
    )
    assert [a.id for a in first.items] == [sooner.id, same.id] and first.has_next
    rest = await volunteering.list_activities(
        actor=actor, under_id=area.id, upcoming=True, first=2, after=first.keys[-1]
    )
    assert [a.id for a in rest.items] == [later.id] and not rest.has_next
    assert await first.count() == 3
    every = await volunteering.list_activities(
        actor=actor, under_id=area.id, upcoming=False, first=10, after=None
    )
    assert [a.id for a in every.items] == [later.id, cancelled.id, same.id, sooner.id, past.id]
    # elsewhere there is nothing
    other = await volunteering.list_activities(
        actor=actor, under_id=(await community("古窑社区")).id, upcoming=False, first=10, after=None
    )
    assert other.items == []


# --- sign-up -------------------------------------------------------------------------------


async def test_sign_up_and_cancel_free_the_place(db: Database, clock: Clock) -> None:
    planned = await activity(item=await team(), capacity=1)
    entry = await sign_up("volunteer", planned)
    assert entry.status is SignUpStatus.SIGNED_UP
    assert (await VolunteerActivity.get(id=planned.id)).signed_up == 1
    with pytest.raises(Conflict):
        await sign_up("volunteer", planned)  # twice
    with pytest.raises(Conflict):
        await sign_up("resident", planned)  # full
    cancelled = await volunteering.cancel_sign_up(
        actor=await actor_for("volunteer"), activity_id=planned.id
    )
    assert cancelled.status is SignUpStatus.CANCELLED
    assert (await VolunteerActivity.get(id=planned.id)).signed_up == 0
    with pytest.raises(NotFound):
        await volunteering.cancel_sign_up(
            actor=await actor_for("volunteer"), activity_id=planned.id
        )
    assert (await sign_up("resident", planned)).status is SignUpStatus.SIGNED_UP
    # after the start nobody signs up or cancels
    clock.set(planned.starts_at)
    with pytest.raises(Conflict):
        await sign_up("volunteer", planned)
    with pytest.raises(Conflict):
        await volunteering.cancel_sign_up(actor=await actor_for("resident"), activity_id=planned.id)


async def test_reach_is_the_community_and_the_team(db: Database, clock: Clock) -> None:
    made = await team()
    planned = await activity(item=made)
    stranger = await outsider()
    # a volunteer of another community is out of reach
    with pytest.raises(Forbidden):
        await sign_up(stranger, planned)
    # a resident of the community is in reach without joining the team
    assert (await sign_up("resident", planned)).status is SignUpStatus.SIGNED_UP
    # a street admin runs every community of the street and is in reach
    assert (await sign_up("street_admin", planned)).status is SignUpStatus.SIGNED_UP


async def test_members_from_elsewhere_may_sign_up(db: Database, clock: Clock) -> None:
    made = await team()
    stranger = await outsider()
    # (a team takes members of its community; a member who moves away stays a member)
    await member(made, "volunteer")
    volunteer = await actor_for("volunteer")
    membership = await TeamMembership.get(team_id=made.id, person_id=volunteer.person_id)
    await TeamMembership.filter(id=membership.id).update(
        person_id=(await actor_for(stranger)).person_id
    )
    planned = await activity(item=made)
    assert (await sign_up(stranger, planned)).status is SignUpStatus.SIGNED_UP


async def test_no_double_booking_of_overlapping_activities(db: Database, clock: Clock) -> None:
    made = await team()
    morning = await activity(item=made, starts_in=timedelta(days=1), title="早")
    overlapping = await activity(
        item=made, starts_in=timedelta(days=1, hours=1), title="叠", duration=timedelta(hours=2)
    )
    adjacent = await activity(item=made, starts_in=timedelta(days=1, hours=2), title="接")
    await sign_up("volunteer", morning)
    with pytest.raises(Conflict) as raised:
        await sign_up("volunteer", overlapping)
    assert "早" in raised.value.message
    # back to back is fine, and a cancelled sign-up or activity no longer blocks
    await sign_up("volunteer", adjacent)
    await volunteering.cancel_sign_up(actor=await actor_for("volunteer"), activity_id=morning.id)
    await volunteering.cancel_sign_up(actor=await actor_for("volunteer"), activity_id=adjacent.id)
    await sign_up("volunteer", overlapping)
    other = await activity(item=made, starts_in=timedelta(days=1, hours=1), title="又叠")
    await volunteering.cancel_activity(
        actor=await actor_for("community_admin"), activity_id=overlapping.id, reason="改期"
    )
    assert (await sign_up("volunteer", other)).status is SignUpStatus.SIGNED_UP


async def test_fifty_sign_ups_for_ten_places_take_exactly_ten(db: Database, clock: Clock) -> None:
    # given an activity with 10 places and 50 volunteers of the community
    planned = await activity(item=await team(), capacity=10)
    crowd = [await newcomer(f"crowd_{i:02d}") for i in range(50)]
    actors = [await actor_for(u) for u in crowd]

    async def attempt(actor_index: int) -> str:
        try:
            await volunteering.sign_up(actor=actors[actor_index], activity_id=planned.id)
        except Conflict:
            return "full"
        return "in"

    # when they all sign up at once
    outcomes = await asyncio.gather(*(attempt(i) for i in range(50)))
    # then exactly 10 got a place and the counter agrees
    assert outcomes.count("in") == 10 and outcomes.count("full") == 40
    assert (
        await ActivitySignUp.filter(activity_id=planned.id, status=SignUpStatus.SIGNED_UP).count()
        == 10
    )
    assert (await VolunteerActivity.get(id=planned.id)).signed_up == 10


async def test_one_person_racing_into_overlapping_activities_gets_one(
    db: Database, clock: Clock
) -> None:
    made = await team()
    slots = [
        await activity(item=made, starts_in=timedelta(days=1, minutes=10 * i), title=f"S{i}")
        for i in range(5)
    ]
    volunteer = await actor_for("rider")  # (the demo signs the volunteer up for two)

    async def attempt(activity_id: int) -> bool:
        try:
            await volunteering.sign_up(actor=volunteer, activity_id=activity_id)
        except Conflict:
            return False
        return True

    outcomes = await asyncio.gather(*(attempt(s.id) for s in slots))
    assert outcomes.count(True) == 1
    assert (
        await ActivitySignUp.filter(
            person_id=volunteer.person_id, status=SignUpStatus.SIGNED_UP
        ).count()
        == 1
    )


async def test_the_capacity_guard_stands_behind_the_service(db: Database, clock: Clock) -> None:
    from tortoise.exceptions import IntegrityError

    planned = await activity(item=await team(), capacity=1)
    with pytest.raises(IntegrityError):
        await VolunteerActivity.filter(id=planned.id).update(signed_up=2)


# --- check-in and check-out ----------------------------------------------------------------


async def test_check_in_and_out_by_the_rotating_code(db: Database, clock: Clock) -> None:
    planned = await activity(item=await team(), starts_in=timedelta(hours=1))
    await sign_up("volunteer", planned)
    volunteer = await actor_for("volunteer")
    leader = await actor_for("microgrid_leader")
    # before check-in opens nobody sees a code, and checking in is refused
    assert await volunteering.code_for(actor=leader, activity=planned) is None
    # 30 minutes before the start the organiser sees the code; participants never do
    clock.set(planned.starts_at - timedelta(minutes=30))
    code = await volunteering.code_for(actor=leader, activity=planned)
    assert code is not None and len(code.code) == 6 and code.code.isdigit()
    assert code.valid_until - code.valid_from == timedelta(seconds=60)
    assert await volunteering.code_for(actor=volunteer, activity=planned) is None
    wrong = "000000" if code.code != "000000" else "111111"
    with pytest.raises(InvalidInput) as raised:
        await volunteering.check_in(actor=volunteer, activity_id=planned.id, code=wrong)
    assert raised.value.field == "code"
    # a code with other characters is just as wrong (it was a TypeError once)
    with pytest.raises(InvalidInput):
        await volunteering.check_in(actor=volunteer, activity_id=planned.id, code="一二三四五六")
    # the code of the previous minute still works, one older does not
    clock.set(clock.moment + timedelta(seconds=61))
    entry = await volunteering.check_in(actor=volunteer, activity_id=planned.id, code=code.code)
    assert entry.checked_in_at == clock.moment and entry.checked_in_by_id is None
    with pytest.raises(Conflict):
        await volunteering.check_in(
            actor=volunteer, activity_id=planned.id, code=volunteering.current_code(planned).code
        )
    # check out 3 hours later: the minutes count within the activity's 2 hours only
    clock.set(planned.ends_at + timedelta(minutes=30))
    stale = code.code
    with pytest.raises(InvalidInput):
        await volunteering.check_out(actor=volunteer, activity_id=planned.id, code=stale)
    entry = await volunteering.check_out(
        actor=volunteer, activity_id=planned.id, code=volunteering.current_code(planned).code
    )
    assert entry.minutes == 120 and entry.hours_status == "PENDING"
    assert not entry.auto_checked_out
    with pytest.raises(Conflict):
        await volunteering.check_out(
            actor=volunteer, activity_id=planned.id, code=volunteering.current_code(planned).code
        )


async def test_guessing_the_code_is_stopped_after_a_few_tries(db: Database, clock: Clock) -> None:
    planned = await activity(item=await team(), starts_in=timedelta(minutes=10))
    await sign_up("volunteer", planned)
    volunteer = await actor_for("volunteer")
    right = volunteering.current_code(planned).code
    wrong = [f"{n:06d}" for n in range(20) if f"{n:06d}" != right]
    # five wrong codes are plain mistakes; the sixth try is refused whatever it is
    for guess in wrong[:5]:
        with pytest.raises(InvalidInput):
            await volunteering.check_in(actor=volunteer, activity_id=planned.id, code=guess)
    with pytest.raises(TooManyAttempts):
        await volunteering.check_in(actor=volunteer, activity_id=planned.id, code=right)
    # concurrent guesses all count: none gets past the limit
    results = await asyncio.gather(
        *(
            volunteering.check_in(actor=volunteer, activity_id=planned.id, code=guess)
            for guess in wrong[5:15]
        ),
        return_exceptions=True,
    )
    assert all(isinstance(r, TooManyAttempts) for r in results)
    # others are not held back by one person's guesses
    await sign_up("central_household", planned)
    entry = await volunteering.check_in(
        actor=await actor_for("central_household"), activity_id=planned.id, code=right
    )
    assert entry.checked_in_at is not None


async def test_check_in_windows_and_people_without_sign_up(db: Database, clock: Clock) -> None:
    planned = await activity(item=await team(), starts_in=timedelta(hours=2))
    volunteer = await actor_for("volunteer")
    clock.set(planned.starts_at - timedelta(minutes=31))
    with pytest.raises(Conflict):
        await volunteering.check_in(
            actor=volunteer, activity_id=planned.id, code=volunteering.current_code(planned).code
        )
    clock.set(planned.starts_at)
    with pytest.raises(NotFound):  # not signed up
        await volunteering.check_in(
            actor=volunteer, activity_id=planned.id, code=volunteering.current_code(planned).code
        )
    with pytest.raises(InvalidInput):  # no code
        await volunteering.check_in(actor=volunteer, activity_id=planned.id)
    with pytest.raises(Forbidden):  # a participant does not check others in
        await volunteering.check_in(
            actor=volunteer, activity_id=planned.id, person_id=await person_id("resident")
        )
    clock.set(planned.ends_at)
    with pytest.raises(Conflict):
        await volunteering.check_in(
            actor=volunteer, activity_id=planned.id, code=volunteering.current_code(planned).code
        )


async def test_organisers_check_people_in_and_record_times(db: Database, clock: Clock) -> None:
    made = await team()
    planned = await activity(item=made, starts_in=timedelta(hours=1), capacity=1)
    await sign_up("volunteer", planned)
    leader = await actor_for("microgrid_leader")
    clock.set(planned.starts_at + timedelta(minutes=10))
    # the leader checks in a participant, and signs up a walk-in (the activity is full)
    entry = await volunteering.check_in(
        actor=leader, activity_id=planned.id, person_id=await person_id("volunteer")
    )
    assert entry.checked_in_by_id == leader.person_id
    with pytest.raises(Conflict):
        await volunteering.check_in(
            actor=leader, activity_id=planned.id, person_id=await person_id("resident")
        )
    # a person from elsewhere is out of reach even for the organiser
    stranger = await outsider()
    with pytest.raises(NotFound):
        await volunteering.check_in(
            actor=leader, activity_id=planned.id, person_id=await person_id(stranger)
        )
    # the admin records a check-out at a given time (never in the future, never before check-in)
    admin = await actor_for("community_admin")
    with pytest.raises(InvalidInput):
        await volunteering.check_out(
            actor=admin,
            activity_id=planned.id,
            person_id=await person_id("volunteer"),
            at=clock.moment + timedelta(minutes=1),
        )
    with pytest.raises(InvalidInput):
        await volunteering.check_out(
            actor=admin,
            activity_id=planned.id,
            person_id=await person_id("volunteer"),
            at=clock.moment - timedelta(minutes=20),
        )
    clock.set(planned.ends_at + timedelta(hours=1))
    out = await volunteering.check_out(
        actor=admin,
        activity_id=planned.id,
        person_id=await person_id("volunteer"),
        at=planned.starts_at + timedelta(minutes=100),
    )
    assert out.minutes == 90 and out.checked_out_by_id == admin.person_id


async def test_a_past_activity_is_recorded_with_walk_ins(db: Database, clock: Clock) -> None:
    past = await activity(
        item=await team(), by="community_admin", starts_in=-timedelta(days=3), capacity=2
    )
    admin = await actor_for("community_admin")
    for username in ("volunteer", "central_household"):
        who = await person_id(username)
        await volunteering.check_in(
            actor=admin, activity_id=past.id, person_id=who, at=past.starts_at
        )
        entry = await volunteering.check_out(
            actor=admin, activity_id=past.id, person_id=who, at=past.ends_at
        )
        assert entry.minutes == 120 and entry.added_by_id == admin.person_id
    with pytest.raises(Conflict):  # the 2 places are taken
        await volunteering.check_in(
            actor=admin,
            activity_id=past.id,
            person_id=await person_id("resident"),
            at=past.starts_at,
        )


async def test_forgotten_check_ins_are_closed_once_after_24_hours(
    db: Database, clock: Clock
) -> None:
    planned = await activity(item=await team(), starts_in=timedelta(hours=1))
    await sign_up("volunteer", planned)
    await sign_up("resident", planned)
    clock.set(planned.starts_at + timedelta(minutes=30))
    for username in ("volunteer", "resident"):
        await volunteering.check_in(
            actor=await actor_for(username),
            activity_id=planned.id,
            code=volunteering.current_code(planned).code,
        )
    await volunteering.check_out(
        actor=await actor_for("resident"),
        activity_id=planned.id,
        code=volunteering.current_code(planned).code,
    )
    # a day minus a minute later nothing happens
    clock.set(clock.moment + volunteering.AUTO_CHECK_OUT_AFTER - timedelta(minutes=1))
    assert await volunteering.auto_check_out() == 0
    # after 24 hours two racing runs close the volunteer's check-in once
    clock.set(clock.moment + timedelta(minutes=2))
    closed = await asyncio.gather(volunteering.auto_check_out(), volunteering.auto_check_out())
    assert sum(closed) == 1
    entry = await ActivitySignUp.get(activity_id=planned.id, person_id=await person_id("volunteer"))
    assert entry.auto_checked_out and entry.hours_status == "PENDING"
    assert entry.minutes == 90  # from the check-in to the activity's end
    assert await volunteering.auto_check_out() == 0


def test_minutes_are_clamped_to_the_activity() -> None:
    start = datetime(2026, 5, 1, 1, 0, tzinfo=UTC)
    item = VolunteerActivity(starts_at=start, ends_at=start + timedelta(hours=2))
    minutes = attendance.minutes_served
    assert minutes(item, start - timedelta(hours=1), start + timedelta(hours=5)) == 120
    assert minutes(item, start + timedelta(minutes=15), start + timedelta(minutes=74)) == 59
    assert minutes(item, start + timedelta(hours=3), start + timedelta(hours=4)) == 0


# --- the demo ------------------------------------------------------------------------------


async def test_the_demo_team_has_past_and_upcoming_activities(db: Database) -> None:
    from seed.volunteering import TEAM_NAME
    from services.enums import HoursStatus
    from services.models import VolunteerTeam
    from services.points import verify

    team_row = await VolunteerTeam.get(name=TEAM_NAME)
    assert team_row.kind is TeamKind.PARTY_MEMBER_SERVICE_TEAM
    assert team_row.leader_id == await person_id("microgrid_leader")
    assert [
        t.name for t in await volunteering.my_teams(person_id=await person_id("volunteer"))
    ] == [TEAM_NAME]
    assert await memberships(team_row, MembershipStatus.PENDING) == 1  # 李淑芬 applied
    volunteer = await volunteering.volunteer_hours(
        person_id=await person_id("volunteer"), year=None
    )
    # 2 hours approved (24 points at 颜山社区's rate) and 2 hours waiting for the leader
    assert (volunteer.approved_minutes, volunteer.pending_minutes) == (120, 120)
    assert volunteer.awarded_hours == 2
    approved = await ActivitySignUp.filter(hours_status=HoursStatus.APPROVED).count()
    assert approved == 2
    upcoming = await volunteering.my_activities(
        actor=await actor_for("volunteer"), upcoming=True, first=10, after=None
    )
    assert len(upcoming.items) == 2 and all(a.signed_up >= 1 for a in upcoming.items)
    assert (await verify()).ok
