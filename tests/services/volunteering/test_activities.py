"""Volunteer activities (services/volunteering/activities.py): scheduling (also under a
co-building project), cancelling, listing, sign-up with capacity and double-booking."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from services import partners, volunteering
from services.enums import ActivityStatus, MembershipStatus, ProjectStatus, SignUpStatus, TeamKind
from services.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from services.kit import clock as service_clock
from services.kit.pagination import Window
from services.models import ActivitySignUp, Area, TeamMembership, VolunteerActivity
from tests.conftest import Database, actor_for
from tests.services.points_support import OTHER_COMMUNITY, Clock, person_id
from tests.services.volunteering_support import (
    activity,
    co_building_project,
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


class TestCreateActivity:
    """create_activity: who schedules, input, linked teams and projects."""

    async def test_the_leader_schedules_and_admins_record_past_activities(
        self, db: Database, clock: Clock
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
        self, db: Database, clock: Clock, change: dict[str, object], field: str
    ) -> None:
        made = await team()
        before = await VolunteerActivity.all().count()
        with pytest.raises(InvalidInput) as raised:
            await activity(item=made, **change)  # type: ignore[arg-type]
        assert raised.value.field == field
        assert await VolunteerActivity.all().count() == before

    async def test_activities_link_projects_and_teams_of_the_same_community_only(
        self, db: Database, clock: Clock
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

    async def test_who_holds_activities_under_which_project(self, db: Database) -> None:
        project = await co_building_project("助老共建")
        start = service_clock.now().replace(microsecond=0) + timedelta(days=2)
        common = dict(
            title="助老陪伴",
            place="颜山社区日间照料中心",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            capacity=5,
            team_id=None,
        )
        # a team leader who does not take part in the project may not hold activities under it
        team = await volunteering.create_team(
            actor=await actor_for("community_admin"),
            area_id=(await community()).id,
            name="助老队",
            kind=TeamKind.ELDERLY_CARE_TEAM,
            leader_id=await person_id("microgrid_leader"),
        )
        with pytest.raises(Forbidden):
            await volunteering.create_activity(
                actor=await actor_for("microgrid_leader"),
                area_id=None,
                project_id=project.id,
                **{**common, "team_id": team.id},  # type: ignore[arg-type]
            )
        # a project of another community is refused, and so is a closed one
        other = await partners.create_project(
            actor=await actor_for("street_admin"),
            community_id=(await community(OTHER_COMMUNITY)).id,
            title="外社区项目",
            description="",
            claimable=False,
            people_served=0,
        )
        with pytest.raises(InvalidInput) as wrong:
            await volunteering.create_activity(
                actor=await actor_for("street_admin"),
                area_id=(await community()).id,
                project_id=other.id,
                **common,  # type: ignore[arg-type]
            )
        assert wrong.value.field == "projectId"
        await partners.update_project(
            actor=await actor_for("community_admin"),
            project_id=project.id,
            title=None,
            description=None,
            status=ProjectStatus.CANCELLED,
            people_served=None,
            claimable=None,
        )
        with pytest.raises(Conflict):
            await volunteering.create_activity(
                actor=await actor_for("community_admin"),
                area_id=(await community()).id,
                project_id=project.id,
                **common,  # type: ignore[arg-type]
            )
        assert not await VolunteerActivity.filter(project_id=project.id).exists()


class TestCancelActivity:
    """cancel_activity."""

    async def test_cancelling_an_activity(self, db: Database, clock: Clock) -> None:
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
        assert (
            cancelled.status is ActivityStatus.CANCELLED and cancelled.cancel_reason == "暴雨预警"
        )
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


class TestListActivities:
    """list_activities and team_activities."""

    async def test_upcoming_activities_of_a_community_in_start_order(
        self, db: Database, clock: Clock
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
            actor=actor, under_id=area.id, upcoming=True, window=Window(first=2)
        )
        assert [a.id for a in first.items] == [sooner.id, same.id] and first.has_next
        rest = await volunteering.list_activities(
            actor=actor,
            under_id=area.id,
            upcoming=True,
            window=Window(first=2, after=first.keys[-1]),
        )
        assert [a.id for a in rest.items] == [later.id] and not rest.has_next
        assert await first.count() == 3
        every = await volunteering.list_activities(
            actor=actor, under_id=area.id, upcoming=False, window=Window(first=10)
        )
        assert [a.id for a in every.items] == [later.id, cancelled.id, same.id, sooner.id, past.id]
        # elsewhere there is nothing
        other = await volunteering.list_activities(
            actor=actor,
            under_id=(await community("古窑社区")).id,
            upcoming=False,
            window=Window(first=10),
        )
        assert other.items == []

    async def test_the_demo_team_has_past_and_upcoming_activities(self, db: Database) -> None:
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
            actor=await actor_for("volunteer"), upcoming=True, window=Window(first=10)
        )
        assert len(upcoming.items) == 2 and all(a.signed_up >= 1 for a in upcoming.items)
        assert (await verify()).ok


class TestSignUp:
    """sign_up and cancel_sign_up: reach, places, overlaps, races."""

    async def test_sign_up_and_cancel_free_the_place(self, db: Database, clock: Clock) -> None:
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
            await volunteering.cancel_sign_up(
                actor=await actor_for("resident"), activity_id=planned.id
            )

    async def test_a_checked_in_sign_up_is_not_withdrawn(self, db: Database, clock: Clock) -> None:
        # given the volunteer checked in during the half hour before the start
        planned = await activity(item=await team(), starts_in=timedelta(hours=1), capacity=1)
        await sign_up("volunteer", planned)
        clock.set(planned.starts_at - timedelta(minutes=20))
        code = await volunteering.code_for(
            actor=await actor_for("microgrid_leader"), activity=planned
        )
        assert code is not None
        volunteer = await actor_for("volunteer")
        checked_in = await volunteering.check_in(
            actor=volunteer, activity_id=planned.id, code=code.code
        )
        # when they try to withdraw before the start
        with pytest.raises(InvalidTransition) as raised:
            await volunteering.cancel_sign_up(actor=volunteer, activity_id=planned.id)
        # then it is refused on the activity, and the sign-up and its place stand as they were
        assert raised.value.field == "activityId"
        kept = await ActivitySignUp.get(id=checked_in.id)
        assert (kept.status, kept.cancelled_at, kept.checked_in_at) == (
            SignUpStatus.SIGNED_UP,
            None,
            checked_in.checked_in_at,
        )
        assert (await VolunteerActivity.get(id=planned.id)).signed_up == 1

    async def test_reach_is_the_community_and_the_team(self, db: Database, clock: Clock) -> None:
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

    async def test_members_from_elsewhere_may_sign_up(self, db: Database, clock: Clock) -> None:
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

    async def test_no_double_booking_of_overlapping_activities(
        self, db: Database, clock: Clock
    ) -> None:
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
        await volunteering.cancel_sign_up(
            actor=await actor_for("volunteer"), activity_id=morning.id
        )
        await volunteering.cancel_sign_up(
            actor=await actor_for("volunteer"), activity_id=adjacent.id
        )
        await sign_up("volunteer", overlapping)
        other = await activity(item=made, starts_in=timedelta(days=1, hours=1), title="又叠")
        await volunteering.cancel_activity(
            actor=await actor_for("community_admin"), activity_id=overlapping.id, reason="改期"
        )
        assert (await sign_up("volunteer", other)).status is SignUpStatus.SIGNED_UP

    async def test_fifty_sign_ups_for_ten_places_take_exactly_ten(
        self, db: Database, clock: Clock
    ) -> None:
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
            await ActivitySignUp.filter(
                activity_id=planned.id, status=SignUpStatus.SIGNED_UP
            ).count()
            == 10
        )
        assert (await VolunteerActivity.get(id=planned.id)).signed_up == 10

    async def test_one_person_racing_into_overlapping_activities_gets_one(
        self, db: Database, clock: Clock
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

    async def test_the_capacity_guard_stands_behind_the_service(
        self, db: Database, clock: Clock
    ) -> None:
        from tortoise.exceptions import IntegrityError

        planned = await activity(item=await team(), capacity=1)
        with pytest.raises(IntegrityError):
            await VolunteerActivity.filter(id=planned.id).update(signed_up=2)
